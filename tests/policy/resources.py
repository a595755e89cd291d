"""Hand-written resources in the offline plan's shape (camelCase inputs): compliant ones, and ways to break them."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from plan import PlannedResource
from policy.rules import POSTGRES_REQUIRED_FLAGS

PROJECT = "inference-test"
NETWORK = f"projects/{PROJECT}/global/networks/inference-prod-vpc"
REMOVE = object()


def stack_labels(environment: str = "prod") -> dict[str, str]:
    return {"environment": environment, "stack": environment, "managed-by": "pulumi", "team": "ml"}


def good_inputs() -> dict[str, dict[str, Any]]:
    """One compliant resource of each type the rules look at, keyed by resource type."""
    restricted = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    return {
        "gcp:sql/databaseInstance:DatabaseInstance": {
            "region": "us-central1",
            "databaseVersion": "POSTGRES_16",
            "deletionProtection": True,
            "settings": {
                "tier": "db-custom-2-7680",
                "edition": "ENTERPRISE",
                "availabilityType": "REGIONAL",
                "deletionProtectionEnabled": True,
                "userLabels": stack_labels(),
                "ipConfiguration": {
                    "ipv4Enabled": False,
                    "privateNetwork": NETWORK,
                    "sslMode": "ENCRYPTED_ONLY",
                },
                "backupConfiguration": {"enabled": True, "pointInTimeRecoveryEnabled": True},
                "databaseFlags": [
                    {"name": name, "value": allowed[0]} for name, allowed in POSTGRES_REQUIRED_FLAGS.items()
                ],
            },
        },
        "gcp:redis/instance:Instance": {
            "region": "us-central1",
            "tier": "STANDARD_HA",
            "memorySizeGb": 5,
            "authEnabled": True,
            "transitEncryptionMode": "SERVER_AUTHENTICATION",
            "authorizedNetwork": NETWORK,
            "connectMode": "PRIVATE_SERVICE_ACCESS",
            "labels": stack_labels(),
        },
        "gcp:container/cluster:Cluster": {
            "location": "us-central1-a",
            "resourceLabels": stack_labels(),
            "removeDefaultNodePool": True,
            "privateClusterConfig": {"enablePrivateNodes": True, "masterIpv4CidrBlock": "172.16.0.0/28"},
            "workloadIdentityConfig": {"workloadPool": f"{PROJECT}.svc.id.goog"},
            "releaseChannel": {"channel": "REGULAR"},
            "datapathProvider": "ADVANCED_DATAPATH",
            "enableShieldedNodes": True,
            "enableLegacyAbac": False,
            "masterAuth": {"clientCertificateConfig": {"issueClientCertificate": False}},
        },
        "gcp:container/nodePool:NodePool": {
            "location": "us-central1-a",
            "autoscaling": {"minNodeCount": 0, "maxNodeCount": 2},
            "management": {"autoRepair": True, "autoUpgrade": True},
            "nodeConfig": {
                "machineType": "g2-standard-4",
                "imageType": "COS_CONTAINERD",
                "serviceAccount": f"inference-prod-nodes@{PROJECT}.iam.gserviceaccount.com",
                "resourceLabels": stack_labels(),
                "workloadMetadataConfig": {"mode": "GKE_METADATA"},
                "shieldedInstanceConfig": {"enableSecureBoot": True, "enableIntegrityMonitoring": True},
            },
        },
        "gcp:cloudrunv2/service:Service": {
            "location": "us-central1",
            "ingress": "INGRESS_TRAFFIC_ALL",
            "labels": stack_labels(),
            "template": {
                "serviceAccount": f"inference-prod-run@{PROJECT}.iam.gserviceaccount.com",
                "containers": [
                    {
                        "image": "us-central1-docker.pkg.dev/p/r/app@sha256:" + "a" * 64,
                        "envs": [
                            {"name": "MODEL_NAME", "value": "all-MiniLM-L6-v2"},
                            {
                                "name": "REDIS_PASSWORD",
                                "valueSource": {"secretKeyRef": {"secret": "redis-auth", "version": "latest"}},
                            },
                        ],
                    }
                ],
            },
        },
        "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": {
            "name": "inference-prod",
            "role": "roles/run.invoker",
            "member": f"serviceAccount:caller@{PROJECT}.iam.gserviceaccount.com",
        },
        "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding": {
            "name": "inference-prod",
            "role": "roles/run.invoker",
            "members": [f"serviceAccount:caller@{PROJECT}.iam.gserviceaccount.com"],
        },
        "gcp:secretmanager/secret:Secret": {
            "secretId": "inference-prod-db-password",
            "labels": stack_labels(),
        },
        "gcp:artifactregistry/repository:Repository": {"format": "DOCKER", "labels": stack_labels()},
        "gcp:compute/globalAddress:GlobalAddress": {"purpose": "VPC_PEERING", "labels": stack_labels()},
        "gcp:compute/network:Network": {"autoCreateSubnetworks": False},
        "kubernetes:apps/v1:Deployment": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "inference", "namespace": "inference"},
            "spec": {
                "template": {
                    "metadata": {"labels": {"app": "inference"}},
                    "spec": {
                        "automountServiceAccountToken": False,
                        "securityContext": {
                            "runAsNonRoot": True,
                            "runAsUser": 10001,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "containers": [
                            {
                                "name": "server",
                                "image": "us-central1-docker.pkg.dev/p/r/app@sha256:" + "b" * 64,
                                "securityContext": copy.deepcopy(restricted),
                                "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
                                "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8080}},
                                "resources": {
                                    "requests": {"cpu": "2", "memory": "8Gi"},
                                    "limits": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"},
                                },
                            }
                        ],
                    },
                }
            },
        },
        "kubernetes:core/v1:Service": {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "inference", "namespace": "inference"},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "targetPort": 8080}]},
        },
        "kubernetes:networking.k8s.io/v1:NetworkPolicy": {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "inference", "namespace": "inference"},
            "spec": {
                "podSelector": {"matchLabels": {"app": "inference"}},
                "policyTypes": ["Ingress"],
                "ingress": [{"ports": [{"port": 8080}]}],
            },
        },
        "kubernetes:policy/v1:PodDisruptionBudget": {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "inference", "namespace": "inference"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "inference"}}},
        },
        "kubernetes:core/v1:Namespace": {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "inference"},
        },
    }


def changed(props: dict[str, Any], path: Sequence[str | int], value: Any) -> dict[str, Any]:
    """A deep copy of props with the value at path replaced (or removed when value is REMOVE)."""
    result = copy.deepcopy(props)
    target: Any = result
    for step in path[:-1]:
        target = target[step]
    if value is REMOVE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return result


def plan_resource(resource_type: str, name: str, inputs: dict[str, Any], custom: bool = True) -> PlannedResource:
    """One resource of a plan."""
    return PlannedResource(f"urn:pulumi:prod::inference::{resource_type}::{name}", resource_type, name, custom, inputs)
