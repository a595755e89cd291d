"""The GkeCluster component alone: a private, hardened cluster, its two pools and the provider built from it."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.gke import (
    AUTH_PLUGIN,
    AuthorizedNetworkArgs,
    GkeCluster,
    GkeClusterArgs,
    GpuPoolArgs,
    SystemPoolArgs,
)
from components.validation import ArgsError
from facts import types
from facts.gcp import SERVICE_ACCOUNT_DISPLAY_NAME, SERVICE_ACCOUNT_ID
from infra.offline import run_program
from plan import SECRET_PLACEHOLDER, Plan, PlannedResource
from tests.components.gke_examples import GPU_POOL
from tests.engine_values import engine_output

CLUSTER = types.GKE_CLUSTER
NODE_POOL = types.GKE_NODE_POOL
ACCOUNT = types.SERVICE_ACCOUNT
PROJECT_ROLE = types.PROJECT_IAM_MEMBER
PROVIDER = types.KUBERNETES_PROVIDER
LABELS = {"team": "ml-platform", "environment": "dev"}
PROJECT = "my-project"
SYSTEM_POOL = SystemPoolArgs(machine_type="e2-standard-2", node_count=1)


def gpu_pool_args(**choices: Any) -> GpuPoolArgs:
    """The issue's example GPU pool; `choices` override its fields."""
    return GpuPoolArgs(**{**GPU_POOL, **choices})


def cluster_args(**choices: Any) -> GkeClusterArgs:
    """The issue's example cluster (cmp-gke); `choices` override its fields."""
    fields: dict[str, Any] = {
        "project": PROJECT,
        "location": "us-central1-a",
        "cluster_name": "inference-cmp-gke",
        "network_id": "projects/my-project/global/networks/vpc",
        "subnet_id": "projects/my-project/regions/us-central1/subnetworks/subnet",
        "pods_range_name": "pods",
        "services_range_name": "services",
        "master_cidr": "172.16.0.0/28",
        "authorized_networks": [AuthorizedNetworkArgs(cidr="10.0.0.0/8", name="internal")],
        "control_plane_access": "dns",
        "release_channel": "REGULAR",
        "system_pool": SYSTEM_POOL,
        "gpu_pool": gpu_pool_args(),
        "gpu_zones": ("us-central1-a",),
        "deletion_protection": False,
        "labels": LABELS,
        **choices,
    }
    return GkeClusterArgs(**fields)


def plan_cluster(
    control_plane_access: str = "dns", gpu_zones: tuple[str, ...] = ("us-central1-a",), **gpu_choices: Any
) -> Plan:
    """One cluster with the issue's example pools; `gpu_choices` override the GPU pool."""
    args = cluster_args(
        control_plane_access=control_plane_access, gpu_zones=gpu_zones, gpu_pool=gpu_pool_args(**gpu_choices)
    )
    return run_program(lambda: GkeCluster("inference-cmp-gke", args), config={"gcp:project": PROJECT})


@pytest.fixture(scope="module")
def plan() -> Plan:
    return plan_cluster()


def pool(plan: Plan, name: str) -> PlannedResource:
    return next(resource for resource in plan.of_type(NODE_POOL) if resource.inputs["name"] == name)


def test_cluster_is_standard_with_the_default_pool_removed(plan):
    cluster = plan.one(CLUSTER).inputs
    assert cluster["removeDefaultNodePool"] is True
    assert cluster.get("enableAutopilot") is not True
    assert {resource.inputs["name"] for resource in plan.of_type(NODE_POOL)} == {"system", "gpu"}


def test_cluster_is_vpc_native_on_the_networks_secondary_ranges(plan):
    cluster = plan.one(CLUSTER).inputs
    assert cluster["networkingMode"] == "VPC_NATIVE"
    assert cluster["ipAllocationPolicy"] == {
        "clusterSecondaryRangeName": "pods",
        "servicesSecondaryRangeName": "services",
    }
    assert cluster["subnetwork"].endswith("/subnetworks/subnet")


def test_cluster_is_created_only_once_the_node_account_has_its_roles(plan):
    dependencies = set(plan.one(CLUSTER).dependencies)
    assert {binding.urn for binding in plan.of_type(PROJECT_ROLE)} <= dependencies


def test_nodes_are_private_and_the_control_plane_takes_only_authorized_networks(plan):
    cluster = plan.one(CLUSTER).inputs
    assert cluster["privateClusterConfig"]["enablePrivateNodes"] is True
    assert cluster["privateClusterConfig"]["masterIpv4CidrBlock"] == "172.16.0.0/28"
    assert cluster["masterAuthorizedNetworksConfig"]["cidrBlocks"] == [
        {"cidrBlock": "10.0.0.0/8", "displayName": "internal"}
    ]


