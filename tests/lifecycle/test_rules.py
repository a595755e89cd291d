"""The lifecycle rules on real plans: each defect put back fails its rule naming the resource and the missing
edge or flag, and the same plan with the defect taken out passes it."""

from __future__ import annotations

import pytest

from lifecycle.rules import (
    DESTROYABLE_RULE,
    PRECONDITION_RULE,
    PROD_PROTECTS_RULE,
    LifecycleViolation,
    evaluate,
    meant_to_be_destroyed,
)
from plan import Plan
from tests.lifecycle.plans import (
    SHIPPED_STACKS,
    Ref,
    named,
    shipped_plan,
    with_added,
    with_dependencies,
    with_inputs,
    with_resource,
    without,
)

CRM_API = "cloudresourcemanager.googleapis.com"
DEV_CONNECTION = ("gcp:servicenetworking/connection:Connection", "inference-dev-private-services")
DEV_REDIS = ("gcp:redis/instance:Instance", "inference-dev-redis")
NODE_ROLE = "roles/container.defaultNodeServiceAccount"


def violations_of(plan: Plan, resource: Ref, rule: str) -> list[LifecycleViolation]:
    target = named(plan, resource)
    return [
        item
        for item in evaluate(plan)
        if (item.resource, item.resource_type) == (target.name, target.type) and item.rule == rule
    ]


def messages(plan: Plan, resource: Ref, rule: str) -> str:
    return "\n".join(item.message for item in violations_of(plan, resource, rule))


def without_crm_api(plan: Plan) -> Plan:
    return without(plan, lambda r: r.type == "gcp:projects/service:Service" and r.get("service") == CRM_API)


def with_crm_api_before_project_iam(plan: Plan, prefix: str) -> Plan:
    crm = f"{prefix}-cloudresourcemanager"
    plan = with_added(without_crm_api(plan), f"{prefix}-compute", crm, service=CRM_API)
    for member in plan.of_type("gcp:projects/iAMMember:IAMMember"):
        plan = with_dependencies(plan, member.name, add=(crm,))
    return plan


def with_node_role(plan: Plan, prefix: str) -> Plan:
    """The node service account granted GKE's node role, the cluster and pools depending on the grant."""
    plan = without(plan, lambda r: r.type == "gcp:projects/iAMMember:IAMMember" and r.get("role") == NODE_ROLE)
    grant = f"{prefix}-nodes-node-role"
    node_account = named(plan, f"{prefix}-gpu").get("nodeConfig.serviceAccount")
    [like, *_] = [m for m in plan.of_type("gcp:projects/iAMMember:IAMMember") if m.get("member").endswith(node_account)]
    plan = with_added(plan, like.name, grant, role=NODE_ROLE)
    for name in (f"{prefix}-cluster", f"{prefix}-gpu", f"{prefix}-system"):
        plan = with_dependencies(plan, name, add=(grant,))
    return plan


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_shipped_stack_passes_the_lifecycle_rules(stack: str) -> None:
    assert evaluate(shipped_plan(stack)) == []


@pytest.mark.parametrize(
    ("stack", "expected"), [("dev", True), ("cmp-cloudrun", True), ("cmp-gke", True), ("prod", False)]
)
def test_dev_and_comparison_stacks_are_meant_to_be_destroyed_and_prod_is_not(stack: str, expected: bool) -> None:
    assert meant_to_be_destroyed(shipped_plan(stack)) is expected


def test_a_workload_identity_binding_without_a_dependency_on_the_cluster_fails_naming_the_cluster() -> None:
    plan = shipped_plan("cmp-gke")
    broken = with_dependencies(plan, "inference-cmp-gke-workload-identity", remove=("inference-cmp-gke-cluster",))
    fixed = with_dependencies(plan, "inference-cmp-gke-workload-identity", add=("inference-cmp-gke-cluster",))

    found = messages(broken, "inference-cmp-gke-workload-identity", PRECONDITION_RULE)
    assert "missing dependency on inference-cmp-gke-cluster" in found
    assert "Identity Pool does not exist" in found
    assert violations_of(fixed, "inference-cmp-gke-workload-identity", PRECONDITION_RULE) == []


