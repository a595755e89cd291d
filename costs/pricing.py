"""What a pricer works with: the resource in its region, the usage, the catalog; and the lines it adds.

Shared by the pricers (costs/pricers.py) and the estimate that runs them (costs/estimate.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from costs.catalog import Catalog, Price, UnpricedError
from costs.usage import Usage
from plan import Plan, PlannedResource

SECONDS_PER_HOUR = 3600


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


@dataclass(frozen=True)
class Serving:
    """A resource that serves the requests: its hardware shape, what one unit (instance or pod) of it serves a
    second (None when usage has no figure for the shape), and how many units it may run (None: no limit set)."""

    name: str
    shape: str
    unit: str
    per_unit_requests_per_second: float | None
    max_units: float | None


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
