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


GPU_REGIONS = ("us-central1", "us-east4", "europe-west1", "europe-west4", "asia-southeast1", "asia-south1")
PRICED_REGIONS = (*GPU_REGIONS, "us-east1", "us-west1", "europe-west2", "asia-northeast1")
# Items priced from per-region SKU exports: each must have a price in every region the program deploys to.
REGIONAL_ITEMS = (
    "compute.machine.g2-standard-4.on-demand",
    "compute.machine.g2-standard-4.spot",
    "compute.machine.g2-standard-8.on-demand",
    "compute.machine.a2-highgpu-1g.on-demand",
    "compute.machine.e2-standard-2.on-demand",
    "compute.machine.e2-micro.on-demand",
    "compute.disk.pd-balanced",
    "compute.disk.pd-ssd",
    "redis.basic.m1",
    "redis.standard-ha.m2",
    "egress.internet-premium.first-1tb",
    "ip.static-external.in-use",
)


def test_a_regional_price_is_not_used_for_another_region():
    with pytest.raises(UnpricedError, match=r"for region 'europe-west4' \(priced in asia-southeast1, us-central1\)"):
        load_catalog().price("cloudrun.gpu.nvidia-l4.zonal-redundancy-off", "europe-west4")
    with pytest.raises(UnpricedError, match="for region 'southamerica-east1'"):
        load_catalog().price("compute.machine.g2-standard-4.on-demand", "southamerica-east1")


@pytest.mark.parametrize("region", PRICED_REGIONS)
@pytest.mark.parametrize("price_id", REGIONAL_ITEMS)
def test_every_regional_item_is_priced_in_every_region_the_program_deploys_to(price_id, region):
    price = load_catalog().price(price_id, region)
    assert price.region == region and price.source and price.date


def test_regional_prices_differ_where_the_exports_say_so():
    catalog = load_catalog()
    assert catalog.price("compute.machine.g2-standard-4.on-demand", "europe-west4").price == 0.742916
    assert catalog.price("redis.standard-ha.m2", "asia-south1").price == 0.070
    assert catalog.price("compute.disk.pd-balanced", "asia-south1").price == 0.12


@pytest.mark.parametrize("region", ["us-central1", "us-east4", "europe-west1", "europe-west4", "us-east1", "us-west1"])
def test_cloud_run_cpu_and_memory_take_the_tier_1_price_in_tier_1_regions(region):
    catalog = load_catalog()
    assert catalog.price("cloudrun.instance.cpu", region).price == 0.000018
    assert catalog.price("cloudrun.request.memory", region).price == 0.0000025


TIER_2_REGIONS = ("asia-southeast1", "asia-south1", "europe-west2")


@pytest.mark.parametrize("region", TIER_2_REGIONS)
def test_cloud_run_request_billing_in_a_tier_2_region_takes_the_tier_2_sku_price(region):
    catalog = load_catalog()
    assert catalog.price("cloudrun.request.cpu", region).price == 0.0000336
    assert catalog.price("cloudrun.request.memory", region).price == 0.0000035
    assert "Tier 2" in catalog.price("cloudrun.request.cpu", region).source


def test_cloud_run_instance_billing_in_asia_southeast1_is_its_own_skus_price():
    catalog = load_catalog()
    assert catalog.price("cloudrun.instance.cpu", "asia-southeast1").price == 0.0000216
    assert catalog.price("cloudrun.instance.memory", "asia-southeast1").price == 0.0000024
    assert "asia-southeast1" in catalog.price("cloudrun.instance.cpu", "asia-southeast1").source


@pytest.mark.parametrize("region", ["asia-south1", "europe-west2"])
def test_cloud_run_instance_billing_in_a_tier_2_region_without_a_source_is_unpriced_with_the_reason(region):
    with pytest.raises(UnpricedError, match=f"for region '{region}'.*: no source at hand .* it is a SKU per region"):
        load_catalog().price("cloudrun.instance.cpu", region)


