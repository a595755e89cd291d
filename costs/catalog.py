"""The price catalog: a data file of list prices, each with its unit, region, source and date."""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

DEFAULT_CATALOG_PATH = Path(__file__).with_name("catalog.yaml")
GLOBAL_REGION = "global"
COMMITMENT_TERMS = ("1y", "3y")
FREE_TIER_NOT_COVERED = "a free-tier credit is not a charge a commitment can cover"
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CatalogError(ValueError):
    """The catalog file is missing, unreadable or breaks its schema."""


class UnpricedError(LookupError):
    """No price is known for what was asked; the message says what and where."""


class Tier(BaseModel):
    """The band of quantity (in the price's unit) a price covers: above `above`, up to `up_to` inclusive."""

    model_config = ConfigDict(extra="forbid")

    above: float = Field(ge=0)
    up_to: float | None = None

    def contains(self, quantity: float) -> bool:
        return quantity > self.above and (self.up_to is None or quantity <= self.up_to)


class Price(BaseModel):
    """One list price."""

    model_config = ConfigDict(extra="forbid")

    id: str
    description: str
    unit: str
    price: float = Field(ge=0)
    region: str
    source: str
    date: str
    tier: Tier | None = None

    @property
    def group(self) -> str:
        return self.id.rsplit(".", 1)[0]


def _expand_by_region(raw: Any) -> Any:
    """A `by_region` entry (one source, a price per region) becomes one Price per region."""
    if not isinstance(raw, dict) or "by_region" not in raw:
        return [raw]
    by_region = raw["by_region"]
    if not isinstance(by_region, dict) or not by_region or "price" in raw or "region" in raw:
        raise ValueError(f"price {raw.get('id')!r}: by_region must be a non-empty map of region: price, alone")
    common = {key: value for key, value in raw.items() if key != "by_region"}
    return [{**common, "region": region, "price": price} for region, price in by_region.items()]


class Commitment(BaseModel):
    """A committed-use discount: `discount` off the list price of every price id matching `applies_to`."""

    model_config = ConfigDict(extra="forbid")

    term: Literal["1y", "3y"]
    discount: float = Field(gt=0, lt=1)
    applies_to: list[str]
    description: str
    source: str
    date: str

    def covers(self, price_id: str) -> bool:
        return any(fnmatchcase(price_id, pattern) for pattern in self.applies_to)


class FreeTier(BaseModel):
    """A monthly free allowance, in the unit of the price it applies to, or as a money credit."""

    model_config = ConfigDict(extra="forbid")

    applies_to: str
    description: str
    source: str
    date: str
    quantity: float | None = Field(default=None, gt=0)
    credit: float | None = Field(default=None, gt=0)
    # A spending-based allowance: `quantity` is worth its price in this region wherever it is used.
    valued_in: str | None = None

    @model_validator(mode="after")
    def _quantity_or_credit(self) -> FreeTier:
        if (self.quantity is None) == (self.credit is None):
            raise ValueError(f"free tier for {self.applies_to!r} needs exactly one of quantity or credit")
        return self