def test_cluster_meets_the_gke_security_baseline(plan):
    cluster = plan.one(CLUSTER).inputs
    assert cluster["workloadIdentityConfig"] == {"workloadPool": f"{PROJECT}.svc.id.goog"}
    assert cluster["enableShieldedNodes"] is True
    assert cluster["enableLegacyAbac"] is False
    assert cluster["masterAuth"]["clientCertificateConfig"] == {"issueClientCertificate": False}
    assert cluster["datapathProvider"] == "ADVANCED_DATAPATH"
    assert cluster["releaseChannel"] == {"channel": "REGULAR"}
    assert cluster["resourceLabels"] == LABELS


@pytest.mark.parametrize("pool_name", ["system", "gpu"])
def test_every_pool_runs_shielded_cos_nodes_with_the_gke_metadata_server_and_auto_repair(plan, pool_name):
    node_pool = pool(plan, pool_name).inputs
    node_config = node_pool["nodeConfig"]
    assert node_config["imageType"] == "COS_CONTAINERD"
    assert node_config["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
    assert node_config["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert node_config["metadata"] == {"disable-legacy-endpoints": "true"}
    assert node_config["resourceLabels"] == LABELS
    assert node_pool["management"] == {"autoRepair": True, "autoUpgrade": True}


def test_nodes_run_as_a_dedicated_account_with_gkes_node_role_and_image_read_only(plan):
    account = plan.one(ACCOUNT)
    email = f"{account.inputs['accountId']}@{PROJECT}.iam.gserviceaccount.com"
    assert SERVICE_ACCOUNT_ID.match(account.inputs["accountId"])
    assert {pool(plan, name).inputs["nodeConfig"]["serviceAccount"] for name in ("system", "gpu")} == {email}
    assert plan.one(CLUSTER).inputs["nodeConfig"]["serviceAccount"] == email
    roles = {binding.inputs["role"] for binding in plan.of_type(PROJECT_ROLE)}
    assert roles == {"roles/container.defaultNodeServiceAccount", "roles/artifactregistry.reader"}
    assert {binding.inputs["member"] for binding in plan.of_type(PROJECT_ROLE)} == {f"serviceAccount:{email}"}


def test_node_account_id_and_display_name_fit_for_a_100_character_stack_name():
    longest_prefix = "inference-" + "s" * 100

    args = cluster_args(
        location="us-central1",
        cluster_name="inference-long",
        release_channel="STABLE",
        system_pool=SYSTEM_POOL,
        gpu_pool=gpu_pool_args(driver_version="DEFAULT", min_nodes=1, max_nodes=2, spot=False),
        gpu_zones=["us-central1-a", "us-central1-b"],
        deletion_protection=True,
    )

    plan = run_program(lambda: GkeCluster(longest_prefix, args), config={"gcp:project": PROJECT})
    account = plan.one(ACCOUNT).inputs
    assert SERVICE_ACCOUNT_ID.match(account["accountId"])
    assert SERVICE_ACCOUNT_DISPLAY_NAME.accepts(account["displayName"])
    assert account["displayName"] == "Nodes of inference-long"
    assert plan.one(CLUSTER).inputs["deletionProtection"] is True


def test_gpu_pool_attaches_the_accelerator_with_an_explicit_driver_version(plan):
    node_config = pool(plan, "gpu").inputs["nodeConfig"]
    assert node_config["machineType"] == "g2-standard-4"
    assert node_config["guestAccelerators"] == [
        {"type": "nvidia-l4", "count": 1, "gpuDriverInstallationConfig": {"gpuDriverVersion": "LATEST"}}
    ]


def test_gpu_pool_is_tainted_so_only_gpu_pods_land_there(plan):
    assert pool(plan, "gpu").inputs["nodeConfig"]["taints"] == [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
    ]
    assert "taints" not in pool(plan, "system").inputs["nodeConfig"]


def test_gpu_pool_scales_between_min_and_max_nodes_across_zones_and_may_reach_zero(plan):
    autoscaling = pool(plan, "gpu").inputs["autoscaling"]
    assert (autoscaling["totalMinNodeCount"], autoscaling["totalMaxNodeCount"]) == (0, 3)
    assert autoscaling["locationPolicy"] == "ANY"


def test_spot_is_a_choice_of_the_gpu_pool():
    assert pool(plan_cluster(spot=True), "gpu").inputs["nodeConfig"]["spot"] is True
    on_demand = pool(plan_cluster(spot=False, min_nodes=1), "gpu").inputs
    assert on_demand["nodeConfig"]["spot"] is False
    assert on_demand["autoscaling"]["locationPolicy"] == "BALANCED"
    assert on_demand["autoscaling"]["totalMinNodeCount"] == 1


def test_system_pool_has_a_fixed_size_and_no_gpu(plan):
    system = pool(plan, "system").inputs
    assert system["nodeCount"] == 1
    assert system["nodeConfig"]["machineType"] == "e2-standard-2"
    assert "guestAccelerators" not in system["nodeConfig"]


def test_provider_uses_a_secret_kubeconfig_and_waits_for_both_pools(plan):
    provider = plan.one(PROVIDER)
    assert provider.inputs["kubeconfig"] == SECRET_PLACEHOLDER
    pool_urns = {resource.urn for resource in plan.of_type(NODE_POOL)}
    assert pool_urns <= set(provider.dependencies)


def kubeconfig_of(control_plane_access: str) -> tuple[dict[str, Any], Plan]:
    captured: list[str] = []

    def program() -> None:
        cluster = GkeCluster(
            "c",
            cluster_args(
                cluster_name="inference-test",
                authorized_networks=[AuthorizedNetworkArgs(cidr="203.0.113.0/28", name="ci-runners")],
                control_plane_access=control_plane_access,
                system_pool=SYSTEM_POOL,
                gpu_pool=gpu_pool_args(max_nodes=1),
            ),
        )
        cluster.kubeconfig.apply(captured.append)

    plan = run_program(program, config={"gcp:project": PROJECT})
    return yaml.safe_load(captured[0]), plan


def test_kubeconfig_authenticates_through_the_gke_auth_plugin_and_holds_no_credential():
    kubeconfig, plan = kubeconfig_of("dns")
    exec_config = kubeconfig["users"][0]["user"]["exec"]
    assert exec_config["command"] == AUTH_PLUGIN
    assert "must be installed where `pulumi up` runs" in exec_config["installHint"]
    assert "token" not in kubeconfig["users"][0]["user"]
    assert kubeconfig["current-context"] == plan.one(CLUSTER).inputs["name"]


def test_by_default_the_kubeconfig_uses_the_dns_endpoint_reachable_wherever_the_caller_has_credentials():
    kubeconfig, plan = kubeconfig_of("dns")
    cluster = plan.one(CLUSTER)
    dns_endpoint = engine_output(cluster, "controlPlaneEndpointsConfig", PROJECT)["dnsEndpointConfig"]["endpoint"]
    assert kubeconfig["clusters"][0]["cluster"] == {"server": f"https://{dns_endpoint}"}
    assert dns_endpoint.endswith(".gke.goog")
    endpoints = cluster.inputs["controlPlaneEndpointsConfig"]
    assert endpoints["dnsEndpointConfig"] == {"allowExternalTraffic": True}
    assert cluster.inputs["privateClusterConfig"]["enablePrivateEndpoint"] is True


def test_ip_access_is_an_explicit_choice_reaching_the_public_endpoint_from_authorized_networks_only():
    kubeconfig, plan = kubeconfig_of("ip")
    cluster = plan.one(CLUSTER).inputs
    server = kubeconfig["clusters"][0]["cluster"]
    assert server["server"].startswith("https://10.")
    assert server["certificate-authority-data"] == "b2ZmbGluZS1wbGFuLWNh"
    assert cluster["privateClusterConfig"]["enablePrivateEndpoint"] is False
    assert cluster["controlPlaneEndpointsConfig"]["dnsEndpointConfig"] == {"allowExternalTraffic": False}
    assert cluster["masterAuthorizedNetworksConfig"]["cidrBlocks"] == [
        {"cidrBlock": "203.0.113.0/28", "displayName": "ci-runners"}
    ]


def test_an_unknown_control_plane_access_is_refused():
    with pytest.raises(ValueError, match="control_plane_access"):
        kubeconfig_of("vpn")


def test_gpu_pool_lives_only_in_the_zones_given_and_the_system_pool_follows_the_cluster():
    plan = plan_cluster(gpu_zones=("us-central1-a", "us-central1-c"))
    assert pool(plan, "gpu").inputs["nodeLocations"] == ["us-central1-a", "us-central1-c"]
    assert "nodeLocations" not in pool(plan, "system").inputs


def test_each_pool_is_its_own_component_and_keeps_the_urn_it_had_as_the_clusters_child(plan):
    cluster_component = plan.one("inference:gke:GkeCluster").urn
    for pool_name in ("system", "gpu"):
        node_pool = pool(plan, pool_name)
        [component] = [r for r in plan.resources if r.urn == node_pool.parent]
        assert (component.type, component.parent) == ("inference:gke_node_pool:GkeNodePool", cluster_component)
        assert node_pool.aliases == (
            f"urn:pulumi:test::inference::inference:gke:GkeCluster${NODE_POOL}::{node_pool.name}",
        )


def test_a_gpu_pool_the_accelerator_cannot_run_on_is_refused_beside_its_fields():
    with pytest.raises(ArgsError) as refused:
        gpu_pool_args(machine_type="n2-standard-4", driver_version="NEWEST", min_nodes=4, max_nodes=3)
    assert [(problem.field, problem.message) for problem in refused.value.problems] == [
        ("machine_type", "nvidia-l4 attaches only to G2 machine types (g2-*)"),
        ("driver_version", "allowed: GPU_DRIVER_VERSION_UNSPECIFIED, INSTALLATION_DISABLED, DEFAULT, LATEST"),
        ("min_nodes", "must not exceed maxNodes (3)"),
    ]


def test_a_system_pool_of_an_unknown_machine_type_is_refused():
    with pytest.raises(ArgsError, match="known types: "):
        SystemPoolArgs(machine_type="e9-standard-2", node_count=1)
