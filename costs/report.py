"""Estimates → the JSON report (a contract, also the input of `cost diff`), a terminal table and markdown."""

from __future__ import annotations

import io
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict
from rich.console import Console
from rich.table import Table

from costs.catalog import Catalog
from costs.estimate import FREE_TIER_KIND, StackEstimate
from costs.sweep import SweepResult

BEYOND_CAPACITY = "beyond capacity"

MONEY_DECIMALS = 2
SWEEP_ROWS_SHOWN = 9
CHEAPEST_MARK = "cheapest"


class ComponentReport(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    kind: str = ""
    unit: str
    quantity: float
    unit_price: float
    monthly_cost: float
    committed_monthly_cost: float | None = None
    commitment_note: str | None = None


class ResourceReport(BaseModel):
    model_config = ConfigDict(extra="ignore")

    urn: str
    type: str
    name: str
    monthly_cost: float
    committed_monthly_cost: float | None = None
    components: list[ComponentReport] = []
    note: str | None = None


class UnpricedReport(BaseModel):
    model_config = ConfigDict(extra="ignore")

    urn: str
    type: str
    name: str
    reason: str
    component: str | None = None


class InstancesNeededReport(BaseModel):
    """Instances (Cloud Run) or pods (GKE) the stated traffic needs, on average and at `peak_factor` x it."""

    model_config = ConfigDict(extra="ignore")

    unit: str = "instance"
    average: float | None
    peak: float | None
    peak_factor: float
    max: float | None
    per_instance_requests_per_second: float | None = None


class StackReport(BaseModel):
    model_config = ConfigDict(extra="ignore")

    stack: str
    region: str | None = None
    monthly_total: float
    committed_monthly_total: float | None = None
    per_million_requests: float | None = None
    instances_needed: InstancesNeededReport | None = None
    capacity_ok: bool = True
    capacity_reason: str | None = None
    excludes: str = ""
    resources: list[ResourceReport]
    unpriced: list[UnpricedReport] = []
    notes: list[str] = []


class RegionTotalReport(BaseModel):
    region: str
    monthly_total: float
    per_million_requests: float | None
    unpriced: int


class RegionCompareReport(BaseModel):
    """The same stacks priced in each region: one row per stack, one entry per region."""

    regions: list[str]
    stacks: dict[str, list[RegionTotalReport]]


class SweepPointReport(BaseModel):
    value: float
    totals: dict[str, float | None]
    """Each stack's monthly total, None beyond the traffic it can serve."""
    cheapest: str | None


class BreakEvenReport(BaseModel):
    value: float
    cheaper_below: str
    cheaper_above: str
    monthly_cost: float


class SweepReport(BaseModel):
    """Totals across a range of one usage value, and where the cheapest stack changes."""

    parameter: str
    usage_field: str
    points: list[SweepPointReport]
    break_evens: list[BreakEvenReport]


class Report(BaseModel):
    """The `--format json` document: {"currency", "hours_per_month", "stacks": [...]}."""

    model_config = ConfigDict(extra="ignore")

    currency: str
    hours_per_month: int
    free_tier_applied: bool = False
    commitment: str | None = None
    stacks: list[StackReport]
    sweep: SweepReport | None = None
    region_compare: RegionCompareReport | None = None

    def with_sweep(self, result: SweepResult) -> Report:
        sweep = SweepReport(
            parameter=result.range.parameter,
            usage_field=result.range.usage_field,
            points=[
                SweepPointReport(
                    value=point.value,
                    totals={
                        stack: None if total is None else round(total, MONEY_DECIMALS)
                        for stack, total in point.totals.items()
                    },
                    cheapest=point.cheapest,
                )
                for point in result.points
            ],
            break_evens=[
                BreakEvenReport(
                    value=break_even.value,
                    cheaper_below=break_even.cheaper_below,
                    cheaper_above=break_even.cheaper_above,
                    monthly_cost=round(break_even.monthly_cost, MONEY_DECIMALS),
                )
                for break_even in result.break_evens
            ],
        )
        return self.model_copy(update={"sweep": sweep})

    def cheapest(self) -> str | None:
        """The stack with the lowest total, when there is more than one stack."""
        if len(self.stacks) < 2:
            return None
        return min(self.stacks, key=lambda stack: stack.monthly_total).stack

    def with_region_compare(self, compare: RegionCompareReport) -> Report:
        return self.model_copy(update={"region_compare": compare})


def build_report(
    estimates: Sequence[StackEstimate], catalog: Catalog, free_tier: bool, commitment: str | None = None
) -> Report:
    return Report(
        currency=catalog.currency,
        hours_per_month=catalog.hours_per_month,
        free_tier_applied=free_tier,
        commitment=commitment,
        stacks=[_stack_report(estimate) for estimate in estimates],
    )


def build_region_compare(regions: Sequence[str], estimates: dict[str, list[StackEstimate]]) -> RegionCompareReport:
    """`estimates` maps each stack to its estimates in `regions`, in that order."""
    return RegionCompareReport(
        regions=list(regions),
        stacks={
            stack: [
                RegionTotalReport(
                    region=region,
                    monthly_total=round(estimate.monthly_total, MONEY_DECIMALS),
                    per_million_requests=_rounded(estimate.per_million_requests),
                    unpriced=len(estimate.unpriced),
                )
                for region, estimate in zip(regions, per_region, strict=True)
            ]
            for stack, per_region in estimates.items()
        },
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, MONEY_DECIMALS)


def _stack_report(estimate: StackEstimate) -> StackReport:
    committed = estimate.commitment is not None
    capacity = estimate.capacity
    instances = None
    if capacity is not None:
        instances = InstancesNeededReport(
            unit=capacity.unit,
            average=None if capacity.instances_needed_average is None else round(capacity.instances_needed_average, 6),
            peak=None if capacity.instances_needed_peak is None else round(capacity.instances_needed_peak, 6),
            peak_factor=capacity.peak_factor,
            max=capacity.max_instances,
            per_instance_requests_per_second=capacity.per_unit_requests_per_second,
        )
    return StackReport(
        stack=estimate.stack,
        region=estimate.region,
        monthly_total=round(estimate.monthly_total, MONEY_DECIMALS),
        committed_monthly_total=round(estimate.committed_monthly_total, MONEY_DECIMALS) if committed else None,
        per_million_requests=_rounded(estimate.per_million_requests),
        instances_needed=instances,
        capacity_ok=capacity is None or capacity.capacity_ok,
        capacity_reason=None if capacity is None or capacity.capacity_ok else capacity.reason,
        excludes=estimate.excludes(),
        resources=[
            ResourceReport(
                urn=resource.urn,
                type=resource.type,
                name=resource.name,
                monthly_cost=round(resource.monthly_cost, MONEY_DECIMALS),
                committed_monthly_cost=round(resource.committed_monthly_cost, MONEY_DECIMALS) if committed else None,
                note=resource.note,
                components=[
                    ComponentReport(
                        name=component.name,
                        kind=component.kind,
                        unit=component.unit,
                        quantity=component.quantity,
                        unit_price=component.unit_price,
                        monthly_cost=round(component.monthly_cost, MONEY_DECIMALS),
                        committed_monthly_cost=(
                            round(component.committed_monthly_cost, MONEY_DECIMALS) if committed else None
                        ),
                        commitment_note=component.commitment_note,
                    )
                    for component in resource.components
                ],
            )
            for resource in estimate.resources
        ],
        unpriced=[
            UnpricedReport(urn=item.urn, type=item.type, name=item.name, reason=item.reason, component=item.component)
            for item in estimate.unpriced
        ],
        notes=estimate.notes,
    )


def render_json(report: Report) -> str:
    return report.model_dump_json(indent=2)


def comparison_rows(report: Report) -> list[tuple[str, list[float]]]:
    """One row per component kind, one value per stack (monthly cost): kinds in alphabetical order, so one
    service's kinds sit together and the order does not depend on the plan's; free-tier credits last."""
    kinds: dict[str, list[float]] = {}
    for index, stack in enumerate(report.stacks):
        for resource in stack.resources:
            for component in resource.components:
                row = kinds.setdefault(component.kind, [0.0] * len(report.stacks))
                row[index] += component.monthly_cost
    return sorted(kinds.items(), key=lambda item: (item[0] == FREE_TIER_KIND, item[0]))


def render_markdown(report: Report) -> str:
    cheapest = report.cheapest()
    header = [
        "Monthly cost (" + report.currency + ")",
        *[_stack_title(stack.stack, cheapest) for stack in report.stacks],
    ]
    lines = [_markdown_row(header), _markdown_row(["---", *["---:"] * len(report.stacks)])]
    for kind, values in comparison_rows(report):
        lines.append(_markdown_row([kind, *[_money(value) for value in values]]))
    lines.append(_markdown_row(["**Total**", *[f"**{_money(stack.monthly_total)}**" for stack in report.stacks]]))
    for label, cells in _summary_rows(report):
        lines.append(_markdown_row([label, *cells]))
    lines.append("")
    lines.extend(_footnotes(report))
    if report.region_compare:
        compare = report.region_compare
        lines += ["", "Monthly cost by region (unpriced items in brackets):", ""]
        lines.append(_markdown_row(["stack", *compare.regions]))
        lines.append(_markdown_row(["---", *["---:"] * len(compare.regions)]))
        for stack, totals in compare.stacks.items():
            lines.append(_markdown_row([stack, *[_region_cell(total) for total in totals]]))
    if report.sweep:
        stacks = list(report.sweep.points[0].totals)
        lines += ["", f"Monthly cost against {report.sweep.parameter}:", ""]
        lines.append(_markdown_row([report.sweep.parameter, *stacks, "cheapest"]))
        lines.append(_markdown_row(["---:", *["---:"] * len(stacks), "---"]))
        for point in _shown_points(report.sweep):
            lines.append(
                _markdown_row(
                    [
                        f"{point.value:,.3g}",
                        *[_sweep_cell(point.totals[name]) for name in stacks],
                        point.cheapest or "-",
                    ]
                )
            )
        lines += ["", *_break_even_lines(report.sweep)]
    return "\n".join(lines).rstrip() + "\n"


def _summary_rows(report: Report) -> list[tuple[str, list[str]]]:
    """The rows under the total: the committed total, $ per million requests, instances needed and capacity."""
    rows = []
    if report.commitment:
        committed = [_money(stack.committed_monthly_total) for stack in report.stacks]
        rows.append((f"Total, {report.commitment} commitment", committed))
    rows.append(("Unpriced items", [str(len(stack.unpriced)) for stack in report.stacks]))
    rows.append((f"{report.currency} per 1M requests", [_money(stack.per_million_requests) for stack in report.stacks]))
    rows.append(("Instances needed (average / peak / max)", [_instances(stack) for stack in report.stacks]))
    rows.append(("Capacity", ["ok" if stack.capacity_ok else "cannot serve the peak" for stack in report.stacks]))
    return rows


def _instances(stack: StackReport) -> str:
    needed = stack.instances_needed
    if needed is None or needed.average is None or needed.peak is None:
        return "-"
    most = "no max" if needed.max is None else f"{needed.max:g}"
    return f"{needed.average:.2g} / {needed.peak:.2g} / {most}"


def _region_cell(total: RegionTotalReport) -> str:
    return _money(total.monthly_total) + (f" ({total.unpriced})" if total.unpriced else "")


def _sweep_cell(total: float | None) -> str:
    return BEYOND_CAPACITY if total is None else _money(total)


def render_table(report: Report, width: int = 160) -> str:
    cheapest = report.cheapest()
    table = Table(title=f"Monthly cost ({report.currency}, {report.hours_per_month:g} h a month)")
    table.add_column("Component")
    for stack in report.stacks:
        table.add_column(_stack_title(stack.stack, cheapest), justify="right")
    for kind, values in comparison_rows(report):
        table.add_row(kind, *[_money(value) for value in values])
    table.add_section()
    table.add_row("Total", *[_money(stack.monthly_total) for stack in report.stacks], style="bold")
    for label, cells in _summary_rows(report):
        table.add_row(label, *cells)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    console.print(table)
    for line in _footnotes(report):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    if report.region_compare:
        compare = report.region_compare
        region_table = Table(title="Monthly cost by region (unpriced items in brackets)")
        region_table.add_column("stack")
        for region in compare.regions:
            region_table.add_column(region, justify="right")
        for stack_name, totals in compare.stacks.items():
            region_table.add_row(stack_name, *[_region_cell(total) for total in totals])
        console.print(region_table)
    if report.sweep:
        stacks = list(report.sweep.points[0].totals)
        sweep_table = Table(title=f"Monthly cost against {report.sweep.parameter}")
        sweep_table.add_column(report.sweep.parameter, justify="right")
        for name in stacks:
            sweep_table.add_column(name, justify="right")
        sweep_table.add_column("cheapest")
        for point in _shown_points(report.sweep):
            sweep_table.add_row(
                f"{point.value:,.3g}", *[_sweep_cell(point.totals[name]) for name in stacks], point.cheapest or "-"
            )
        console.print(sweep_table)
        for line in _break_even_lines(report.sweep):
            console.print(line, markup=False, highlight=False, soft_wrap=True)
    return buffer.getvalue()


def _shown_points(sweep: SweepReport) -> list[SweepPointReport]:
    step = max(1, (len(sweep.points) - 1) // (SWEEP_ROWS_SHOWN - 1))
    shown = sweep.points[::step]
    return shown if shown[-1] is sweep.points[-1] else [*shown, sweep.points[-1]]


def _break_even_lines(sweep: SweepReport) -> list[str]:
    if not sweep.break_evens:
        return [f"The cheapest stack is the same across the whole {sweep.parameter} range."]
    return [
        f"- Break-even at {break_even.value:,.4g} {sweep.parameter} a month: below it {break_even.cheaper_below} "
        f"is cheapest, above it {break_even.cheaper_above} ({_money(break_even.monthly_cost)} a month there)."
        for break_even in sweep.break_evens
    ]


def _footnotes(report: Report) -> list[str]:
    lines = []
    if report.free_tier_applied:
        lines.append("Free tiers applied (each allowance once per stack, as if the stack were alone on its account).")
    for stack in report.stacks:
        if stack.excludes:
            lines.append(f"- {stack.stack}: total {stack.excludes}")
        lines.extend(f"- {stack.stack}: {note}" for note in stack.notes)
        if stack.capacity_reason:
            lines.append(f"- {stack.stack}: {stack.capacity_reason}")
    if report.commitment:
        lines.append(
            f"Commitment {report.commitment}: each line at its catalog discount where a commitment covers it; "
            "spot VMs, free tiers, request-based Cloud Run and the rest stay at list price (JSON: commitment_note)."
        )
    return lines


def _stack_title(stack: str, cheapest: str | None) -> str:
    return f"{stack} ({CHEAPEST_MARK})" if stack == cheapest else stack


def _markdown_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"
