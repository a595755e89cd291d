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


class ResourceReport(BaseModel):
    model_config = ConfigDict(extra="ignore")

    urn: str
    type: str
    name: str
    monthly_cost: float
    components: list[ComponentReport] = []
    note: str | None = None


class UnpricedReport(BaseModel):
    model_config = ConfigDict(extra="ignore")

    urn: str
    type: str
    name: str
    reason: str
    component: str | None = None


class StackReport(BaseModel):
    model_config = ConfigDict(extra="ignore")

    stack: str
    monthly_total: float
    excludes: str = ""
    resources: list[ResourceReport]
    unpriced: list[UnpricedReport] = []
    notes: list[str] = []


class SweepPointReport(BaseModel):
    value: float
    totals: dict[str, float]
    cheapest: str


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
    stacks: list[StackReport]
    sweep: SweepReport | None = None

    def with_sweep(self, result: SweepResult) -> Report:
        sweep = SweepReport(
            parameter=result.range.parameter,
            usage_field=result.range.usage_field,
            points=[
                SweepPointReport(
                    value=point.value,
                    totals={stack: round(total, MONEY_DECIMALS) for stack, total in point.totals.items()},
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


def build_report(estimates: Sequence[StackEstimate], catalog: Catalog, free_tier: bool) -> Report:
    return Report(
        currency=catalog.currency,
        hours_per_month=catalog.hours_per_month,
        free_tier_applied=free_tier,
        stacks=[_stack_report(estimate) for estimate in estimates],
    )


def _stack_report(estimate: StackEstimate) -> StackReport:
    return StackReport(
        stack=estimate.stack,
        monthly_total=round(estimate.monthly_total, MONEY_DECIMALS),
        excludes=estimate.excludes(),
        resources=[
            ResourceReport(
                urn=resource.urn,
                type=resource.type,
                name=resource.name,
                monthly_cost=round(resource.monthly_cost, MONEY_DECIMALS),
                note=resource.note,
                components=[
                    ComponentReport(
                        name=component.name,
                        kind=component.kind,
                        unit=component.unit,
                        quantity=component.quantity,
                        unit_price=component.unit_price,
                        monthly_cost=round(component.monthly_cost, MONEY_DECIMALS),
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
    lines.append(_markdown_row(["Unpriced items", *[str(len(stack.unpriced)) for stack in report.stacks]]))
    lines.append("")
    lines.extend(_footnotes(report))
    if report.sweep:
        stacks = list(report.sweep.points[0].totals)
        lines += ["", f"Monthly cost against {report.sweep.parameter}:", ""]
        lines.append(_markdown_row([report.sweep.parameter, *stacks, "cheapest"]))
        lines.append(_markdown_row(["---:", *["---:"] * len(stacks), "---"]))
        for point in _shown_points(report.sweep):
            lines.append(
                _markdown_row([f"{point.value:,.3g}", *[_money(point.totals[name]) for name in stacks], point.cheapest])
            )
        lines += ["", *_break_even_lines(report.sweep)]
    return "\n".join(lines).rstrip() + "\n"


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
    table.add_row("Unpriced items", *[str(len(stack.unpriced)) for stack in report.stacks])
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    console.print(table)
    for line in _footnotes(report):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    if report.sweep:
        stacks = list(report.sweep.points[0].totals)
        sweep_table = Table(title=f"Monthly cost against {report.sweep.parameter}")
        sweep_table.add_column(report.sweep.parameter, justify="right")
        for name in stacks:
            sweep_table.add_column(name, justify="right")
        sweep_table.add_column("cheapest")
        for point in _shown_points(report.sweep):
            sweep_table.add_row(f"{point.value:,.3g}", *[_money(point.totals[name]) for name in stacks], point.cheapest)
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
    return lines


def _stack_title(stack: str, cheapest: str | None) -> str:
    return f"{stack} ({CHEAPEST_MARK})" if stack == cheapest else stack


def _markdown_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _money(value: float) -> str:
    return f"{value:,.2f}"
