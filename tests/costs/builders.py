"""Small plans built in test bodies: resources in the offline plan's shape, priced with the shipped catalog."""

from __future__ import annotations

from typing import Any

from costs.catalog import load_catalog
from costs.estimate import StackEstimate, estimate_stack
from costs.usage import Usage
from plan import Plan, plan_from_dict

REGION = "us-central1"
CLOUD_RUN = "gcp:cloudrunv2/service:Service"
REDIS = "gcp:redis/instance:Instance"
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
SECRET = "gcp:secretmanager/secret:Secret"
SECRET_VERSION = "gcp:secretmanager/secretVersion:SecretVersion"
REPOSITORY = "gcp:artifactregistry/repository:Repository"
NAT = "gcp:compute/routerNat:RouterNat"
K8S_SERVICE = "kubernetes:core/v1:Service"
FORWARDING_RULE = "gcp:compute/forwardingRule:ForwardingRule"
ADDRESS = "gcp:compute/address:Address"
GLOBAL_ADDRESS = "gcp:compute/globalAddress:GlobalAddress"
VPC_CONNECTOR = "gcp:vpcaccess/connector:Connector"


def resource(
    resource_type: str,
    name: str,
    inputs: dict[str, Any],
    *,
    custom: bool = True,
    dependencies: tuple[str, ...] = (),
    stack: str = "test",
) -> dict[str, Any]:
    return {
        "urn": f"urn:pulumi:{stack}::inference::{resource_type}::{name}",
        "type": resource_type,
        "name": name,
        "parent": None,
        "custom": custom,
        "inputs": inputs,
        "dependencies": list(dependencies),
    }


def plan(*resources: dict[str, Any], stack: str = "test") -> Plan:
    return plan_from_dict({"stack": stack, "project": "inference", "resources": list(resources)})


def estimate(*resources: dict[str, Any], usage: Usage | None = None, free_tier: bool = False) -> StackEstimate:
    return estimate_stack(plan(*resources), usage or Usage(), load_catalog(), free_tier)


def cost_of_kind(stack_estimate: StackEstimate, kind: str) -> float:
    return sum(
        component.monthly_cost
        for resource in stack_estimate.resources
        for component in resource.components
        if component.kind == kind
    )


def cloud_run_service(
    *,
    cpu: str = "4",
    memory: str = "16Gi",
    gpus: int = 1,
    min_instances: int = 1,
    max_instances: int = 3,
    zonal_redundancy_disabled: bool = True,
    cpu_idle: bool = False,
    concurrency: int = 16,
    location: str = REGION,
    name: str = "svc",
) -> dict[str, Any]:
    limits: dict[str, str] = {"cpu": cpu, "memory": memory}
    template: dict[str, Any] = {
        "scaling": {"minInstanceCount": min_instances, "maxInstanceCount": max_instances},
        "maxInstanceRequestConcurrency": concurrency,
        "containers": [{"image": "app@sha256:0", "resources": {"cpuIdle": cpu_idle, "limits": limits}}],
    }
    if gpus:
        limits["nvidia.com/gpu"] = str(gpus)
        template["nodeSelector"] = {"accelerator": "nvidia-l4"}
        template["gpuZonalRedundancyDisabled"] = zonal_redundancy_disabled
    return resource(CLOUD_RUN, name, {"location": location, "template": template})


def gpu_node_pool(
    *,
    machine_type: str = "g2-standard-4",
    spot: bool = False,
    min_nodes: int = 1,
    max_nodes: int = 1,
    location: str = "us-central1-a",
    disk_gb: int = 100,
    disk_type: str = "pd-balanced",
    name: str = "gpu-pool",
) -> dict[str, Any]:
    return resource(
        NODE_POOL,
        name,
        {
            "location": location,
            "autoscaling": {"minNodeCount": min_nodes, "maxNodeCount": max_nodes},
            "nodeConfig": {
                "machineType": machine_type,
                "spot": spot,
                "diskSizeGb": disk_gb,
                "diskType": disk_type,
                "guestAccelerators": [
                    {"type": "nvidia-l4", "count": 1, "gpuDriverInstallationConfig": {"gpuDriverVersion": "DEFAULT"}}
                ],
            },
        },
    )
