"""Two JSON reports (base and head of a pull request) → deltas per stack and resource, for a PR comment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from costs.report import Report, StackReport
from plan import PlanFormatError, read_json


class DiffError(ValueError):
    """A report file that is not a `cost --format json` report; the message names the file."""


@dataclass(frozen=True)
class ResourceDelta:
    name: str
    type: str
    base: float
    head: float

    @property
    def delta(self) -> float:
        return self.head - self.base


@dataclass(frozen=True)
class StackDelta:
    stack: str
    base: float | None
    head: float | None
    resources: list[ResourceDelta]

    @property
    def delta(self) -> float:
        return (self.head or 0.0) - (self.base or 0.0)

    @property
    def percent(self) -> float | None:
        """The change relative to base; None when there is no base cost to compare with."""
        if not self.base:
            return None if self.delta else 0.0
        return 100 * self.delta / self.base


def load_report(path: Path) -> Report:
    try:
        return Report.model_validate(read_json(path))
    except PlanFormatError as error:
        raise DiffError(str(error)) from error
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'file'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise DiffError(f"{path}: not a cost report (--format json): {problems}") from error


def diff_reports(base: Report, head: Report) -> list[StackDelta]:
    """Stacks in either report, in head's order then base-only ones; only resources whose cost changed."""
    base_stacks = {stack.stack: stack for stack in base.stacks}
    head_stacks = {stack.stack: stack for stack in head.stacks}
    names = [*head_stacks, *[name for name in base_stacks if name not in head_stacks]]
    return [_stack_delta(name, base_stacks.get(name), head_stacks.get(name)) for name in names]


def exceeds(deltas: list[StackDelta], percent_limit: float) -> list[StackDelta]:
    """Stacks whose cost rose by more than `percent_limit` percent (a new stack that costs anything counts)."""
    return [delta for delta in deltas if delta.delta > 0 and (delta.percent is None or delta.percent > percent_limit)]


def render_diff_markdown(deltas: list[StackDelta], currency: str) -> str:
    lines = [
        f"### Monthly cost change ({currency})",
        "",
        "| Stack | Base | Head | Change | Change % |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for delta in deltas:
        lines.append(
            f"| {delta.stack} | {_money(delta.base)} | {_money(delta.head)} | {_signed(delta.delta)} "
            f"| {_percent(delta.percent)} |"
        )
    for delta in deltas:
        if not delta.resources:
            continue
        lines += [
            "",
            f"<details><summary>{delta.stack}: {len(delta.resources)} resource(s) changed</summary>",
            "",
            "| Resource | Type | Base | Head | Change |",
            "| --- | --- | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {resource.name} | `{resource.type}` | {_money(resource.base)} | {_money(resource.head)} "
            f"| {_signed(resource.delta)} |"
            for resource in delta.resources
        ]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _stack_delta(name: str, base: StackReport | None, head: StackReport | None) -> StackDelta:
    base_costs = _resource_costs(base)
    head_costs = _resource_costs(head)
    resources = []
    for urn in [*head_costs, *[urn for urn in base_costs if urn not in head_costs]]:
        resource_name, resource_type, head_cost = head_costs.get(urn, (None, None, 0.0))
        base_name, base_type, base_cost = base_costs.get(urn, (None, None, 0.0))
        if round(head_cost - base_cost, 2) != 0:
            resources.append(
                ResourceDelta(resource_name or base_name or urn, resource_type or base_type or "", base_cost, head_cost)
            )
    return StackDelta(name, base.monthly_total if base else None, head.monthly_total if head else None, resources)


def _resource_costs(stack: StackReport | None) -> dict[str, tuple[str, str, float]]:
    if stack is None:
        return {}
    return {resource.urn: (resource.name, resource.type, resource.monthly_cost) for resource in stack.resources}


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _signed(value: float) -> str:
    return f"{value:+,.2f}"


def _percent(value: float | None) -> str:
    return "new" if value is None else f"{value:+.1f}%"
