"""The catalog holds every price once, with unit, region, source and date, and refuses what it lacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from costs.catalog import CatalogError, UnpricedError, load_catalog

REFERENCE_PRICES = {
    "cloudrun.instance.cpu": 0.000018,
    "cloudrun.instance.memory": 0.000002,
    "cloudrun.gpu.nvidia-l4.zonal-redundancy-off": 0.0001867,
    "cloudrun.gpu.nvidia-l4.zonal-redundancy-on": 0.0002909,
    "gke.cluster-fee": 0.10,
    "compute.machine.g2-standard-4.on-demand": 0.706832,
    "compute.machine.g2-standard-4.spot": 0.397336,
    "redis.basic.m1": 0.049,
    "redis.standard-ha.m2": 0.054,
    "cloudsql.db-g1-small": 0.035,
    "nat.vm": 0.0014,
}


def test_every_price_has_a_unit_region_source_and_date():
    catalog = load_catalog()
    for price in catalog.prices:
        assert price.unit and price.region and price.source and price.date, price.id


def test_a_month_is_730_hours():
    assert load_catalog().hours_per_month == 730


@pytest.mark.parametrize(("price_id", "expected"), REFERENCE_PRICES.items())
def test_catalog_prices_match_the_reference_table(price_id, expected):
    assert load_catalog().price(price_id, "us-central1").price == expected


def test_a_regional_price_is_not_used_for_another_region():
    with pytest.raises(UnpricedError, match="for region 'europe-west4'"):
        load_catalog().price("compute.machine.g2-standard-4.on-demand", "europe-west4")


def test_a_global_price_applies_in_every_region():
    assert load_catalog().price("gke.cluster-fee", "asia-southeast1").price == 0.10


@pytest.mark.parametrize(
    ("size_gb", "band"), [(1, "m1"), (4, "m1"), (5, "m2"), (10, "m2"), (11, "m3"), (100, "m4"), (101, "m5")]
)
def test_redis_capacity_bands_follow_the_provisioned_size(size_gb, band):
    assert load_catalog().band("redis.basic", "us-central1", size_gb).id == f"redis.basic.{band}"


def test_free_tiers_are_separate_entries_that_point_at_known_prices():
    free_tiers = {tier.applies_to: tier for tier in load_catalog().free_tiers}
    assert free_tiers["cloudrun.requests"].quantity == 2
    assert free_tiers["gke.cluster-fee"].credit == 74.40
    assert "compute.disk.pd-ssd" not in free_tiers


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_price_without_its_source_is_refused_naming_the_entry(tmp_path):
    path = write(
        tmp_path,
        "currency: USD\nhours_per_month: 730\nprices:\n"
        "  - {id: a, description: d, unit: hour, price: 1, region: global, date: '2026-01-01'}\n",
    )
    with pytest.raises(CatalogError, match=r"prices\.0\.source: Field required"):
        load_catalog(path)


def test_a_price_listed_twice_for_one_region_is_refused(tmp_path):
    entry = "  - {id: a, description: d, unit: hour, price: 1, region: global, source: s, date: '2026-01-01'}\n"
    path = write(tmp_path, "currency: USD\nhours_per_month: 730\nprices:\n" + entry + entry)
    with pytest.raises(CatalogError, match="listed twice"):
        load_catalog(path)


def test_a_free_tier_for_an_unknown_price_is_refused(tmp_path):
    path = write(
        tmp_path,
        "currency: USD\nhours_per_month: 730\nprices: []\n"
        "free_tiers:\n  - {applies_to: nope, quantity: 1, description: d, source: s, date: '2026-01-01'}\n",
    )
    with pytest.raises(CatalogError, match="unknown price id 'nope'"):
        load_catalog(path)


def test_a_missing_catalog_file_is_named(tmp_path):
    with pytest.raises(CatalogError, match=r"absent\.yaml: cannot read"):
        load_catalog(tmp_path / "absent.yaml")
