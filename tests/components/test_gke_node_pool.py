"""The GkeNodePool component alone: one pool, the shared node config, and the alias that keeps moved pools."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.gke_node_pool import GkeNodePool, GkeNodePoolArgs, NodePoolAutoscalingArgs, NodePoolGpuArgs
from facts import types
from facts.gcp import GKE_NODE_IMAGE
from facts.kubernetes import GPU_RESOURCE_KEY
from infra.offline import run_program
from plan import Plan

NODE_POOL = types.GKE_NODE_POOL
LABELS = {"team": "ml-platform"}


def pool_args(**choices: Any) -> GkeNodePoolArgs:
    fields: dict[str, Any] = {
        "pool_name": "system",
        "cluster_id": "projects/p/locations/us-central1-a/clusters/c",
        "location": "us-central1-a",
        "service_account_email": "nodes@p.iam.gserviceaccount.com",
        "machine_type": "e2-standard-2",
        "node_count": 1,
        "labels": LABELS,
        **choices,
    }
    return GkeNodePoolArgs(**fields)


def plan_pool(args: GkeNodePoolArgs, *, under_a_component: bool = False) -> Plan:
    def program() -> None:
        parent = pulumi.ComponentResource("test:index:Owner", "owner") if under_a_component else None
        GkeNodePool("pool", args, opts=pulumi.ResourceOptions(parent=parent))

    return run_program(program)


def test_a_fixed_pool_runs_hardened_cos_nodes_as_the_given_account_labelled_with_its_name() -> None:
    node_pool = plan_pool(pool_args()).one(NODE_POOL)

    assert (node_pool.inputs["name"], node_pool.inputs["nodeCount"]) == ("system", 1)
    assert node_pool.inputs["management"] == {"autoRepair": True, "autoUpgrade": True}
    config = node_pool.inputs["nodeConfig"]
    assert config["imageType"] == GKE_NODE_IMAGE
    assert config["serviceAccount"] == "nodes@p.iam.gserviceaccount.com"
    assert config["shieldedInstanceConfig"] == {"enableIntegrityMonitoring": True, "enableSecureBoot": True}
    assert config["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert (config["labels"], config["resourceLabels"]) == ({"pool": "system"}, LABELS)
    assert "guestAccelerators" not in config and "taints" not in config and "autoscaling" not in node_pool.inputs


def test_a_gpu_pool_autoscales_attaches_its_accelerators_and_is_tainted_for_gpu_pods_only() -> None:
    args = pool_args(
        pool_name="gpu",
        node_count=None,
        autoscaling=NodePoolAutoscalingArgs(min_nodes=0, max_nodes=3, location_policy="ANY"),
        gpu=NodePoolGpuArgs(accelerator="nvidia-l4", count=1, driver_version="LATEST"),
        node_locations=["us-central1-a"],
        spot=True,
    )
    node_pool = plan_pool(args).one(NODE_POOL)

    assert node_pool.inputs["autoscaling"] == {
        "locationPolicy": "ANY",
        "totalMaxNodeCount": 3,
        "totalMinNodeCount": 0,
    }
    assert node_pool.inputs["nodeLocations"] == ["us-central1-a"]
    config = node_pool.inputs["nodeConfig"]
    assert config["guestAccelerators"] == [
        {"count": 1, "gpuDriverInstallationConfig": {"gpuDriverVersion": "LATEST"}, "type": "nvidia-l4"}
    ]
    assert config["taints"] == [{"effect": "NO_SCHEDULE", "key": GPU_RESOURCE_KEY, "value": "present"}]
    assert config["spot"] is True


@pytest.mark.parametrize(
    "sizing",
    [{"node_count": None}, {"autoscaling": NodePoolAutoscalingArgs(min_nodes=0, max_nodes=1, location_policy="ANY")}],
    ids=["neither", "both"],
)
def test_a_pool_is_either_fixed_or_autoscaled(sizing: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="either node_count or autoscaling"):
        plan_pool(pool_args(**sizing))


def test_the_pool_keeps_the_urn_it_had_as_a_direct_child_of_the_components_parent() -> None:
    plan = plan_pool(pool_args(), under_a_component=True)

    node_pool = plan.one(NODE_POOL)
    assert node_pool.parent == plan.one("inference:gke_node_pool:GkeNodePool").urn
    assert node_pool.aliases == (f"urn:pulumi:test::inference::test:index:Owner${NODE_POOL}::pool",)


def test_a_pool_without_a_parent_has_no_alias() -> None:
    assert plan_pool(pool_args()).one(NODE_POOL).aliases == ()