@pytest.mark.parametrize(
    ("price_id", "region", "reason"),
    [
        (
            "cloudrun.gpu.nvidia-l4.zonal-redundancy-on",
            "europe-west4",
            "no source at hand gives Cloud Run's L4 GPU price",
        ),
        ("cloudsql.enterprise.vcpu", "europe-west2", "read and checked for the six Cloud Run GPU regions only"),
        ("cloudsql.storage.pd-ssd", "europe-west4", "no source at hand gives Cloud SQL's storage price"),
        ("cloudsql.backup", "us-east4", "no source at hand gives Cloud SQL's backup price"),
    ],
)
def test_an_item_priced_in_some_regions_only_says_why_elsewhere(price_id, region, reason):
    pattern = rf"for region '{region}' \(priced in [a-z0-9, -]*us-central1[a-z0-9, -]*\): .*" + reason
    with pytest.raises(UnpricedError, match=pattern):
        load_catalog().price(price_id, region)


@pytest.mark.parametrize(
    ("region", "vcpu", "memory", "db_f1_micro", "db_g1_small"),
    [
        ("us-east4", 0.0442, 0.0075, 0.0112, 0.0375),
        ("europe-west1", 0.0413, 0.007, 0.0105, 0.035),
        ("europe-west4", 0.0454, 0.0077, 0.0116, 0.0385),
    ],
)
def test_cloud_sql_in_the_tier_1_gpu_regions_is_the_instance_exports_price(
    region, vcpu, memory, db_f1_micro, db_g1_small
):
    catalog = load_catalog()
    assert catalog.price("cloudsql.enterprise.vcpu", region).price == vcpu
    assert catalog.price("cloudsql.enterprise.memory", region).price == memory
    assert catalog.price("cloudsql.db-f1-micro", region).price == db_f1_micro
    assert catalog.price("cloudsql.db-g1-small", region).price == db_g1_small
    assert "cloudsql-pricing.json" in catalog.price("cloudsql.enterprise.vcpu", region).source


def test_a_no_price_elsewhere_pattern_that_matches_no_price_is_refused(tmp_path):
    path = write(
        tmp_path,
        """
currency: USD
hours_per_month: 730
prices:
  - {id: a.b, description: d, unit: hour, price: 1, region: us-central1, source: s, date: "2026-11-23"}
no_price_elsewhere: {"c.*": "why"}
""",
    )
    with pytest.raises(CatalogError, match=r"no_price_elsewhere names 'c\.\*', which matches no price id"):
        load_catalog(path)


def test_the_catalog_names_every_region_it_prices():
    assert load_catalog().regions() == sorted(PRICED_REGIONS)


def test_a_by_region_entry_becomes_one_price_per_region(tmp_path):
    path = write(
        tmp_path,
        "currency: USD\nhours_per_month: 730\nprices:\n"
        "  - {id: a, description: d, unit: hour, source: s, date: '2026-01-01', by_region: {r-one1: 1, r-two1: 2}}\n",
    )
    catalog = load_catalog(path)
    assert (catalog.price("a", "r-one1").price, catalog.price("a", "r-two1").price) == (1, 2)


def test_a_by_region_entry_with_a_single_price_too_is_refused(tmp_path):
    path = write(
        tmp_path,
        "currency: USD\nhours_per_month: 730\nprices:\n"
        "  - {id: a, description: d, unit: hour, price: 1, source: s, date: d, by_region: {r-one1: 1}}\n",
    )
    with pytest.raises(CatalogError, match="by_region must be a non-empty map"):
        load_catalog(path)


def test_commitments_cover_what_they_name_and_not_covered_wins():
    catalog = load_catalog()
    covered = catalog.commitment_for("compute.machine.g2-standard-4.on-demand", "3y")
    assert not isinstance(covered, str) and covered.discount == 0.55
    assert catalog.commitment_for("compute.machine.g2-standard-4.spot", "1y") == "spot VMs cannot be committed"
    assert "request-based" in str(catalog.commitment_for("cloudrun.request.cpu", "1y"))
    assert "M1" in str(catalog.commitment_for("redis.basic.m1", "1y"))
    assert catalog.commitment_for("compute.disk.pd-ssd", "1y") == "no committed-use discount for this"


def test_a_commitment_pattern_that_matches_no_price_is_refused(tmp_path):
    path = write(
        tmp_path,
        "currency: USD\nhours_per_month: 730\nprices: []\ncommitments:\n"
        "  - {term: 1y, discount: 0.1, applies_to: [nope.*], description: d, source: s, date: d}\n",
    )
    with pytest.raises(CatalogError, match=r"applies to 'nope\.\*', which matches no price id"):
        load_catalog(path)


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
