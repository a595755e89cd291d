"""Held-out stacks: the shipped stacks' settings moved to each Cloud Run GPU region, planned in a temp project.

Each is priced at that region's prices, item by item against hand computation. What stays unpriced is exactly
what no source at hand gives for that region, each with the catalog's reason, never another region's figure:
- Cloud SQL backups everywhere but us-central1 and asia-south1, and its SSD storage in europe-west4;
- Cloud Run's L4 GPU everywhere but us-central1 and asia-southeast1;
- instance-based Cloud Run CPU and memory in asia-south1: a SKU per region, whose figure is at hand for the Tier 1
  regions and asia-southeast1 only (request-based billing is one SKU per tier and is priced there).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from costs.catalog import load_catalog
from costs.estimate import FREE_TIER_KIND, StackEstimate, estimate_stack
from costs.usage import Usage, load_usage
from facts.gcp import gpu_zones
from plan import plan_from_dict
from tests.costs.builders import cost_of_kind

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_REGION = "us-central1"
GPU_REGIONS = ("us-central1", "us-east4", "europe-west1", "europe-west4", "asia-southeast1", "asia-south1")
STACKS = ("dev", "prod", "cmp-cloudrun", "cmp-gke", "prod-gke")
HOURS = 730
SECONDS = HOURS * 3600

# Per region, from the catalog's sources: g2-standard-4 and e2-standard-2 on-demand hourly, pd-balanced GB-month,
# Redis BASIC M1 and STANDARD_HA M2 GB-hour, request-based CPU vCPU-second and memory GiB-second (Tier 1 or 2).
PRICES = {
    "us-central1": (0.706832, 0.067011, 0.10, 0.049, 0.054, 0.000024, 0.0000025),
    "us-east4": (0.704518, 0.075471, 0.11, 0.049, 0.054, 0.000024, 0.0000025),
    "europe-west1": (0.778293, 0.073715, 0.10, 0.051, 0.061, 0.000024, 0.0000025),
    "europe-west4": (0.742916, 0.073772, 0.11, 0.051, 0.061, 0.000024, 0.0000025),
    "asia-southeast1": (0.872019, 0.082666, 0.11, 0.065, 0.075, 0.0000336, 0.0000035),
    "asia-south1": (0.735779, 0.080484, 0.12, 0.063, 0.070, 0.0000336, 0.0000035),
}
GPU_STACKS = {
    "prod": "cloudrun.gpu.nvidia-l4.zonal-redundancy-on",
    "cmp-cloudrun": "cloudrun.gpu.nvidia-l4.zonal-redundancy-off",
}
INSTANCE_BILLING_IDS = ("cloudrun.instance.cpu", "cloudrun.instance.memory")

# Per region, what no source gives: Cloud SQL price ids, and whether the L4 and instance-based CPU/memory are missing.
NO_SOURCE = {
    "us-central1": ((), False, False),
    "us-east4": (("cloudsql.backup",), True, False),
    "europe-west1": (("cloudsql.backup",), True, False),
    "europe-west4": (("cloudsql.storage.pd-ssd", "cloudsql.backup"), True, False),
    "asia-southeast1": (("cloudsql.backup",), False, False),
    "asia-south1": ((), True, True),
}

# Per region where a source gives them, from the catalog's sources: instance-based vCPU-second and GiB-second; L4
# GPU-second with zonal redundancy off and on; Cloud SQL vCPU-hour and GB-hour; SSD GB-month; backup GB-month.
INSTANCE_BILLING = {
    "us-central1": (0.000018, 0.000002),
    "us-east4": (0.000018, 0.000002),
    "europe-west1": (0.000018, 0.000002),
    "europe-west4": (0.000018, 0.000002),
    "asia-southeast1": (0.0000216, 0.0000024),
}
L4 = {"us-central1": (0.0001867, 0.0002909), "asia-southeast1": (0.00022404, 0.00034908)}
CLOUD_SQL = {
    "us-central1": (0.0413, 0.007),
    "us-east4": (0.0442, 0.0075),
    "europe-west1": (0.0413, 0.007),
    "europe-west4": (0.0454, 0.0077),
    "asia-south1": (0.0496, 0.0084),
    "asia-southeast1": (0.0578, 0.0098),
}
CLOUD_SQL_SSD = {
    "us-central1": 0.17,
    "us-east4": 0.1819,
    "europe-west1": 0.17,
    "asia-south1": 0.204,
    "asia-southeast1": 0.238,
}
CLOUD_SQL_BACKUP = {"us-central1": 0.08, "asia-south1": 0.096}


def moved_stack_file(text: str, region: str, stack: str) -> str:
    """The shipped stack file with its region (and zone) moved.

    prod-gke's regional cluster pins its GPU pool to the zones facts/gcp.py knows offer the L4; it knows none in
    europe-west1, where the config refuses a regional GPU cluster, so there the held-out copy runs in a zone.
    """
    zone = (gpu_zones("nvidia-l4", region) or (f"{region}-b",))[0]
    moved = text.replace(f"{SHIPPED_REGION}-a", zone)
    if stack == "prod-gke" and not gpu_zones("nvidia-l4", region):
        moved = moved.replace(f"location: {SHIPPED_REGION}\n", f"location: {zone}\n")
    return moved.replace(SHIPPED_REGION, region)


@pytest.fixture(scope="module")
def held_out(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], StackEstimate]:
    from infra.offline import plan_stack

    catalog = load_catalog()
    usage = load_usage()
    estimates = {}
    for region in GPU_REGIONS:
        project = tmp_path_factory.mktemp(region)
        for folder in ("infra", "components", "facts", "plan"):
            shutil.copytree(PROJECT_ROOT / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(PROJECT_ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
        # The stacks build the image from app/ (its context and Dockerfile must exist); nothing writes to it.
        (project / "app").symlink_to(PROJECT_ROOT / "app", target_is_directory=True)
        for stack in STACKS:
            shipped = (PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8")
            (project / f"Pulumi.{stack}.yaml").write_text(moved_stack_file(shipped, region, stack), encoding="utf-8")
            stack_plan = plan_from_dict(plan_stack(stack, project_dir=project).to_dict())
            estimates[region, stack] = estimate_stack(stack_plan, usage.for_stack(stack), catalog)
    return estimates


def expected_unpriced(region: str, stack: str) -> set[tuple[str, str]]:
    """(resource name, price id) of what no source gives in `region`."""
    sql_ids, gpu_missing, instance_billing_missing = NO_SOURCE[region]
    missing = {(f"inference-{stack}-db-instance", price_id) for price_id in sql_ids}
    service = f"inference-{stack}-service"
    if stack in GPU_STACKS:
        if gpu_missing:
            missing.add((service, GPU_STACKS[stack]))
        if instance_billing_missing:
            missing |= {(service, price_id) for price_id in INSTANCE_BILLING_IDS}
    return missing


def unpriced_ids(reason: str) -> str:
    return reason.split("'")[1]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("region", GPU_REGIONS)
def test_a_held_out_stack_prices_everything_a_source_gives_for_its_region(held_out, region, stack):
    priced = held_out[region, stack]
    got = {(item.name, unpriced_ids(item.reason)) for item in priced.unpriced}
    assert got == expected_unpriced(region, stack)
    for item in priced.unpriced:
        assert f"for region '{region}'" in item.reason
        assert ": no source at hand" in item.reason, item.reason
    assert priced.monthly_total > 0


def test_the_shipped_region_prices_every_held_out_stack_fully(held_out):
    assert all(not held_out[SHIPPED_REGION, stack].unpriced for stack in STACKS)


@pytest.mark.parametrize("region", GPU_REGIONS)
def test_each_kind_priced_in_a_region_matches_hand_computation_at_that_regions_prices(held_out, region):
    g2_4, e2_2, balanced, redis_m1, redis_ha_m2, request_cpu, request_memory = PRICES[region]
    cmp_gke, prod, dev = held_out[region, "cmp-gke"], held_out[region, "prod"], held_out[region, "dev"]
    # cmp-gke: one g2-standard-4 GPU node and one e2-standard-2 system node, 100 GB pd-balanced each
    assert cost_of_kind(cmp_gke, "GKE nodes") == pytest.approx((g2_4 + e2_2) * HOURS)
    assert cost_of_kind(cmp_gke, "GKE node disks") == pytest.approx(2 * 100 * balanced)
    assert cost_of_kind(cmp_gke, "GKE cluster fee") == pytest.approx(0.10 * HOURS)
    assert cost_of_kind(cmp_gke, "Load balancing") == pytest.approx(0.025 * HOURS)
    assert cost_of_kind(cmp_gke, "Memorystore Redis") == pytest.approx(1 * redis_m1 * HOURS)
    # prod: Redis STANDARD_HA 5 GB (band M2)
    assert cost_of_kind(prod, "Memorystore Redis") == pytest.approx(5 * redis_ha_m2 * HOURS)
    # dev: request-based 2 vCPU / 4 GiB; 100,000 requests at the measured 2-vCPU throughput (costs/usage.yaml)
    busy_seconds = 100_000 / load_usage().throughput["cpu-2"].requests_per_second
    assert cost_of_kind(dev, "Cloud Run CPU") == pytest.approx(2 * busy_seconds * request_cpu)
    assert cost_of_kind(dev, "Cloud Run memory") == pytest.approx(4 * busy_seconds * request_memory)
    assert cost_of_kind(dev, "Cloud Run requests") == pytest.approx(0.1 * 0.40)


def test_asia_southeast1_leaves_only_the_database_backups_unpriced(held_out):
    for stack in STACKS:
        unpriced = held_out["asia-southeast1", stack].unpriced
        assert {unpriced_ids(item.reason) for item in unpriced} == {"cloudsql.backup"}


@pytest.mark.parametrize("region", sorted(INSTANCE_BILLING))
def test_instance_based_cloud_run_matches_hand_computation_at_that_regions_sku_price(held_out, region):
    cpu, memory = INSTANCE_BILLING[region]
    cmp_cloudrun = held_out[region, "cmp-cloudrun"]
    # one warm 4 vCPU / 16 GiB instance all month
    assert cost_of_kind(cmp_cloudrun, "Cloud Run CPU") == pytest.approx(4 * cpu * SECONDS)
    assert cost_of_kind(cmp_cloudrun, "Cloud Run memory") == pytest.approx(16 * memory * SECONDS)


@pytest.mark.parametrize("region", sorted(L4))
def test_cloud_run_l4_matches_hand_computation_at_that_regions_price(held_out, region):
    redundancy_off, redundancy_on = L4[region]
    # one warm L4 all month: cmp-cloudrun without zonal redundancy, prod with it
    assert cost_of_kind(held_out[region, "cmp-cloudrun"], "Cloud Run GPU") == pytest.approx(redundancy_off * SECONDS)
    assert cost_of_kind(held_out[region, "prod"], "Cloud Run GPU") == pytest.approx(redundancy_on * SECONDS)


@pytest.mark.parametrize("region", sorted(CLOUD_SQL))
def test_cloud_sql_compute_matches_hand_computation_at_that_regions_price(held_out, region):
    vcpu, memory = CLOUD_SQL[region]
    # cmp-cloudrun: db-custom-1-3840 (1 vCPU, 3.75 GB), zonal; prod: db-custom-2-7680 (2 vCPU, 7.5 GB), REGIONAL (x2)
    cmp_cloudrun, prod = held_out[region, "cmp-cloudrun"], held_out[region, "prod"]
    assert cost_of_kind(cmp_cloudrun, "Cloud SQL compute") == pytest.approx((vcpu + 3.75 * memory) * HOURS)
    assert cost_of_kind(prod, "Cloud SQL compute") == pytest.approx(2 * (2 * vcpu + 7.5 * memory) * HOURS)


@pytest.mark.parametrize("region", sorted(CLOUD_SQL_SSD))
def test_cloud_sql_storage_matches_hand_computation_at_that_regions_price(held_out, region):
    ssd = CLOUD_SQL_SSD[region]
    # 10 GB SSD (cmp-cloudrun, zonal); 20 GB SSD (prod, REGIONAL: x2)
    assert cost_of_kind(held_out[region, "cmp-cloudrun"], "Cloud SQL storage") == pytest.approx(10 * ssd)
    assert cost_of_kind(held_out[region, "prod"], "Cloud SQL storage") == pytest.approx(2 * 20 * ssd)


# Cloud SQL compute of cmp-cloudrun and prod worked by hand from the catalog's prices, in the regions priced from
# doitintl's instance export.
CLOUD_SQL_COMPUTE_BY_HAND = {
    # (0.0442 + 3.75 x 0.0075) x 730 = 0.072325 x 730; 2 x (2 x 0.0442 + 7.5 x 0.0075) x 730 = 2 x 0.14465 x 730
    "us-east4": (52.79725, 211.189),
    # (0.0413 + 3.75 x 0.007) x 730 = 0.06755 x 730; 2 x (2 x 0.0413 + 7.5 x 0.007) x 730 = 2 x 0.1351 x 730
    "europe-west1": (49.3115, 197.246),
    # (0.0454 + 3.75 x 0.0077) x 730 = 0.074275 x 730; 2 x (2 x 0.0454 + 7.5 x 0.0077) x 730 = 2 x 0.14855 x 730
    "europe-west4": (54.22075, 216.883),
}


@pytest.mark.parametrize("region", sorted(CLOUD_SQL_COMPUTE_BY_HAND))
def test_cloud_sql_compute_in_the_regions_the_instance_export_prices_is_the_figure_worked_by_hand(held_out, region):
    cmp_cloudrun, prod = CLOUD_SQL_COMPUTE_BY_HAND[region]
    assert cost_of_kind(held_out[region, "cmp-cloudrun"], "Cloud SQL compute") == pytest.approx(cmp_cloudrun)
    assert cost_of_kind(held_out[region, "prod"], "Cloud SQL compute") == pytest.approx(prod)


@pytest.mark.parametrize("region", sorted(CLOUD_SQL_BACKUP))
def test_cloud_sql_backups_match_hand_computation_at_that_regions_price(held_out, region):
    backup = CLOUD_SQL_BACKUP[region]
    # backups default to the disk size: 10 GB (cmp-cloudrun), 20 GB (prod)
    assert cost_of_kind(held_out[region, "cmp-cloudrun"], "Cloud SQL backups") == pytest.approx(10 * backup)
    assert cost_of_kind(held_out[region, "prod"], "Cloud SQL backups") == pytest.approx(20 * backup)


def test_a_held_out_stacks_total_leaves_out_only_what_is_unpriced(held_out):
    # asia-south1: cmp-cloudrun's L4 and its instance-based CPU and memory are unpriced
    cmp_cloudrun = held_out["asia-south1", "cmp-cloudrun"]
    redis, logging, registry = 0.063 * HOURS, 5.0, 1.0
    database = (0.0496 + 3.75 * 0.0084) * HOURS + 10 * 0.204 + 10 * 0.096
    secrets = cost_of_kind(cmp_cloudrun, "Secret Manager")
    alerting = cost_of_kind(cmp_cloudrun, "Cloud Monitoring")  # alert conditions: one global price
    assert alerting > 0
    assert cmp_cloudrun.monthly_total == pytest.approx(redis + logging + registry + database + secrets + alerting)


def test_the_request_based_free_tier_is_worth_its_tier_1_value_in_a_tier_2_region():
    from tests.costs.builders import cloud_run_service, estimate

    def free_cpu(region: str) -> float:
        service = cloud_run_service(cpu="2", memory="4Gi", gpus=0, min_instances=0, cpu_idle=True, location=region)
        priced = estimate(service, usage=Usage(monthly_requests=100_000_000), free_tier=True)
        return -sum(
            component.monthly_cost
            for resource in priced.resources
            for component in resource.components
            if component.kind == FREE_TIER_KIND and component.price_id == "cloudrun.request.cpu"
        )

    # 180,000 vCPU-seconds at the Tier 1 price, in either tier
    assert free_cpu("us-central1") == pytest.approx(180_000 * 0.000024)
    assert free_cpu("asia-south1") == pytest.approx(180_000 * 0.000024)
