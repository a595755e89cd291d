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

from facts.gcp import GKE_CLUSTER_NAME_MAX, MACHINE_TYPES, SERVICE_ACCOUNT_ID, gke_allocatable
from infra.config import memory_mib
from infra.offline import plan_stack
from infra.offline.mocks import computed_outputs
from plan import SECRET_PLACEHOLDER, Plan, PlannedResource
from tests.stack_files import stack_config

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GKE_STACKS = ("prod-gke", "cmp-gke")

CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
AUTOSCALER = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CLOUD_RUN = "gcp:cloudrunv2/service:Service"
SQL_INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"
REDIS = "gcp:redis/instance:Instance"
ACCOUNT = "gcp:serviceaccount/account:Account"
ACCESSOR = "gcp:secretmanager/secretIamMember:SecretIamMember"
PASSWORD = "random:index/randomPassword:RandomPassword"
SUBNET = "gcp:compute/subnetwork:Subnetwork"

# What `pulumi up` creates for a GKE stack, by type.
GKE_INVENTORY = {
    "inference:apis:ProjectApis": 1,
    "gcp:projects/service:Service": 8,
    "inference:network:Network": 1,
    "gcp:compute/network:Network": 1,
    "gcp:compute/subnetwork:Subnetwork": 1,
    "gcp:compute/globalAddress:GlobalAddress": 1,
    "gcp:servicenetworking/connection:Connection": 1,
    "gcp:compute/router:Router": 1,
    "gcp:compute/routerNat:RouterNat": 1,
    "inference:secrets:Secrets": 2,
    "random:index/randomPassword:RandomPassword": 3,
    "gcp:secretmanager/secret:Secret": 4,
    "gcp:secretmanager/secretVersion:SecretVersion": 4,
    "gcp:secretmanager/secretIamMember:SecretIamMember": 4,
    "inference:database:PostgresDatabase": 1,
    "gcp:sql/databaseInstance:DatabaseInstance": 1,
    "gcp:sql/database:Database": 1,
    "gcp:sql/user:User": 1,
    "inference:cache:RedisCache": 1,
    "gcp:redis/instance:Instance": 1,
    "inference:image:ContainerImage": 1,
    "gcp:artifactregistry/repository:Repository": 1,
    "docker:index/image:Image": 1,
    "inference:gke:GkeCluster": 1,
    "gcp:serviceaccount/account:Account": 2,
    "gcp:projects/iAMMember:IAMMember": 4,
    "gcp:container/cluster:Cluster": 1,
    "gcp:container/nodePool:NodePool": 2,
    "pulumi:providers:kubernetes": 1,
    "inference:workload:KubernetesWorkload": 1,
    "gcp:serviceaccount/iAMMember:IAMMember": 1,
    "kubernetes:core/v1:Namespace": 1,
    "kubernetes:core/v1:ServiceAccount": 1,
    "kubernetes:core/v1:Secret": 1,
    "kubernetes:apps/v1:Deployment": 1,
    "kubernetes:core/v1:Service": 1,
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": 1,
    "kubernetes:policy/v1:PodDisruptionBudget": 1,
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": 3,
}
# Resources that exist on one platform only; everything else must be the same in the comparison pair.
PLATFORM_ONLY_TYPES = {
    CLOUD_RUN,
    ACCOUNT,
    ACCESSOR,
    SUBNET,
    "gcp:compute/router:Router",
    "gcp:compute/routerNat:RouterNat",
    "gcp:projects/service:Service",
    "gcp:projects/iAMMember:IAMMember",
    "gcp:serviceaccount/iAMMember:IAMMember",
    "pulumi:providers:kubernetes",
}
SECRET_ENV = {"REDIS_PASSWORD", "DATABASE_PASSWORD", "API_KEYS", "ADMIN_API_KEYS"}


@pytest.fixture(scope="module")
def prod_gke() -> Plan:
    return plan_stack("prod-gke", PROJECT_ROOT, cache=False)


@pytest.fixture(scope="module")
def cmp_gke() -> Plan:
    return plan_stack("cmp-gke", PROJECT_ROOT, cache=False)


@pytest.fixture(scope="module")
def cmp_cloudrun() -> Plan:
    return plan_stack("cmp-cloudrun", PROJECT_ROOT, cache=False)


