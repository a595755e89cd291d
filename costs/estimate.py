"""Plan → estimate: one line per resource and cost component, free tiers applied on request, nothing dropped.

Every resource of a plan ends in exactly one place: priced (with components, possibly none when the resource
is free by itself, with the reason) or unpriced (with the reason). Parts of a priced resource that have no
price (a read replica, a GPU with no list price) are listed as unpriced too, so a total always says what it
leaves out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from costs.catalog import GLOBAL_REGION, Catalog, UnpricedError
from costs.pricers import PRICERS, free_reason
from costs.pricing import Component, ResourcePricing, StackContext
from costs.usage import Usage
from facts.gcp import ZONE
from plan import Plan, PlannedResource

FREE_TIER_KIND = "Free tier"


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