class Catalog(BaseModel):
    """Every price the estimator knows, the free tiers, and the resource types that are free by themselves."""

    model_config = ConfigDict(extra="forbid")

    currency: str
    hours_per_month: int = Field(gt=0)
    prices: list[Price]
    free_tiers: list[FreeTier] = []
    commitments: list[Commitment] = []
    not_covered: dict[str, str] = {}
    no_price_elsewhere: dict[str, str] = {}
    free_resources: dict[str, str] = {}
    _by_id: dict[str, dict[str, Price]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _expand_regional_prices(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and isinstance(raw.get("prices"), list):
            raw = {**raw, "prices": [entry for item in raw["prices"] for entry in _expand_by_region(item)]}
        return raw

    @model_validator(mode="after")
    def _ids_unique_per_region_and_free_tiers_known(self) -> Catalog:
        seen: set[tuple[str, str]] = set()
        for entry in self.prices:
            key = (entry.id, entry.region)
            if key in seen:
                raise ValueError(f"price {entry.id!r} is listed twice for region {entry.region!r}")
            seen.add(key)
        known_ids = {entry.id for entry in self.prices}
        for free_tier in self.free_tiers:
            if free_tier.applies_to not in known_ids:
                raise ValueError(f"free tier applies to unknown price id {free_tier.applies_to!r}")
        for commitment in self.commitments:
            for pattern in commitment.applies_to:
                if not any(fnmatchcase(price_id, pattern) for price_id in known_ids):
                    raise ValueError(f"commitment {commitment.term} applies to {pattern!r}, which matches no price id")
        for pattern in self.no_price_elsewhere:
            if not any(fnmatchcase(price_id, pattern) for price_id in known_ids):
                raise ValueError(f"no_price_elsewhere names {pattern!r}, which matches no price id")
        for entry in self.prices:
            self._by_id.setdefault(entry.id, {})[entry.region] = entry
        return self

    def price(self, price_id: str, region: str) -> Price:
        """The price for `price_id` in `region` (or its global price); UnpricedError names what is missing."""
        by_region = self._by_id.get(price_id)
        if by_region is None:
            raise UnpricedError(f"no catalog price {price_id!r}")
        found = by_region.get(region) or by_region.get(GLOBAL_REGION)
        if found is not None:
            return found
        if region == GLOBAL_REGION:
            raise UnpricedError(f"{price_id!r} is priced per region and no region is known for this resource")
        priced_in = ", ".join(sorted(by_region))
        why = self.why_unpriced_elsewhere(price_id)
        raise UnpricedError(
            f"no catalog price {price_id!r} for region {region!r} (priced in {priced_in})" + (f": {why}" if why else "")
        )

    def why_unpriced_elsewhere(self, price_id: str) -> str | None:
        """Why `price_id` has no price outside the regions it is given for, where the catalog says."""
        for pattern, reason in self.no_price_elsewhere.items():
            if fnmatchcase(price_id, pattern):
                return reason
        return None

    def regions(self) -> list[str]:
        """Every region some price is given for."""
        return sorted({entry.region for entry in self.prices} - {GLOBAL_REGION})

    def commitment_for(self, price_id: str, term: str) -> Commitment | str:
        """The commitment of `term` that covers `price_id`, or why none does."""
        for pattern, reason in self.not_covered.items():
            if fnmatchcase(price_id, pattern):
                return reason
        for commitment in self.commitments:
            if commitment.term == term and commitment.covers(price_id):
                return commitment
        return "no committed-use discount for this"

    def tiers(self, group: str, region: str) -> list[Price]:
        """The tiered prices of a group in a region, lowest band first."""
        bands = [
            entry
            for entry in self.prices
            if entry.group == group and entry.tier is not None and entry.region in (region, GLOBAL_REGION)
        ]
        if not bands:
            known = any(entry.group == group for entry in self.prices)
            where = f" for region {region!r}" if known else ""
            raise UnpricedError(f"no catalog prices {group + '.*'!r}{where}")
        return sorted(bands, key=lambda entry: entry.tier.above if entry.tier else 0.0)

    def band(self, group: str, region: str, quantity: float) -> Price:
        """The tiered price whose band holds `quantity` (a capacity band sets the rate for every unit)."""
        for entry in self.tiers(group, region):
            if entry.tier is not None and entry.tier.contains(quantity):
                return entry
        raise UnpricedError(f"no band of {group + '.*'!r} holds {quantity:g}")


def load_catalog(path: Path = DEFAULT_CATALOG_PATH) -> Catalog:
    """Read and validate a catalog file; CatalogError names the file and every problem."""
    return _load_catalog_cached(path.resolve())


@cache
def _load_catalog_cached(path: Path) -> Catalog:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader)
    except OSError as error:
        raise CatalogError(f"{path}: cannot read the price catalog: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise CatalogError(f"{path}: not valid YAML: {error}") from error
    try:
        return Catalog.model_validate(raw)
    except ValidationError as error:
        raise CatalogError(f"{path}: {_describe(error)}") from error


def _describe(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or 'file'}: {problem['msg']}" for problem in error.errors()
    )