@pytest.fixture(scope="module", params=GKE_STACKS)
def gke_plan(request: pytest.FixtureRequest) -> Plan:
    return request.getfixturevalue(request.param.replace("-", "_"))


def pool(plan: Plan, name: str) -> dict[str, Any]:
    return next(resource.inputs for resource in plan.of_type(NODE_POOL) if resource.inputs["name"] == name)


def app_container(plan: Plan) -> dict[str, Any]:
    (container,) = plan.one(DEPLOYMENT).inputs["spec"]["template"]["spec"]["containers"]
    return container


def env_names(plan: Plan) -> set[str]:
    if plan.of_type(CLOUD_RUN):
        (container,) = plan.one(CLOUD_RUN).inputs["template"]["containers"]
        return {env["name"] for env in container["envs"]}
    return {env["name"] for env in app_container(plan)["env"]}


# --- inventory ------------------------------------------------------------------------------------------------


def test_gke_stack_creates_the_gke_inventory(gke_plan: Plan) -> None:
    assert gke_plan.type_counts() == GKE_INVENTORY


def test_gke_stack_enables_the_container_api_and_not_cloud_run(gke_plan: Plan) -> None:
    services = {resource.inputs["service"] for resource in gke_plan.of_type("gcp:projects/service:Service")}
    assert "container.googleapis.com" in services
    assert "run.googleapis.com" not in services


def test_private_nodes_get_egress_through_cloud_nat_and_pods_use_the_subnets_secondary_ranges(gke_plan: Plan) -> None:
    assert gke_plan.one("gcp:compute/routerNat:RouterNat").inputs["natIpAllocateOption"] == "AUTO_ONLY"
    ranges = {item["rangeName"] for item in gke_plan.one(SUBNET).inputs["secondaryIpRanges"]}
    policy = gke_plan.one(CLUSTER).inputs["ipAllocationPolicy"]
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


def test_the_autoscaler_never_wants_more_pods_than_the_gpu_pool_has_nodes(gke_plan: Plan) -> None:
    spec = gke_plan.one(AUTOSCALER).inputs["spec"]
    autoscaling = pool(gke_plan, "gpu")["autoscaling"]
    assert spec["minReplicas"] <= spec["maxReplicas"] <= autoscaling["totalMaxNodeCount"]


