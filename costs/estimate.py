"""Plan → estimate: one line per resource and cost component, free tiers applied on request, nothing dropped.

Every resource of a plan ends in exactly one place: priced (with components, possibly none when the resource
is free by itself, with the reason) or unpriced (with the reason). Parts of a priced resource that have no
price (a read replica, a GPU with no list price) are listed as unpriced too, so a total always says what it
leaves out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from costs.catalog import GLOBAL_REGION, Catalog, Price, UnpricedError
from costs.pricers import PRICERS, free_reason
from costs.usage import Usage
from facts.gcp import ZONE
from plan import Plan, PlannedResource

FREE_TIER_KIND = "Free tier"


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

    @property
    def monthly_cost(self) -> float:
        return self.quantity * self.unit_price


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

    @property
    def monthly_total(self) -> float:
        return sum(resource.monthly_cost for resource in self.resources)

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

    def _append(self, name: str, kind: str, price: Price, quantity: float, free_tier_eligible: bool = True) -> None:
        self.components.append(Component(name, kind, price.unit, quantity, price.price, price.id, free_tier_eligible))


@dataclass
class StackContext:
    """Facts about the whole stack a pricer needs: the plan and counters shared across resources."""

    plan: Plan
    forwarding_rules_seen: int = 0

    def of_type(self, resource_type: str) -> list[PlannedResource]:
        return [resource for resource in self.plan.resources if resource.type == resource_type]


def estimate_stack(plan: Plan, usage: Usage, catalog: Catalog, free_tier: bool = False) -> StackEstimate:
    """Price every resource of a plan for one month."""
    context = StackContext(plan)
    default_region = _most_common_region(plan)
    resources: list[ResourceEstimate] = []
    unpriced: list[Unpriced] = []
    notes: list[str] = []
    for resource in plan.resources:
        reason_free = free_reason(resource, catalog)
        if reason_free is not None:
            resources.append(ResourceEstimate(resource.urn, resource.type, resource.name, note=f"free: {reason_free}"))
            continue
        pricer = PRICERS.get(resource.type)
        if pricer is None:
            unpriced.append(_unpriced(resource, f"no price model for resource type {resource.type}"))
            continue
        region = resource_region(resource) or default_region or GLOBAL_REGION
        pricing = ResourcePricing(resource, region, usage, catalog, context)
        try:
            pricer(pricing)
        except UnpricedError as error:
            unpriced.append(_unpriced(resource, str(error)))
            continue
        resources.append(ResourceEstimate(resource.urn, resource.type, resource.name, pricing.components))
        unpriced.extend(_unpriced(resource, reason, part) for part, reason in pricing.gaps)
        notes.extend(pricing.notes)
    if free_tier:
        _apply_free_tiers(resources, catalog)
    return StackEstimate(plan.title, resources, unpriced, notes)


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
