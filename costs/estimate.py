"""Plan → estimate: one line per resource and cost component, free tiers applied on request, nothing dropped.

Every resource of a plan ends in exactly one place: priced (with components, possibly none when the resource
is free by itself, with the reason) or unpriced (with the reason). Parts of a priced resource that have no
price (a read replica, a GPU with no list price) are listed as unpriced too, so a total always says what it
leaves out.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from dataclasses import dataclass, field

from costs.catalog import FREE_TIER_NOT_COVERED, GLOBAL_REGION, Catalog, Commitment, UnpricedError
from costs.pricers import MILLION, PRICERS, free_reason
from costs.pricing import SECONDS_PER_HOUR, Component, ResourcePricing, Serving, StackContext
from costs.usage import Usage
from facts.gcp import ZONE
from plan import Plan, PlannedResource

FREE_TIER_KIND = "Free tier"
CANNOT_SERVE_THE_PEAK = "cannot serve the peak"


@dataclass
class ResourceEstimate:
    """A priced resource: its components (none when it is free by itself, with the reason in `note`)."""

    urn: str
    type: str
    name: str
    components: list[Component] = field(default_factory=list)
    note: str | None = None

    @property
    def monthly_cost(self) -> float:
        return sum(component.monthly_cost for component in self.components)

    @property
    def committed_monthly_cost(self) -> float:
        return sum(component.committed_monthly_cost for component in self.components)


@dataclass(frozen=True)
class Capacity:
    """Whether a stack can carry its traffic: units needed on average and at the peak, against the most it runs."""

    average_requests_per_second: float
    peak_factor: float
    instances_needed_average: float | None
    instances_needed_peak: float | None
    max_instances: float | None
    max_requests_per_second: float | None
    capacity_ok: bool
    reason: str | None
    unit: str = "instance"
    per_unit_requests_per_second: float | None = None


@dataclass(frozen=True)
class Unpriced:
    """A resource, or one part of it, that has no price, and why."""

    urn: str
    type: str
    name: str
    reason: str
    component: str | None = None


@dataclass
class StackEstimate:
    """The estimate of one stack for a month."""

    stack: str
    resources: list[ResourceEstimate]
    unpriced: list[Unpriced]
    notes: list[str] = field(default_factory=list)
    region: str | None = None
    commitment: str | None = None
    monthly_requests: float = 0
    capacity: Capacity | None = None

    @property
    def monthly_total(self) -> float:
        return sum(resource.monthly_cost for resource in self.resources)

    @property
    def committed_monthly_total(self) -> float:
        return sum(resource.committed_monthly_cost for resource in self.resources)

    @property
    def per_million_requests(self) -> float | None:
        """Dollars per million requests at the stated traffic (the committed total when a commitment applies)."""
        if not self.monthly_requests:
            return None
        total = self.committed_monthly_total if self.commitment else self.monthly_total
        return total / (self.monthly_requests / MILLION)

    def excludes(self) -> str:
        """What the total leaves out, in words ("" when nothing)."""
        if not self.unpriced:
            return ""
        items = ", ".join(
            f"{item.name}{' ' + item.component if item.component else ''} ({item.reason})" for item in self.unpriced
        )
        return f"excludes {len(self.unpriced)} unpriced: {items}"


def estimate_stack(
    plan: Plan,
    usage: Usage,
    catalog: Catalog,
    free_tier: bool = False,
    region: str | None = None,
    commitment: str | None = None,
) -> StackEstimate:
    """Price every resource of a plan for one month: in its own regions, or all in `region` when given; at list
    price, and beside it at the `commitment` term's committed price ("1y" or "3y") when given."""
    context = StackContext(plan)
    default_region = region or _most_common_region(plan)
    resources: list[ResourceEstimate] = []
    unpriced: list[Unpriced] = []
    notes: list[str] = []
    serving: list[Serving] = []
    for resource in plan.resources:
        reason_free = free_reason(resource, catalog)
        if reason_free is not None:
            resources.append(ResourceEstimate(resource.urn, resource.type, resource.name, note=f"free: {reason_free}"))
            continue
        pricer = PRICERS.get(resource.type)
        if pricer is None:
            unpriced.append(_unpriced(resource, f"no price model for resource type {resource.type}"))
            continue
        resource_location = region or resource_region(resource) or default_region or GLOBAL_REGION
        pricing = ResourcePricing(resource, resource_location, usage, catalog, context)
        try:
            pricer(pricing)
        except UnpricedError as error:
            unpriced.append(_unpriced(resource, str(error)))
            continue
        resources.append(
            ResourceEstimate(resource.urn, resource.type, resource.name, pricing.components, pricing.description)
        )
        unpriced.extend(_unpriced(resource, reason, part) for part, reason in pricing.gaps)
        notes.extend(pricing.notes)
        serving.extend(pricing.serving)
    if free_tier:
        _apply_free_tiers(resources, catalog)
    if commitment is not None:
        _apply_commitment(resources, catalog, commitment)
    return StackEstimate(
        plan.title,
        resources,
        unpriced,
        notes,
        region=default_region,
        commitment=commitment,
        monthly_requests=usage.monthly_requests,
        capacity=stack_capacity(serving, usage, catalog.hours_per_month),
    )