def test_a_dependency_through_another_resource_is_enough() -> None:
    plan = shipped_plan("cmp-gke")
    through_the_pool = with_dependencies(
        plan,
        "inference-cmp-gke-workload-identity",
        add=("inference-cmp-gke-gpu",),
        remove=("inference-cmp-gke-cluster",),
    )

    assert violations_of(through_the_pool, "inference-cmp-gke-workload-identity", PRECONDITION_RULE) == []


def test_project_iam_without_the_resource_manager_api_fails_for_each_grant() -> None:
    plan = shipped_plan("prod-gke")
    broken = without_crm_api(plan)
    fixed = with_crm_api_before_project_iam(plan, "inference-prod-gke")

    grants = [member.name for member in broken.of_type("gcp:projects/iAMMember:IAMMember")]
    assert grants
    for grant in grants:
        assert f"service={CRM_API}" in messages(broken, grant, PRECONDITION_RULE)
        assert f"service={CRM_API}" not in messages(fixed, grant, PRECONDITION_RULE)


def test_node_pools_whose_account_lacks_the_gke_node_role_fail() -> None:
    plan = shipped_plan("cmp-gke")
    broken = without(plan, lambda r: r.type == "gcp:projects/iAMMember:IAMMember" and r.get("role") == NODE_ROLE)
    fixed = with_node_role(plan, "inference-cmp-gke")

    for name in ("inference-cmp-gke-gpu", "inference-cmp-gke-system", "inference-cmp-gke-cluster"):
        assert NODE_ROLE in messages(broken, name, PRECONDITION_RULE)
        assert NODE_ROLE not in messages(fixed, name, PRECONDITION_RULE)


def test_a_cloud_run_service_that_reads_a_secret_before_its_accessor_binding_fails_naming_the_secret() -> None:
    plan = shipped_plan("dev")
    broken = with_dependencies(plan, "inference-dev-service", remove=("inference-dev-runtime-api-key-accessor",))

    found = messages(broken, "inference-dev-service", PRECONDITION_RULE)
    assert "missing dependency on inference-dev-runtime-api-key-accessor" in found
    assert "projects/my-inference-dev/secrets/inference-dev-api-key" in found
    assert "accessor" not in messages(plan, "inference-dev-service", PRECONDITION_RULE)


def test_private_ip_database_and_redis_without_the_connection_fail() -> None:
    plan = shipped_plan("dev")
    broken = with_dependencies(plan, "inference-dev-db-instance", remove=(DEV_CONNECTION,))
    broken = with_dependencies(broken, DEV_REDIS, remove=(DEV_CONNECTION,))

    names: tuple[Ref, ...] = ("inference-dev-db-instance", DEV_REDIS)
    for name in names:
        assert "missing dependency on inference-dev-private-services" in messages(broken, name, PRECONDITION_RULE)
        assert "private-services" not in messages(plan, name, PRECONDITION_RULE)


def test_a_resource_whose_api_is_never_enabled_fails() -> None:
    plan = without(shipped_plan("dev"), lambda r: r.get("service") == "redis.googleapis.com")

    assert "service=redis.googleapis.com" in messages(plan, "inference-dev-redis", PRECONDITION_RULE)


