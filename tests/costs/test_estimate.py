"""Every resource of a plan is priced, free with a reason, or unpriced with a reason; free tiers only on request."""

from __future__ import annotations

from pathlib import Path

import pytest

from costs.catalog import load_catalog
from costs.estimate import FREE_TIER_KIND, estimate_stack, resource_region
from costs.usage import Usage, load_usage
from plan import plan_from_dict
from tests.costs.builders import (
    CLUSTER,
    REDIS,
    REPOSITORY,
    cloud_run_service,
    cost_of_kind,
    estimate,
    plan,
    resource,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_STACKS = sorted(
    path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in PROJECT_ROOT.glob("Pulumi.*.yaml")
)


def test_an_unknown_resource_type_is_unpriced_with_the_reason_and_the_total_says_so():
    priced = estimate(
        resource(REDIS, "cache", {"region": "us-central1", "tier": "BASIC", "memorySizeGb": 1}),
        resource("gcp:bigquery/dataset:Dataset", "warehouse", {"location": "US"}),
    )
    assert priced.monthly_total == pytest.approx(35.77, rel=0.005)
    assert [(item.name, item.reason) for item in priced.unpriced] == [
        ("warehouse", "no price model for resource type gcp:bigquery/dataset:Dataset")
    ]
    assert priced.excludes().startswith("excludes 1 unpriced: warehouse")


def test_a_resource_in_a_region_without_prices_is_unpriced_naming_the_region():
    priced = estimate(resource(REDIS, "cache", {"region": "europe-west9", "tier": "BASIC", "memorySizeGb": 1}))
    assert priced.monthly_total == 0
    assert "europe-west9" in priced.unpriced[0].reason


def test_free_resources_are_listed_with_their_reason_not_dropped():
    priced = estimate(
        resource("gcp:compute/network:Network", "vpc", {}),
        resource("inference:cache:RedisCache", "cache", {}, custom=False),
        resource("pulumi:providers:kubernetes", "k8s", {}),
    )
    assert {item.name: item.note for item in priced.resources} == {
        "vpc": "free: VPC networks are free",
        "cache": "free: a component resource; its children are priced",
        "k8s": "free: a Pulumi provider, not a cloud resource",
    }
    assert priced.unpriced == []


def test_every_resource_ends_up_priced_or_unpriced():
    resources = [
        resource(REDIS, "cache", {"region": "us-central1", "tier": "BASIC", "memorySizeGb": 1}),
        resource("gcp:compute/network:Network", "vpc", {}),
        resource("gcp:unknown/thing:Thing", "thing", {}),
    ]
    priced = estimate(*resources)
    listed = {item.urn for item in priced.resources} | {item.urn for item in priced.unpriced}
    assert listed == {entry["urn"] for entry in resources}


def test_a_resource_without_region_takes_the_plans_most_common_region():
    repository = resource(REPOSITORY, "repo", {})
    cache = resource(REDIS, "cache", {"region": "europe-west9", "tier": "BASIC", "memorySizeGb": 1})
    priced = estimate(repository, cache, usage=Usage(artifact_registry_storage_gb=1))
    assert cost_of_kind(priced, "Artifact Registry") == pytest.approx(0.10)


def test_a_zone_location_resolves_to_its_region():
    assert resource_region(plan(resource(CLUSTER, "c", {"location": "us-central1-a"})).resources[0]) == "us-central1"


def test_free_tiers_are_off_by_default_and_applied_on_request():
    service = cloud_run_service(min_instances=1)
    without = estimate(service)
    with_free = estimate(service, free_tier=True)
    assert cost_of_kind(without, FREE_TIER_KIND) == 0
    assert cost_of_kind(with_free, FREE_TIER_KIND) == pytest.approx(-(240_000 * 0.000018 + 450_000 * 0.000002))
    assert with_free.monthly_total == pytest.approx(without.monthly_total + cost_of_kind(with_free, FREE_TIER_KIND))


def test_the_gke_credit_covers_one_zonal_cluster_fee_but_not_a_regional_one():
    zonal = estimate(
        resource(CLUSTER, "c", {"location": "us-central1-a", "removeDefaultNodePool": True}), free_tier=True
    )
    assert zonal.monthly_total == pytest.approx(0)
    regional = estimate(
        resource(CLUSTER, "c", {"location": "us-central1", "removeDefaultNodePool": True}), free_tier=True
    )
    assert regional.monthly_total == pytest.approx(73.00)


def test_a_free_allowance_is_used_once_per_stack():
    first = resource(REPOSITORY, "one", {"location": "us-central1"})
    second = resource(REPOSITORY, "two", {"location": "us-central1"})
    priced = estimate(first, second, usage=Usage(artifact_registry_storage_gb=0.3), free_tier=True)
    assert priced.monthly_total == pytest.approx((0.6 - 0.5) * 0.10)


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_each_shipped_stack_is_priced_with_nothing_dropped(stack):
    from infra.offline import plan_stack

    stack_plan = plan_from_dict(plan_stack(stack, project_dir=PROJECT_ROOT).to_dict())
    usage = load_usage().for_stack(stack)
    priced = estimate_stack(stack_plan, usage, load_catalog())
    listed = {item.urn for item in priced.resources} | {item.urn for item in priced.unpriced}
    assert listed == {item.urn for item in stack_plan.resources}
    assert priced.monthly_total > 0


def test_prod_costs_more_than_dev_at_the_same_traffic():
    from infra.offline import plan_stack

    usage = Usage(monthly_requests=1_000_000)
    totals = {
        stack: estimate_stack(
            plan_from_dict(plan_stack(stack, project_dir=PROJECT_ROOT).to_dict()), usage, load_catalog()
        ).monthly_total
        for stack in ("dev", "prod")
    }
    assert totals["prod"] > totals["dev"]


# --- Regions -------------------------------------------------------------------------------------------------

# Per GPU region: the hourly g2-standard-4 price, the Redis STANDARD_HA M2 GB-hour and the pd-balanced GB-month
# (catalog, from the SKU exports).
REGIONAL_FIGURES = {
    "us-central1": (0.706832, 0.054, 0.10),
    "us-east4": (0.704518, 0.054, 0.11),
    "europe-west1": (0.778293, 0.061, 0.10),
    "europe-west4": (0.742916, 0.061, 0.11),
    "asia-southeast1": (0.872019, 0.075, 0.11),
    "asia-south1": (0.735779, 0.070, 0.12),
}


def held_out_gke_stack(region: str) -> list[dict]:
    """A GKE inference stack in `region`: zonal cluster, one L4 node, Redis 5 GB HA, NAT, an internal LB."""
    from tests.costs.builders import FORWARDING_RULE, NAT, gpu_node_pool

    return [
        resource(CLUSTER, "cluster", {"location": f"{region}-a", "removeDefaultNodePool": True}),
        gpu_node_pool(location=f"{region}-a", min_nodes=1, max_nodes=1),
        resource(REDIS, "cache", {"region": region, "tier": "STANDARD_HA", "memorySizeGb": 5}),
        resource(NAT, "nat", {"region": region, "natIpAllocateOption": "AUTO_ONLY"}),
        resource(FORWARDING_RULE, "rule", {"region": region}),
    ]


@pytest.mark.parametrize("region", REGIONAL_FIGURES)
def test_a_held_out_gke_stack_in_each_gpu_region_is_fully_priced_at_that_regions_prices(region):
    node_hourly, redis_gb_hour, balanced_gb_month = REGIONAL_FIGURES[region]
    priced = estimate(*held_out_gke_stack(region), usage=Usage(secret_accesses_per_version=0))
    assert priced.unpriced == []
    assert cost_of_kind(priced, "GKE nodes") == pytest.approx(node_hourly * 730)
    assert cost_of_kind(priced, "GKE node disks") == pytest.approx(100 * balanced_gb_month)
    assert cost_of_kind(priced, "Memorystore Redis") == pytest.approx(5 * redis_gb_hour * 730)
    assert cost_of_kind(priced, "Cloud NAT") == pytest.approx((0.0014 + 0.005) * 730)
    assert cost_of_kind(priced, "Load balancing") == pytest.approx(0.025 * 730)


def test_europe_west4_g2_node_costs_542_33_a_month():
    priced = estimate(*held_out_gke_stack("europe-west4")[:2], usage=Usage())
    assert cost_of_kind(priced, "GKE nodes") == pytest.approx(542.33, abs=0.01)


def test_a_region_override_prices_the_same_plan_elsewhere_and_names_what_has_no_price_there():
    stack_plan = plan(*held_out_gke_stack("us-central1"), cloud_run_service(min_instances=1))
    priced = estimate_stack(stack_plan, Usage(), load_catalog(), region="europe-west4")
    assert priced.region == "europe-west4"
    assert cost_of_kind(priced, "GKE nodes") == pytest.approx(0.742916 * 730)
    reasons = {item.reason for item in priced.unpriced}
    gpu = "cloudrun.gpu.nvidia-l4.zonal-redundancy-off"
    assert any(
        reason.startswith(
            f"no catalog price '{gpu}' for region 'europe-west4' (priced in asia-southeast1, us-central1): no source"
        )
        for reason in reasons
    )
    assert cost_of_kind(priced, "Cloud Run CPU") == pytest.approx(4 * 0.000018 * 730 * 3600)


# --- Commitments ---------------------------------------------------------------------------------------------


def test_a_1y_commitment_discounts_the_committed_lines_by_the_catalogs_rates_and_leaves_the_rest():
    from tests.costs.builders import gpu_node_pool

    on_demand = gpu_node_pool(name="on-demand")
    spot = gpu_node_pool(name="spot", spot=True)
    cache = resource(REDIS, "cache", {"region": "us-central1", "tier": "BASIC", "memorySizeGb": 1})
    stack_plan = plan(on_demand, spot, cache)
    priced = estimate_stack(stack_plan, Usage(), load_catalog(), commitment="1y")
    lines = {component.price_id: component for item in priced.resources for component in item.components}
    node = lines["compute.machine.g2-standard-4.on-demand"]
    assert node.committed_monthly_cost == pytest.approx(0.706832 * 730 * (1 - 0.37))
    assert lines["compute.machine.g2-standard-4.spot"].committed_monthly_cost == pytest.approx(0.397336 * 730)
    assert lines["compute.machine.g2-standard-4.spot"].commitment_note == "spot VMs cannot be committed"
    assert lines["redis.basic.m1"].committed_monthly_cost == pytest.approx(0.049 * 730)
    assert lines["compute.disk.pd-balanced"].committed_monthly_cost == pytest.approx(100 * 0.10)
    list_total = estimate_stack(stack_plan, Usage(), load_catalog()).monthly_total
    assert priced.monthly_total == pytest.approx(list_total)
    assert priced.committed_monthly_total == pytest.approx(list_total - 0.706832 * 730 * 0.37)


@pytest.mark.parametrize(("term", "discount"), [("1y", 0.28), ("3y", 0.46)])
def test_cloud_run_instance_based_lines_take_the_flexible_cud_but_gpus_and_request_billing_do_not(term, discount):
    instance_based = cloud_run_service(min_instances=1)
    priced = estimate_stack(plan(instance_based), Usage(), load_catalog(), commitment=term)
    lines = {component.price_id: component for item in priced.resources for component in item.components}
    cpu = lines["cloudrun.instance.cpu"]
    assert cpu.committed_monthly_cost == pytest.approx(cpu.monthly_cost * (1 - discount))
    gpu = lines["cloudrun.gpu.nvidia-l4.zonal-redundancy-off"]
    assert gpu.committed_monthly_cost == gpu.monthly_cost and gpu.commitment_note
    request_based = cloud_run_service(gpus=0, cpu="1", memory="512Mi", min_instances=0, cpu_idle=True)
    usage = Usage(monthly_requests=1_000_000)
    priced = estimate_stack(plan(request_based), usage, load_catalog(), commitment=term)
    assert priced.committed_monthly_total == pytest.approx(priced.monthly_total)


# --- Capacity and cost per million ---------------------------------------------------------------------------

L4_AT_100 = {"nvidia-l4": {"requests_per_second": 100, "kind": "assumed", "date": "2026-12"}}


def test_per_million_requests_is_the_monthly_total_over_the_millions_served():
    usage = Usage(monthly_requests=4_000_000, secret_accesses_per_version=0)
    priced = estimate(
        resource(REDIS, "cache", {"region": "us-central1", "tier": "BASIC", "memorySizeGb": 1}), usage=usage
    )
    assert priced.per_million_requests == pytest.approx(0.049 * 730 / 4)


def test_instances_needed_follow_the_shapes_throughput_on_average_and_at_the_peak():
    # 2,628 M requests a month = 1,000 requests/s on average; 100/s per L4: 10 instances, 30 at a 3x peak.
    usage = Usage.model_validate({"throughput": L4_AT_100, "monthly_requests": 2_628_000_000, "peak_factor": 3})
    priced = estimate(cloud_run_service(min_instances=1, max_instances=50), usage=usage)
    assert priced.capacity is not None
    assert (priced.capacity.instances_needed_average, priced.capacity.instances_needed_peak) == pytest.approx((10, 30))
    assert priced.capacity.capacity_ok


def test_a_stack_whose_max_instances_cannot_carry_the_peak_says_it_cannot_serve_the_peak():
    usage = Usage.model_validate({"throughput": L4_AT_100, "monthly_requests": 2_628_000_000, "peak_factor": 3})
    priced = estimate(cloud_run_service(min_instances=1, max_instances=3), usage=usage)
    assert priced.capacity is not None and not priced.capacity.capacity_ok
    assert priced.capacity.reason is not None
    assert priced.capacity.reason.startswith("cannot serve the peak: 3,000 requests/s at 3x the average needs 30")


def test_a_gke_pool_carries_max_nodes_times_pods_per_node():
    from tests.costs.builders import gpu_node_pool

    # 20 L4 pods of 100/s carry a 2,000/s peak; 3 nodes x 2 pods cannot.
    usage = Usage.model_validate(
        {"throughput": L4_AT_100, "monthly_requests": 1_752_000_000, "peak_factor": 3, "pods_per_node": 2}
    )
    priced = estimate(gpu_node_pool(min_nodes=1, max_nodes=3), usage=usage)
    assert priced.capacity is not None and not priced.capacity.capacity_ok
    assert priced.capacity.max_instances == 6
    roomy = estimate(gpu_node_pool(min_nodes=1, max_nodes=10), usage=usage)
    assert roomy.capacity is not None and roomy.capacity.capacity_ok


def test_throughput_replaces_the_latency_model_for_cloud_run_instance_hours():
    # 3.6 M requests at 100/s per instance = 10 instance-hours above a zero minimum.
    usage = Usage.model_validate({"throughput": L4_AT_100, "monthly_requests": 3_600_000})
    priced = estimate(cloud_run_service(min_instances=0), usage=usage)
    per_instance_second = 4 * 0.000018 + 16 * 0.000002 + 0.0001867
    compute = sum(cost_of_kind(priced, kind) for kind in ("Cloud Run CPU", "Cloud Run memory", "Cloud Run GPU"))
    assert compute == pytest.approx(per_instance_second * 10 * 3600)
