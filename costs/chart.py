"""Cost against traffic per stack, as a PNG (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

from costs.sweep import SweepResult


def draw_sweep_chart(result: SweepResult, path: Path, currency: str = "USD") -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(9, 5.5), dpi=120)
    for stack in result.points[0].totals:
        served = [(point.value, total) for point in result.points if (total := point.totals[stack]) is not None]
        if served:
            xs, ys = zip(*served, strict=True)
            axes.plot(xs, ys, label=stack, linewidth=2)
    for break_even in result.break_evens:
        axes.axvline(break_even.value, color="grey", linestyle=":", linewidth=1)
        axes.annotate(
            f"{break_even.cheaper_below} → {break_even.cheaper_above}\n{break_even.value:,.3g}",
            xy=(break_even.value, break_even.monthly_cost),
            xytext=(6, 10),
            textcoords="offset points",
            fontsize=8,
        )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel(f"{result.range.parameter} per month")
    axes.set_ylabel(f"{currency} per month")
    axes.set_title(f"Monthly cost against {result.range.parameter} (each line ends at its stack's capacity)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    pyplot.close(figure)