def stack_capacity(serving: list[Serving], usage: Usage, hours_per_month: float) -> Capacity | None:
    """Instances (or pods) the stack's traffic needs on average and at its peak, and whether the most it may run
    carries the peak. None when nothing in the stack serves requests."""
    if not serving:
        return None
    average_rps = usage.monthly_requests / (hours_per_month * SECONDS_PER_HOUR)
    peak_rps = average_rps * usage.peak_factor
    known = [server for server in serving if server.per_unit_requests_per_second is not None]
    if not known:
        shapes = ", ".join(sorted({server.shape for server in serving}))
        reason = f"no throughput figure for {shapes} in the usage file"
        return Capacity(average_rps, usage.peak_factor, None, None, None, None, True, reason, serving[0].unit)
    per_unit = sum(server.per_unit_requests_per_second or 0 for server in known) / len(known)
    limits = [server.max_units for server in known]
    max_units = None if any(limit is None for limit in limits) else sum(limit or 0 for limit in limits)
    needed_average = average_rps / per_unit
    needed_peak = peak_rps / per_unit
    max_rps = None if max_units is None else max_units * per_unit
    unit = known[0].unit
    if max_units is not None and math.ceil(needed_peak - 1e-9) > max_units:
        reason = (
            f"{CANNOT_SERVE_THE_PEAK}: {peak_rps:,.0f} requests/s at {usage.peak_factor:g}x the average needs "
            f"{math.ceil(needed_peak)} {unit}s of {known[0].shape} at {per_unit:g}/s; at most {max_units:g} run"
        )
        return Capacity(
            average_rps,
            usage.peak_factor,
            needed_average,
            needed_peak,
            max_units,
            max_rps,
            False,
            reason,
            unit,
            per_unit,
        )
    return Capacity(
        average_rps, usage.peak_factor, needed_average, needed_peak, max_units, max_rps, True, None, unit, per_unit
    )


def resource_region(resource: PlannedResource) -> str | None:
    """The region a resource lives in: `region`, or `location` (a zone becomes its region)."""
    for key in ("region", "location"):
        value = resource.inputs.get(key)
        if isinstance(value, str) and value and not value.startswith("["):
            zone = ZONE.match(value)
            return zone.group("region") if zone else value
    return None


def _most_common_region(plan: Plan) -> str | None:
    regions = Counter(region for resource in plan.resources if (region := resource_region(resource)))
    return regions.most_common(1)[0][0] if regions else None


def _unpriced(resource: PlannedResource, reason: str, component: str | None = None) -> Unpriced:
    return Unpriced(resource.urn, resource.type, resource.name, reason, component)


def _apply_free_tiers(resources: list[ResourceEstimate], catalog: Catalog) -> None:
    """Each free allowance is used once per stack, first come first served, as a negative component."""
    for free_tier in catalog.free_tiers:
        credit = free_tier.credit
        remaining: float | None = free_tier.quantity
        if remaining is not None and free_tier.valued_in is not None:
            credit, remaining = remaining * catalog.price(free_tier.applies_to, free_tier.valued_in).price, None
        for resource in resources:
            for component in list(resource.components):
                if component.price_id != free_tier.applies_to or not component.free_tier_eligible:
                    continue
                if remaining is None:
                    assert credit is not None
                    remaining = credit / component.unit_price
                used = min(remaining, component.quantity)
                if used <= 0:
                    continue
                remaining -= used
                resource.components.append(
                    Component(
                        f"free tier: {free_tier.description}",
                        FREE_TIER_KIND,
                        component.unit,
                        -used,
                        component.unit_price,
                        component.price_id,
                        free_tier_eligible=False,
                    )
                )


def _apply_commitment(resources: list[ResourceEstimate], catalog: Catalog, term: str) -> None:
    """Each line gets its committed unit price when a commitment of `term` covers it, else the reason it cannot."""
    for resource in resources:
        committed: list[Component] = []
        for component in resource.components:
            if component.kind == FREE_TIER_KIND:
                committed.append(dataclasses.replace(component, commitment_note=FREE_TIER_NOT_COVERED))
                continue
            cover = catalog.commitment_for(component.price_id, term)
            if isinstance(cover, Commitment):
                discounted = component.unit_price * (1 - cover.discount)
                committed.append(dataclasses.replace(component, committed_unit_price=discounted))
            else:
                committed.append(dataclasses.replace(component, commitment_note=cover))
        resource.components = committed
