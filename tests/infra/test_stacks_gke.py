"""The GKE stacks and the comparison pair, planned whole: inventories and the properties that matter in them.

Pulumi.prod-gke.yaml runs production on a regional private cluster with on-demand L4 nodes. Pulumi.cmp-cloudrun.yaml
and Pulumi.cmp-gke.yaml are the same workload (one L4 per instance or pod, the same Redis and database, the same
labels, nothing protected from deletion) on the two platforms.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from facts import types
from facts.gcp import GKE_CLUSTER_NAME_MAX, GPU_ZONES, MACHINE_TYPES, SERVICE_ACCOUNT_ID, gke_allocatable
from facts.quantities import memory_mib
from infra.offline import plan_stack
from plan import SECRET_PLACEHOLDER, Plan, PlannedResource
from tests.engine_values import engine_output
from tests.infra.stack_plans import expected_labels, inventory, leaked_secrets
from tests.stack_files import stack_config

GKE_STACKS = ("prod-gke", "cmp-gke")


# Resources that exist on one platform only; everything else must be the same in the comparison pair.
PLATFORM_ONLY_TYPES = {
    types.CLOUD_RUN_SERVICE,
    types.SERVICE_ACCOUNT,
    types.SECRET_IAM_MEMBER,
    types.SUBNETWORK,
    "gcp:compute/router:Router",
    "gcp:compute/routerNat:RouterNat",
    "gcp:projects/service:Service",
    "gcp:projects/iAMMember:IAMMember",
    "gcp:serviceaccount/iAMMember:IAMMember",
    "pulumi:providers:kubernetes",
}
SECRET_ENV = {"REDIS_PASSWORD", "DATABASE_PASSWORD", "API_KEYS", "ADMIN_API_KEYS"}


@pytest.fixture(scope="module", params=GKE_STACKS)
def gke_plan(request: pytest.FixtureRequest) -> Plan:
    return request.getfixturevalue(request.param.replace("-", "_"))


def pool(plan: Plan, name: str) -> dict[str, Any]:
    return next(resource.inputs for resource in plan.of_type(types.GKE_NODE_POOL) if resource.inputs["name"] == name)


def app_container(plan: Plan) -> dict[str, Any]:
    (container,) = plan.one(types.K8S_DEPLOYMENT).inputs["spec"]["template"]["spec"]["containers"]
    return container


def env_names(plan: Plan) -> set[str]:
    if plan.of_type(types.CLOUD_RUN_SERVICE):
        (container,) = plan.one(types.CLOUD_RUN_SERVICE).inputs["template"]["containers"]
        return {env["name"] for env in container["envs"]}
    return {env["name"] for env in app_container(plan)["env"]}


# --- inventory ------------------------------------------------------------------------------------------------


def test_gke_stack_creates_the_gke_inventory(gke_plan: Plan) -> None:
    assert gke_plan.type_counts() == inventory("gke").resources


def test_gke_stack_enables_the_container_api_and_not_cloud_run(gke_plan: Plan) -> None:
    services = {resource.inputs["service"] for resource in gke_plan.of_type(types.PROJECT_SERVICE)}
    assert services == inventory("gke").apis
    assert "container.googleapis.com" in services
    assert "run.googleapis.com" not in services


def test_private_nodes_get_egress_through_cloud_nat_and_pods_use_the_subnets_secondary_ranges(gke_plan: Plan) -> None:
    assert gke_plan.one("gcp:compute/routerNat:RouterNat").inputs["natIpAllocateOption"] == "AUTO_ONLY"
    ranges = {item["rangeName"] for item in gke_plan.one(types.SUBNETWORK).inputs["secondaryIpRanges"]}
    policy = gke_plan.one(types.GKE_CLUSTER).inputs["ipAllocationPolicy"]
    assert {policy["clusterSecondaryRangeName"], policy["servicesSecondaryRangeName"]} == ranges


def test_stack_outputs_name_the_cluster_and_keep_the_kubeconfig_secret(gke_plan: Plan) -> None:
    outputs = gke_plan.outputs
    assert outputs["cluster_name"] == f"inference-{gke_plan.stack}"
    assert outputs["kubeconfig"] == SECRET_PLACEHOLDER
    assert (outputs["namespace"], outputs["service_name"]) == ("inference", "embeddings")


# --- the GPU workload ---------------------------------------------------------------------------------------------


def test_each_pod_takes_one_l4_on_a_g2_standard_4_node_and_fits_there(gke_plan: Plan) -> None:
    node_config = pool(gke_plan, "gpu")["nodeConfig"]
    assert node_config["machineType"] == "g2-standard-4"
    assert node_config["guestAccelerators"][0]["type"] == "nvidia-l4"
    resources = app_container(gke_plan)["resources"]
    assert resources["limits"]["nvidia.com/gpu"] == "1"
    allocatable_cpu, allocatable_memory_gib = gke_allocatable(MACHINE_TYPES["g2-standard-4"])
    assert float(resources["requests"]["cpu"]) < allocatable_cpu
    assert memory_mib(resources["requests"]["memory"]) / 1024 < allocatable_memory_gib


@pytest.mark.parametrize("stack", GKE_STACKS)
@pytest.mark.parametrize(
    ("machine_type", "accelerator"),
    [
        ("n1-standard-8", "nvidia-tesla-t4"),
        ("n1-standard-16", "nvidia-tesla-t4"),
        ("a2-highgpu-1g", "nvidia-tesla-a100"),
    ],
)
def test_a_gke_stack_that_changes_only_the_gpu_pool_plans_pods_on_that_gpu(
    project_copy: Path, stack: str, machine_type: str, accelerator: str
) -> None:
    shipped = (project_copy / f"Pulumi.{stack}.yaml").read_text()
    changed = shipped.replace("machineType: g2-standard-4", f"machineType: {machine_type}", 1).replace(
        "accelerator: nvidia-l4", f"accelerator: {accelerator}", 1
    )
    assert changed.count(machine_type) == changed.count(accelerator) == 1
    (project_copy / "Pulumi.gpu-pool.yaml").write_text(changed)

    plan = plan_stack("gpu-pool", project_copy, cache=False)

    node_config = pool(plan, "gpu")["nodeConfig"]
    assert node_config["machineType"] == machine_type
    assert [accelerator_args["type"] for accelerator_args in node_config["guestAccelerators"]] == [accelerator]
    pod = plan.one(types.K8S_DEPLOYMENT).inputs["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"cloud.google.com/gke-accelerator": accelerator}


def test_the_autoscaler_never_wants_more_pods_than_the_gpu_pool_has_nodes(gke_plan: Plan) -> None:
    spec = gke_plan.one(types.K8S_HORIZONTAL_POD_AUTOSCALER).inputs["spec"]
    autoscaling = pool(gke_plan, "gpu")["autoscaling"]
    assert spec["minReplicas"] <= spec["maxReplicas"] <= autoscaling["totalMaxNodeCount"]


def test_pods_may_reach_the_stacks_own_redis_and_database_only(gke_plan: Plan) -> None:
    env = {variable["name"]: variable.get("value", "") for variable in app_container(gke_plan)["env"]}
    redis = re.fullmatch(r"rediss://(?P<host>[\d.]+):(?P<port>\d+)/0", env["REDIS_URL"])
    database = re.search(r"@(?P<host>[\d.]+):5432/", env["DATABASE_URL"])
    assert redis is not None and database is not None
    egress = next(
        resource.inputs["spec"]["egress"]
        for resource in gke_plan.of_type(types.K8S_NETWORK_POLICY)
        if resource.inputs["metadata"]["name"].endswith("-egress")
    )
    reachable = {
        (peer["ipBlock"]["cidr"], port["port"])
        for rule in egress
        for peer in rule["to"]
        if "ipBlock" in peer
        for port in rule["ports"]
    }
    assert (f"{redis['host']}/32", int(redis["port"])) in reachable
    assert (f"{database['host']}/32", 5432) in reachable


def test_the_pod_reads_the_same_environment_as_the_cloud_run_service(cmp_gke: Plan, cmp_cloudrun: Plan) -> None:
    assert env_names(cmp_gke) == env_names(cmp_cloudrun)
    assert env_names(cmp_gke) >= SECRET_ENV


def test_the_pods_google_account_can_read_every_secret_of_the_stack(gke_plan: Plan) -> None:
    bindings = gke_plan.of_type(types.SECRET_IAM_MEMBER)
    assert {binding.inputs["secretId"] for binding in bindings} == set(gke_plan.outputs["secret_ids"].values())
    assert {binding.inputs["member"] for binding in bindings} == {
        f"serviceAccount:inference-{gke_plan.stack}-pod@{stack_config(gke_plan.stack)['gcp:project']}"
        ".iam.gserviceaccount.com"
    }


# --- prod-gke -----------------------------------------------------------------------------------------------------


def test_prod_gke_is_a_regional_cluster_protected_from_deletion(prod_gke: Plan) -> None:
    cluster = prod_gke.one(types.GKE_CLUSTER).inputs
    assert cluster["location"] == "us-central1"
    assert cluster["deletionProtection"] is True
    sql = prod_gke.one(types.SQL_INSTANCE).inputs
    assert sql["deletionProtection"] is True
    assert sql["settings"]["availabilityType"] == "REGIONAL"
    assert prod_gke.one(types.REDIS_INSTANCE).inputs["tier"] == "STANDARD_HA"


def test_prod_gke_keeps_two_pods_on_on_demand_nodes(prod_gke: Plan) -> None:
    gpu_pool = pool(prod_gke, "gpu")
    assert gpu_pool["nodeConfig"]["spot"] is False
    assert gpu_pool["autoscaling"]["totalMinNodeCount"] == 2
    assert prod_gke.one(types.K8S_HORIZONTAL_POD_AUTOSCALER).inputs["spec"]["minReplicas"] == 2


# --- the comparison pair ------------------------------------------------------------------------------------------


def normalized(resource: PlannedResource, stack: str) -> tuple[str, str]:
    """Type and inputs with the stack's own name taken out, so the two stacks can be compared."""
    return resource.type, json.dumps(resource.inputs, sort_keys=True).replace(stack, "<stack>")