@pytest.mark.parametrize(
    ("resource", "inputs", "flag"),
    [
        (
            DEV_CONNECTION,
            {"deletionPolicy": "ABANDON"},
            "deletionPolicy is ABANDON: set it to REMOVE_PEERING",
        ),
        (DEV_REDIS, {"deletionProtection": None}, "deletionProtection is unset: set it to false"),
        ("inference-dev-db-user", {"deletionPolicy": None}, "deletionPolicy is unset: set it to ABANDON"),
        ("inference-dev-db-instance", {"deletionProtection": True}, "deletionProtection is true: set it to false"),
        ("inference-dev-service", {"deletionProtection": None}, "deletionProtection is unset: set it to false"),
        ("inference-dev-api-key-secret", {"deletionProtection": True}, "deletionProtection is true: set it to false"),
        ("inference-dev-vpc", {"deletionPolicy": "PREVENT"}, "deletionPolicy is PREVENT: set it to DELETE"),
    ],
)
def test_dev_with_a_delete_blocker_put_back_fails_naming_the_flag_to_lower(
    resource: Ref, inputs: dict[str, object], flag: str
) -> None:
    fixed = with_inputs(shipped_plan("dev"), resource, **_lowered(resource, inputs))
    broken = with_inputs(fixed, resource, **inputs)

    assert flag in messages(broken, resource, DESTROYABLE_RULE)
    assert violations_of(fixed, resource, DESTROYABLE_RULE) == []


def _lowered(resource: Ref, inputs: dict[str, object]) -> dict[str, object]:
    if resource == DEV_CONNECTION:
        return {"deletionPolicy": "REMOVE_PEERING"}
    if resource == "inference-dev-db-user":
        return {"deletionPolicy": "ABANDON"}
    return {key: False for key in inputs}


def test_a_comparison_stack_is_held_to_the_destroy_rule_by_its_name() -> None:
    plan = with_inputs(shipped_plan("cmp-gke"), "inference-cmp-gke-cluster", deletionProtection=True)

    assert "deletionProtection is true" in messages(plan, "inference-cmp-gke-cluster", DESTROYABLE_RULE)


def test_prod_may_keep_its_delete_blockers() -> None:
    plan = shipped_plan("prod")

    assert [item for item in evaluate(plan) if item.rule == DESTROYABLE_RULE] == []
    assert named(plan, "inference-prod-db-instance").get("deletionProtection") is True


@pytest.mark.parametrize(
    ("stack", "resource", "inputs"),
    [
        ("prod", ("gcp:redis/instance:Instance", "inference-prod-redis"), {"deletionProtection": False}),
        ("prod", "inference-prod-db-instance", {"deletionProtection": False}),
        ("prod", "inference-prod-db-database", {"deletionPolicy": None}),
        ("prod-gke", "inference-prod-gke-cluster", {"deletionProtection": False}),
    ],
)
def test_prod_with_data_left_unprotected_fails_naming_what_is_lost_and_the_flag(
    stack: str, resource: Ref, inputs: dict[str, object]
) -> None:
    plan = shipped_plan(stack)
    protection = {"deletionPolicy": "ABANDON"} if "deletionPolicy" in inputs else {"deletionProtection": True}
    fixed = with_inputs(plan, resource, **protection)
    broken = with_inputs(plan, resource, **inputs)

    found = messages(broken, resource, PROD_PROTECTS_RULE)
    assert "nothing protects it in prod" in found and next(iter(inputs)) in found
    assert violations_of(fixed, resource, PROD_PROTECTS_RULE) == []


def test_a_type_without_lifecycle_data_is_a_violation() -> None:
    plan = shipped_plan("dev")
    unknown = with_resource(plan, "inference-dev-vpc", type="gcp:compute/firewall:Firewall")

    [violation] = [item for item in evaluate(unknown) if item.resource == "inference-dev-vpc"]
    assert "no entry for gcp:compute/firewall:Firewall" in violation.message


def test_a_destroy_blocker_names_what_the_destroy_then_cannot_reach() -> None:
    plan = with_inputs(shipped_plan("dev"), DEV_REDIS, deletionProtection=True)

    found = messages(plan, DEV_REDIS, DESTROYABLE_RULE)
    assert "resources it depends on are then left (private services connection, private services range" in found