def test_pods_may_reach_the_stacks_own_redis_and_database_only(gke_plan: Plan) -> None:
    env = {variable["name"]: variable.get("value", "") for variable in app_container(gke_plan)["env"]}
    redis = re.fullmatch(r"rediss://(?P<host>[\d.]+):(?P<port>\d+)/0", env["REDIS_URL"])
    database = re.search(r"@(?P<host>[\d.]+):5432/", env["DATABASE_URL"])
    assert redis is not None and database is not None
    egress = next(
        resource.inputs["spec"]["egress"]
        for resource in gke_plan.of_type(NETWORK_POLICY)
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
    bindings = gke_plan.of_type(ACCESSOR)
    assert {binding.inputs["secretId"] for binding in bindings} == set(gke_plan.outputs["secret_ids"].values())
    assert {binding.inputs["member"] for binding in bindings} == {
        f"serviceAccount:inference-{gke_plan.stack}-pod@{stack_config(gke_plan.stack)['gcp:project']}"
        ".iam.gserviceaccount.com"
    }


# --- prod-gke -----------------------------------------------------------------------------------------------------


def test_prod_gke_is_a_regional_cluster_protected_from_deletion(prod_gke: Plan) -> None:
    cluster = prod_gke.one(CLUSTER).inputs
    assert cluster["location"] == "us-central1"
    assert cluster["deletionProtection"] is True
    sql = prod_gke.one(SQL_INSTANCE).inputs
    assert sql["deletionProtection"] is True
    assert sql["settings"]["availabilityType"] == "REGIONAL"
    assert prod_gke.one(REDIS).inputs["tier"] == "STANDARD_HA"


def test_prod_gke_keeps_two_pods_on_on_demand_nodes(prod_gke: Plan) -> None:
    gpu_pool = pool(prod_gke, "gpu")
    assert gpu_pool["nodeConfig"]["spot"] is False
    assert gpu_pool["autoscaling"]["totalMinNodeCount"] == 2
    assert prod_gke.one(AUTOSCALER).inputs["spec"]["minReplicas"] == 2


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
    assert {resource_type for resource_type, _inputs in shared} >= {REDIS, SQL_INSTANCE, PASSWORD}
    assert shared == shared_resources(cmp_cloudrun)


def test_the_comparison_pair_runs_one_l4_per_instance_or_pod_with_the_same_bounds(
    cmp_gke: Plan, cmp_cloudrun: Plan
) -> None:
    template = cmp_cloudrun.one(CLOUD_RUN).inputs["template"]
    assert template["nodeSelector"]["accelerator"] == "nvidia-l4"
    assert template["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert template["gpuZonalRedundancyDisabled"] is True
    cloud_run_bounds = (template["scaling"]["minInstanceCount"], template["scaling"]["maxInstanceCount"])

    autoscaler = cmp_gke.one(AUTOSCALER).inputs["spec"]
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
    assert cmp_cloudrun.one(CLOUD_RUN).inputs["deletionProtection"] is False
    assert cmp_gke.one(CLUSTER).inputs["deletionProtection"] is False
    for plan in (cmp_gke, cmp_cloudrun):
        sql = plan.one(SQL_INSTANCE).inputs
        assert sql["deletionProtection"] is False
        assert sql["settings"]["deletionProtectionEnabled"] is False
        assert plan.one("gcp:servicenetworking/connection:Connection").inputs["deletionPolicy"] == "ABANDON"


# --- labels, secrets and names -------------------------------------------------------------------------------------


def test_cluster_node_pools_and_kubernetes_objects_carry_the_stack_labels(gke_plan: Plan) -> None:
    config = stack_config(gke_plan.stack)
    expected = {
        **config["inference:labels"],
        "environment": config["inference:environment"],
        "stack": gke_plan.stack,
        "managed-by": "pulumi",
    }
    assert gke_plan.one(CLUSTER).inputs["resourceLabels"] == expected
    assert [pool(gke_plan, name)["nodeConfig"]["resourceLabels"] for name in ("system", "gpu")] == [expected] * 2
    kubernetes_objects = [resource for resource in gke_plan.resources if resource.type.startswith("kubernetes:")]
    unlabelled = [
        resource.name
        for resource in kubernetes_objects
        if not expected.items() <= resource.inputs["metadata"]["labels"].items()
    ]
    assert unlabelled == []


def test_no_generated_password_or_auth_string_appears_anywhere_in_the_plan(gke_plan: Plan) -> None:
    project = stack_config(gke_plan.stack)["gcp:project"]
    secret_values = [
        computed_outputs(resource.type, resource.name, resource.inputs, project)[output]
        for resource, output in [
            *((password, "result") for password in gke_plan.of_type(PASSWORD)),
            *((redis, "authString") for redis in gke_plan.of_type(REDIS)),
        ]
    ]
    whole_plan = json.dumps(gke_plan.to_dict(include_outputs=True))
    assert len(secret_values) == 4
    assert [value for value in secret_values if value in whole_plan] == []
    assert gke_plan.one("kubernetes:core/v1:Secret").inputs["stringData"] == SECRET_PLACEHOLDER


def test_cluster_name_and_service_account_ids_are_within_gcp_limits(gke_plan: Plan) -> None:
    assert len(gke_plan.one(CLUSTER).inputs["name"]) <= GKE_CLUSTER_NAME_MAX
    account_ids = [resource.inputs["accountId"] for resource in gke_plan.of_type(ACCOUNT)]
    assert [account_id for account_id in account_ids if not SERVICE_ACCOUNT_ID.match(account_id)] == []


def test_gke_names_fit_for_the_longest_stack_name_the_config_accepts(project_copy: Path) -> None:
    longest = "cmp-gke-spot-l4x"
    assert len(longest) == 16
    (project_copy / f"Pulumi.{longest}.yaml").write_text((project_copy / "Pulumi.cmp-gke.yaml").read_text())
    plan = plan_stack(longest, project_copy, cache=False)
    account_ids = [resource.inputs["accountId"] for resource in plan.of_type(ACCOUNT)]
    assert len(account_ids) == 2
    assert [account_id for account_id in account_ids if not SERVICE_ACCOUNT_ID.match(account_id)] == []
    assert len(plan.one(CLUSTER).inputs["name"]) <= GKE_CLUSTER_NAME_MAX
