"""Traffic sweep: each stack priced across a range of one usage value, and where the cheapest stack changes."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from costs.catalog import Catalog
from costs.estimate import estimate_stack
from costs.usage import Usage
from plan import Plan

SWEEP_POINTS = 41
BISECTION_STEPS = 60
PARAMETER_ALIASES = {"requests": "monthly_requests"}
_SPEC = re.compile(r"^(?P<name>[a-z_]+)=(?P<start>[^:]+):(?P<stop>[^:]+)$")


class SweepError(ValueError):
    """A bad --sweep value; the message says what is expected."""


@dataclass(frozen=True)
class SweepRange:
    parameter: str
    start: float
    stop: float

    @property
    def usage_field(self) -> str:
        return PARAMETER_ALIASES.get(self.parameter, self.parameter)


@dataclass(frozen=True)
class SweepPoint:
    """Each stack's monthly total at one value; None where the stack cannot serve that traffic's peak."""

    value: float
    totals: dict[str, float | None]

    @property
    def cheapest(self) -> str | None:
        served = {stack: total for stack, total in self.totals.items() if total is not None}
        return min(served, key=lambda stack: served[stack]) if served else None


@dataclass(frozen=True)
class BreakEven:
    """Below `value` `cheaper_below` costs least, above it `cheaper_above` does."""

    value: float
    cheaper_below: str
    cheaper_above: str
    monthly_cost: float


@dataclass(frozen=True)
class SweepResult:
    range: SweepRange
    points: list[SweepPoint]
    break_evens: list[BreakEven]


def parse_sweep(spec: str) -> SweepRange:
    """`requests=1e5:1e9` → a range over Usage.monthly_requests (any numeric Usage field may be swept)."""
    match = _SPEC.match(spec.strip())
    if match is None:
        raise SweepError(f"--sweep {spec!r}: expected NAME=START:STOP, e.g. requests=1e5:1e9")
    parameter = match["name"]
    field = PARAMETER_ALIASES.get(parameter, parameter)
    if field not in Usage.model_fields:
        known = ", ".join([*PARAMETER_ALIASES, *Usage.model_fields])
        raise SweepError(f"--sweep {spec!r}: unknown usage value {parameter!r} (one of: {known})")
    try:
        start, stop = float(match["start"]), float(match["stop"])
    except ValueError as error:
        raise SweepError(f"--sweep {spec!r}: START and STOP must be numbers") from error
    if not 0 < start < stop or not math.isfinite(stop):
        raise SweepError(f"--sweep {spec!r}: need 0 < START < STOP")
    return SweepRange(parameter, start, stop)


def sweep(
    plans: Sequence[Plan],
    usages: dict[str, Usage],
    catalog: Catalog,
    sweep_range: SweepRange,
    free_tier: bool = False,
    points: int = SWEEP_POINTS,
) -> SweepResult:
    """Totals per plan at log-spaced values of one usage field, and where the cheapest plan changes.

    `usages` is keyed by each plan's title; the swept field overrides it at every point.
    """

    def totals_at(value: float) -> dict[str, float | None]:
        totals: dict[str, float | None] = {}
        for plan in plans:
            usage = usages[plan.title].with_values(**{sweep_range.usage_field: value})
            estimate = estimate_stack(plan, usage, catalog, free_tier)
            served = estimate.capacity is None or estimate.capacity.capacity_ok
            totals[plan.title] = estimate.monthly_total if served else None
        return totals

    values = _log_space(sweep_range.start, sweep_range.stop, points)
    samples = [SweepPoint(value, totals_at(value)) for value in values]
    break_evens = []
    for left, right in itertools.pairwise(samples):
        below, above = left.cheapest, right.cheapest
        if below is None or above is None or below == above:
            continue
        if any(point.totals[stack] is None for point in (left, right) for stack in (below, above)):
            continue  # one stack reached its capacity: no crossing of two cost lines
        break_evens.append(_crossing(left, right, below, above, totals_at))
    return SweepResult(sweep_range, samples, break_evens)


def _crossing(
    left: SweepPoint,
    right: SweepPoint,
    below: str,
    above: str,
    totals_at: Callable[[float], dict[str, float | None]],
) -> BreakEven:
    low, high = left.value, right.value
    for _ in range(BISECTION_STEPS):
        middle = math.sqrt(low * high)
        totals = totals_at(middle)
        below_total, above_total = totals[below], totals[above]
        if below_total is not None and above_total is not None and below_total <= above_total:
            low = middle
        else:
            high = middle
    return BreakEven(high, below, above, totals_at(high)[above] or 0.0)


def _log_space(start: float, stop: float, points: int) -> list[float]:
    step = (math.log(stop) - math.log(start)) / (points - 1)
    return [math.exp(math.log(start) + index * step) for index in range(points)]
