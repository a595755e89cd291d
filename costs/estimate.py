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

from costs.catalog import FREE_TIER_NOT_COVERED, GLOBAL_REGION, Catalog, Commitment, Price, UnpricedError
from costs.pricers import PRICERS, SECONDS_PER_HOUR, free_reason
from costs.usage import Usage
from facts.gcp import ZONE
from plan import Plan, PlannedResource

FREE_TIER_KIND = "Free tier"
MILLION = 1_000_000
CANNOT_SERVE_THE_PEAK = "cannot serve the peak"


@dataclass(frozen=True)
class Component:
    """One priced line: a quantity for the month in the unit of the catalog price it uses."""

    name: str
    kind: str
    unit: str
    quantity: float
    unit_price: float
    price_id: str
    free_tier_eligible: bool = True
    committed_unit_price: float | None = None
    """The unit price under the stack's commitment, when one is applied and covers this line."""
    commitment_note: str | None = None
    """Why the applied commitment does not cover this line."""

    @property
    def monthly_cost(self) -> float:
        return self.quantity * self.unit_price

    @property
    def committed_monthly_cost(self) -> float:
        unit_price = self.unit_price if self.committed_unit_price is None else self.committed_unit_price
        return self.quantity * unit_price


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
class Serving:
    """A resource that serves the requests: its hardware shape, what one unit (instance or pod) of it serves a
    second (None when usage has no figure for the shape), and how many units it may run (None: no limit set)."""

    name: str
    shape: str
    unit: str
    per_unit_requests_per_second: float | None
    max_units: float | None


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


class ResourcePricing:
    """What a pricer sees: the resource, its region, the usage, the catalog; it adds components and gaps."""

    def __init__(self, resource: PlannedResource, region: str, usage: Usage, catalog: Catalog, stack: StackContext):
        self.resource = resource
        self.inputs = resource.inputs
        self.region = region
        self.usage = usage
        self.catalog = catalog
        self.stack = stack
        self.hours = catalog.hours_per_month
        self.components: list[Component] = []
        self.gaps: list[tuple[str, str]] = []
        self.notes: list[str] = []
        self.description: str | None = None
        self.serving: list[Serving] = []

    def add(self, name: str, kind: str, price_id: str, quantity: float, free_tier_eligible: bool = True) -> None:
        """A component at the catalog's `price_id` in the resource's region; a missing price is a gap."""
        try:
            price = self.catalog.price(price_id, self.region)
        except UnpricedError as error:
            self.gaps.append((name, str(error)))
            return
        self._append(name, kind, price, quantity, free_tier_eligible)

    def add_band(self, name: str, kind: str, group: str, band_quantity: float, quantity: float) -> None:
        """A component priced at the band of `group` that holds `band_quantity` (e.g. a capacity tier)."""
        try:
            price = self.catalog.band(group, self.region, band_quantity)
        except UnpricedError as error:
            self.gaps.append((name, str(error)))
            return
        self._append(f"{name}, {price.id.rsplit('.', 1)[-1]}", kind, price, quantity)

    def add_graduated(self, name: str, kind: str, group: str, quantity: float) -> None:
        """Components for `quantity` split across the graduated tiers of `group` (e.g. egress per TB band)."""
        try:
            bands = self.catalog.tiers(group, self.region)
        except UnpricedError as error:
            self.gaps.append((name, str(error)))
            return
        for price in bands:
            assert price.tier is not None
            upper = quantity if price.tier.up_to is None else min(quantity, price.tier.up_to)
            in_band = upper - price.tier.above
            if in_band > 0:
                self._append(f"{name}, {price.id.rsplit('.', 1)[-1]}", kind, price, in_band)

    def gap(self, name: str, reason: str) -> None:
        """A part of the resource that costs money but has no price here."""
        self.gaps.append((name, reason))

    def note(self, text: str) -> None:
        self.notes.append(f"{self.resource.name}: {text}")

    def describe(self, text: str) -> None:
        """Why a priced resource has no cost line of its own."""
        self.description = text

    def serve(self, shape: str, unit: str, max_units: float | None) -> None:
        """This resource serves the requests on hardware `shape`, at most `max_units` instances or pods."""
        throughput = self.usage.throughput.get(shape)
        per_unit = throughput.requests_per_second if throughput is not None else None
        self.serving.append(Serving(self.resource.name, shape, unit, per_unit, max_units))

    def _append(self, name: str, kind: str, price: Price, quantity: float, free_tier_eligible: bool = True) -> None:
        self.components.append(Component(name, kind, price.unit, quantity, price.price, price.id, free_tier_eligible))


@dataclass
class StackContext:
    """Facts about the whole stack a pricer needs: the plan and counters shared across resources."""

    plan: Plan
    forwarding_rules_seen: int = 0

    def of_type(self, resource_type: str) -> list[PlannedResource]:
        return [resource for resource in self.plan.resources if resource.type == resource_type]


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
            average_rps, usage.peak_factor, needed_average, needed_peak, max_units, max_rps, False, reason, unit
        )
    return Capacity(average_rps, usage.peak_factor, needed_average, needed_peak, max_units, max_rps, True, None, unit)


def max_monthly_requests(estimate: StackEstimate, usage: Usage, hours_per_month: float) -> float | None:
    """The most requests a month the stack can serve with its peak inside its capacity (None: no known limit)."""
    capacity = estimate.capacity
    if capacity is None or capacity.max_requests_per_second is None:
        return None
    return capacity.max_requests_per_second / usage.peak_factor * hours_per_month * SECONDS_PER_HOUR


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
        remaining: float | None = free_tier.quantity
        for resource in resources:
            for component in list(resource.components):
                if component.price_id != free_tier.applies_to or not component.free_tier_eligible:
                    continue
                if remaining is None:
                    assert free_tier.credit is not None
                    remaining = free_tier.credit / component.unit_price
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
                committed.append(_replace(component, commitment_note=FREE_TIER_NOT_COVERED))
                continue
            cover = catalog.commitment_for(component.price_id, term)
            if isinstance(cover, Commitment):
                committed.append(_replace(component, committed_unit_price=component.unit_price * (1 - cover.discount)))
            else:
                committed.append(_replace(component, commitment_note=cover))
        resource.components = committed


def _replace(component: Component, **changes: object) -> Component:
    return dataclasses.replace(component, **changes)  # type: ignore[arg-type]
