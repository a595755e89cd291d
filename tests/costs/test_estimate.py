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
