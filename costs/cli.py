"""`cost` commands: price stacks side by side (`cost --stack dev --stack prod`) and diff two reports.

Mounted by infra/cli.py as `app.add_typer(cost_app, name="cost")`; `--stack` plans through the StackPlanner the
entry point puts in the command's context (`context.obj`), so this package never imports the engine.
"""

from __future__ import annotations

import dataclasses
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from costs.catalog import CatalogError, load_catalog
from costs.chart import draw_sweep_chart
from costs.diff import DiffError, StackDelta, diff_reports, exceeds, load_report, render_diff_markdown
from costs.estimate import estimate_stack
from costs.report import build_region_compare, build_report, render_json, render_markdown, render_table
from costs.sweep import SweepError, parse_sweep, sweep
from costs.usage import DEFAULT_USAGE_PATH, UsageError, load_usage
from plan import Plan, PlanFormatError, StackPlanner, plan_from_dict, plan_from_preview, plan_from_state, read_json

DEFAULT_CHART_SWEEP = "requests=1e5:1e9"
BAD_INPUT_EXIT = 2
OVER_BUDGET_EXIT = 1


class OutputFormat(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"


class CommitmentTerm(StrEnum):
    none = "none"
    one_year = "1y"
    three_years = "3y"


cost_app = typer.Typer(
    help="Monthly cost estimates of stacks, offline, side by side; and diffs of two estimates.",
    invoke_without_command=True,
    no_args_is_help=False,
)


@cost_app.callback()
def cost(
    context: typer.Context,
    stack: Annotated[list[str] | None, typer.Option("--stack", help="Price a stack's offline plan.")] = None,
    plan: Annotated[list[Path] | None, typer.Option("--plan", help="Price a plan JSON (plan --json).")] = None,
    preview: Annotated[
        list[Path] | None, typer.Option("--preview", help="Price a `pulumi preview --json` output.")
    ] = None,
    state: Annotated[list[Path] | None, typer.Option("--state", help="Price a `pulumi stack export`.")] = None,
    usage: Annotated[Path, typer.Option("--usage", help="Usage assumptions (YAML).")] = DEFAULT_USAGE_PATH,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
    chart: Annotated[Path | None, typer.Option("--chart", help="Draw cost against traffic to this PNG.")] = None,
    sweep_spec: Annotated[
        str | None, typer.Option("--sweep", help="Price across a usage range, e.g. requests=1e5:1e9.")
    ] = None,
    free_tier: Annotated[bool, typer.Option("--free-tier", help="Apply monthly free tiers.")] = False,
    commitment: Annotated[
        CommitmentTerm,
        typer.Option("--commitment", help="Show committed-use prices beside list prices (catalog discounts)."),
    ] = CommitmentTerm.none,
    region_compare: Annotated[
        list[str] | None,
        typer.Option(
            "--region-compare",
            help="Also price the same stacks in each REGION, side by side (repeat it or give a comma list).",
        ),
    ] = None,
    use_cache: Annotated[
        bool, typer.Option("--cache/--no-cache", help="Reuse offline plans while program and stack are unchanged.")
    ] = True,
) -> None:
    """Price one or more stacks for a month: one column per stack, the cheapest marked."""
    if context.invoked_subcommand is not None:
        return
    try:
        catalog = load_catalog()
        usage_file = load_usage(usage)
        plans = _load_plans(context.obj, stack or [], plan or [], preview or [], state or [], use_cache)
        if not plans:
            _fail("give at least one --stack, --plan, --preview or --state to price")
        usages = {stack_plan.title: usage_file.for_stack(stack_plan.stack, str(usage)) for stack_plan in plans}
        term = None if commitment is CommitmentTerm.none else commitment.value
        estimates = [
            estimate_stack(stack_plan, usages[stack_plan.title], catalog, free_tier, commitment=term)
            for stack_plan in plans
        ]
        report = build_report(estimates, catalog, free_tier, term)
        regions = _regions(region_compare or [], catalog.regions())
        if regions:
            by_region = {
                stack_plan.title: [
                    estimate_stack(stack_plan, usages[stack_plan.title], catalog, free_tier, region, term)
                    for region in regions
                ]
                for stack_plan in plans
            }
            report = report.with_region_compare(build_region_compare(regions, by_region))
        sweep_result = None
        if sweep_spec or chart:
            sweep_range = parse_sweep(sweep_spec or DEFAULT_CHART_SWEEP)
            sweep_result = sweep(plans, usages, catalog, sweep_range, free_tier)
            report = report.with_sweep(sweep_result)
    except (CatalogError, UsageError, PlanFormatError, SweepError) as error:
        _fail(str(error))
    if chart and sweep_result:
        draw_sweep_chart(sweep_result, chart, catalog.currency)
    renderers = {
        OutputFormat.table: render_table,
        OutputFormat.markdown: render_markdown,
        OutputFormat.json: render_json,
    }
    typer.echo(renderers[output_format](report), nl=False)
    if output_format is OutputFormat.json:
        typer.echo()


@cost_app.command("diff")
def diff(
    base: Annotated[Path, typer.Argument(help="The base branch's `cost --format json` report.")],
    head: Annotated[Path, typer.Argument(help="The pull request's `cost --format json` report.")],
    output_format: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.markdown,
    fail_above: Annotated[
        float | None, typer.Option("--fail-above", help="Exit 1 when a stack's cost rises more than PCT percent.")
    ] = None,
) -> None:
    """Cost deltas per stack and resource between two reports, for a pull-request comment."""
    try:
        base_report, head_report = load_report(base), load_report(head)
    except DiffError as error:
        _fail(str(error))
    deltas = diff_reports(base_report, head_report)
    if output_format is OutputFormat.json:
        typer.echo(_deltas_json(deltas, head_report.currency))
    else:
        typer.echo(render_diff_markdown(deltas, head_report.currency), nl=False)
    if fail_above is not None:
        over = exceeds(deltas, fail_above)
        if over:
            names = ", ".join(delta.stack for delta in over)
            typer.echo(f"cost rose more than {fail_above:g}% in: {names}", err=True)
            raise typer.Exit(OVER_BUDGET_EXIT)


def _load_plans(
    planner: StackPlanner | None,
    stacks: list[str],
    plans: list[Path],
    previews: list[Path],
    states: list[Path],
    use_cache: bool,
) -> list[Plan]:
    if stacks and planner is None:
        _fail("--stack needs the offline planner: run this as `python -m infra.cli cost`")
    loaded = [planner(name, cache=use_cache) for name in stacks] if planner else []
    loaded += [plan_from_dict(read_json(path), str(path)) for path in plans]
    loaded += [_labelled(plan_from_preview(read_json(path), str(path)), "preview") for path in previews]
    loaded += [_labelled(plan_from_state(read_json(path), str(path)), "state") for path in states]
    seen: set[str] = set()
    unique = []
    for stack_plan in loaded:
        title, copy = stack_plan.title, 2
        while title in seen:
            title, copy = f"{stack_plan.title} #{copy}", copy + 1
        seen.add(title)
        unique.append(dataclasses.replace(stack_plan, label=title))
    return unique


def _regions(values: list[str], priced: list[str]) -> list[str]:
    """`--region-compare` values (repeated or comma-separated), each a region some catalog price is given for."""
    regions = [region.strip() for value in values for region in value.split(",") if region.strip()]
    unknown = [region for region in regions if region not in priced]
    if unknown:
        _fail(f"--region-compare: no catalog prices for {', '.join(unknown)} (priced: {', '.join(priced)})")
    return list(dict.fromkeys(regions))


def _labelled(stack_plan: Plan, source: str) -> Plan:
    """A preview or an export is shown as `<stack> (preview)` / `<stack> (state)`, beside the offline plan."""
    return dataclasses.replace(stack_plan, label=f"{stack_plan.stack} ({source})")


def _deltas_json(deltas: list[StackDelta], currency: str) -> str:
    return json.dumps(
        {
            "currency": currency,
            "stacks": [
                {
                    "stack": delta.stack,
                    "base": delta.base,
                    "head": delta.head,
                    "delta": round(delta.delta, 2),
                    "percent": None if delta.percent is None else round(delta.percent, 2),
                    "resources": [dataclasses.asdict(resource) for resource in delta.resources],
                }
                for delta in deltas
            ],
        },
        indent=2,
    )


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(BAD_INPUT_EXIT)