def shared_resources(plan: Plan) -> list[tuple[str, str]]:
    return sorted(
        normalized(resource, plan.stack)
        for resource in plan.resources
        if resource.custom
        and resource.type not in PLATFORM_ONLY_TYPES
        and not resource.type.startswith(("kubernetes:", "gcp:container/"))
    )


def test_the_comparison_pair_shares_redis_database_secrets_network_and_image(cmp_gke: Plan, cmp_cloudrun: Plan) -> None:
    shared = shared_resources(cmp_gke)
    assert {resource_type for resource_type, _inputs in shared} >= {
        types.REDIS_INSTANCE,
        types.SQL_INSTANCE,
        types.RANDOM_PASSWORD,
    }
    assert shared == shared_resources(cmp_cloudrun)


def test_the_comparison_pair_runs_one_l4_per_instance_or_pod_with_the_same_bounds(
    cmp_gke: Plan, cmp_cloudrun: Plan
) -> None:
    template = cmp_cloudrun.one(types.CLOUD_RUN_SERVICE).inputs["template"]
    assert template["nodeSelector"]["accelerator"] == "nvidia-l4"
    assert template["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert template["gpuZonalRedundancyDisabled"] is True
    cloud_run_bounds = (template["scaling"]["minInstanceCount"], template["scaling"]["maxInstanceCount"])

    autoscaler = cmp_gke.one(types.K8S_HORIZONTAL_POD_AUTOSCALER).inputs["spec"]
    assert (autoscaler["minReplicas"], autoscaler["maxReplicas"]) == cloud_run_bounds
    gpu_pool = pool(cmp_gke, "gpu")
    assert gpu_pool["nodeConfig"]["guestAccelerators"][0]["type"] == "nvidia-l4"
    assert gpu_pool["nodeConfig"]["spot"] is False, "the cost issue compares with one on-demand node"
    assert (gpu_pool["autoscaling"]["totalMinNodeCount"], gpu_pool["autoscaling"]["totalMaxNodeCount"]) == (
        cloud_run_bounds
    )


def test_the_comparison_pair_has_the_same_labels_and_environment() -> None:
    cloud_run, gke = stack_config("cmp-cloudrun"), stack_config("cmp-gke")
    assert cloud_run["inference:labels"] == gke["inference:labels"]
    assert cloud_run["inference:environment"] == gke["inference:environment"] == "dev"
    assert (cloud_run["inference:platform"], gke["inference:platform"]) == ("cloudrun", "gke")
    platform_keys = {"inference:platform", "inference:service", "inference:gke"}
    assert {key: value for key, value in cloud_run.items() if key not in platform_keys} == {
        key: value for key, value in gke.items() if key not in platform_keys
    }


def test_both_comparison_stacks_destroy_cleanly(cmp_gke: Plan, cmp_cloudrun: Plan) -> None:
    assert cmp_cloudrun.one(types.CLOUD_RUN_SERVICE).inputs["deletionProtection"] is False
    assert cmp_gke.one(types.GKE_CLUSTER).inputs["deletionProtection"] is False
    for plan in (cmp_gke, cmp_cloudrun):
        sql = plan.one(types.SQL_INSTANCE).inputs
        assert sql["deletionProtection"] is False
        assert sql["settings"]["deletionProtectionEnabled"] is False
        assert plan.one("gcp:servicenetworking/connection:Connection").inputs["deletionPolicy"] == "REMOVE_PEERING"
        assert plan.one(types.REDIS_INSTANCE).inputs["deletionProtection"] is False
        assert plan.one("gcp:sql/user:User").inputs["deletionPolicy"] == "ABANDON"
        assert plan.one("gcp:sql/database:Database").inputs["deletionPolicy"] == "ABANDON"
        assert {secret.inputs["deletionProtection"] for secret in plan.of_type("gcp:secretmanager/secret:Secret")} == {
            False
        }


def test_prod_gke_protects_everything_that_holds_data(prod_gke: Plan) -> None:
    assert prod_gke.one(types.GKE_CLUSTER).inputs["deletionProtection"] is True
    sql = prod_gke.one(types.SQL_INSTANCE).inputs
    assert (sql["deletionProtection"], sql["settings"]["deletionProtectionEnabled"]) == (True, True)
    assert prod_gke.one("gcp:sql/database:Database").inputs["deletionPolicy"] == "PREVENT"
    assert prod_gke.one(types.REDIS_INSTANCE).inputs["deletionProtection"] is True
    assert {secret.inputs["deletionProtection"] for secret in prod_gke.of_type("gcp:secretmanager/secret:Secret")} == {
        True
    }
    assert prod_gke.one("gcp:artifactregistry/repository:Repository").inputs["deletionPolicy"] == "PREVENT"


# --- what `pulumi up` needs on a fresh project ---------------------------------------------------------------------


def test_the_workload_identity_binding_waits_for_the_cluster_that_creates_the_identity_pool(gke_plan: Plan) -> None:
    binding = gke_plan.one("gcp:serviceaccount/iAMMember:IAMMember")
    assert binding.inputs["member"].startswith(
        f"serviceAccount:{stack_config(gke_plan.stack)['gcp:project']}.svc.id.goog["
    )
    assert gke_plan.one(types.GKE_CLUSTER).urn in binding.dependencies


def test_project_iam_waits_for_the_resource_manager_api(gke_plan: Plan) -> None:
    api = next(
        service
        for service in gke_plan.of_type("gcp:projects/service:Service")
        if service.inputs["service"] == "cloudresourcemanager.googleapis.com"
    )
    for binding in gke_plan.of_type("gcp:projects/iAMMember:IAMMember"):
        assert api.urn in binding.dependencies, binding.name


def test_the_node_account_has_the_role_gke_requires(gke_plan: Plan) -> None:
    roles = {binding.inputs["role"] for binding in gke_plan.of_type("gcp:projects/iAMMember:IAMMember")}
    assert "roles/container.defaultNodeServiceAccount" in roles


def test_the_kubernetes_provider_talks_to_the_dns_endpoint(gke_plan: Plan) -> None:
    cluster = gke_plan.one(types.GKE_CLUSTER)
    project = stack_config(gke_plan.stack)["gcp:project"]
    endpoints = engine_output(cluster, "controlPlaneEndpointsConfig", project)
    assert cluster.inputs["controlPlaneEndpointsConfig"]["dnsEndpointConfig"] == {"allowExternalTraffic": True}
    assert cluster.inputs["privateClusterConfig"]["enablePrivateEndpoint"] is True
    assert gke_plan.outputs["control_plane_endpoint"] == endpoints["dnsEndpointConfig"]["endpoint"]


def test_the_rollout_fits_the_gpu_pool_at_full_scale(gke_plan: Plan) -> None:
    rolling = gke_plan.one(types.K8S_DEPLOYMENT).inputs["spec"]["strategy"]["rollingUpdate"]
    autoscaler = gke_plan.one(types.K8S_HORIZONTAL_POD_AUTOSCALER).inputs["spec"]
    gpu_pool = pool(gke_plan, "gpu")
    gpus = gpu_pool["autoscaling"]["totalMaxNodeCount"] * gpu_pool["nodeConfig"]["guestAccelerators"][0]["count"]
    assert autoscaler["maxReplicas"] + rolling["maxSurge"] <= gpus
    assert rolling["maxSurge"] + rolling["maxUnavailable"] >= 1


def test_gpu_nodes_are_placed_only_in_zones_that_offer_the_accelerator(gke_plan: Plan) -> None:
    gpu_pool = pool(gke_plan, "gpu")
    accelerator = gpu_pool["nodeConfig"]["guestAccelerators"][0]["type"]
    region = stack_config(gke_plan.stack)["gcp:region"]
    assert gpu_pool["nodeLocations"]
    assert set(gpu_pool["nodeLocations"]) <= set(GPU_ZONES[accelerator][region])


def test_a_changed_secret_rolls_the_pods(gke_plan: Plan) -> None:
    annotations = gke_plan.one(types.K8S_DEPLOYMENT).inputs["spec"]["template"]["metadata"]["annotations"]
    assert annotations["inference/secret-versions"] == ",".join(f"{name}=1" for name in sorted(SECRET_ENV))


# --- labels, secrets and names -------------------------------------------------------------------------------------


def test_cluster_node_pools_and_kubernetes_objects_carry_the_stack_labels(gke_plan: Plan) -> None:
    expected = expected_labels(gke_plan)
    assert gke_plan.one(types.GKE_CLUSTER).inputs["resourceLabels"] == expected
    assert [pool(gke_plan, name)["nodeConfig"]["resourceLabels"] for name in ("system", "gpu")] == [expected] * 2
    kubernetes_objects = [resource for resource in gke_plan.resources if resource.type.startswith("kubernetes:")]
    unlabelled = [
        resource.name
        for resource in kubernetes_objects
        if not expected.items() <= resource.inputs["metadata"]["labels"].items()
    ]
    assert unlabelled == []


def test_no_generated_password_or_auth_string_appears_anywhere_in_the_plan(gke_plan: Plan) -> None:
    assert leaked_secrets(gke_plan) == []
    assert gke_plan.one("kubernetes:core/v1:Secret").inputs["stringData"] == SECRET_PLACEHOLDER


def test_cluster_name_and_service_account_ids_are_within_gcp_limits(gke_plan: Plan) -> None:
    assert len(gke_plan.one(types.GKE_CLUSTER).inputs["name"]) <= GKE_CLUSTER_NAME_MAX
    account_ids = [resource.inputs["accountId"] for resource in gke_plan.of_type(types.SERVICE_ACCOUNT)]
    assert [account_id for account_id in account_ids if not SERVICE_ACCOUNT_ID.match(account_id)] == []
