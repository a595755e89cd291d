"""Kubernetes facts the components, policy and manifests share: resource keys, pod spec paths, object scope."""

from __future__ import annotations

from collections.abc import Mapping

from facts import types

# The extended resource the NVIDIA device plugin advertises; GKE also taints GPU nodes with it as the key.
GPU_RESOURCE_KEY = "nvidia.com/gpu"
# The node label GKE sets to the accelerator type on GPU nodes.
GKE_ACCELERATOR_NODE_LABEL = "cloud.google.com/gke-accelerator"

POD_SPEC_PATHS: Mapping[str, str] = {
    types.K8S_DEPLOYMENT: "spec.template.spec",
    types.K8S_STATEFUL_SET: "spec.template.spec",
    types.K8S_DAEMON_SET: "spec.template.spec",
    types.K8S_JOB: "spec.template.spec",
    types.K8S_CRON_JOB: "spec.jobTemplate.spec.template.spec",
    types.K8S_POD: "spec",
}
"""Kubernetes workload types and the dotted path of their pod spec."""

CLUSTER_SCOPED_TYPES = frozenset(
    {
        types.K8S_NAMESPACE,
        "kubernetes:core/v1:PersistentVolume",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        "kubernetes:storage.k8s.io/v1:StorageClass",
        "kubernetes:scheduling.k8s.io/v1:PriorityClass",
        "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
    }
)
"""Kubernetes object types that live outside any namespace."""

# Pulumi's Kubernetes types that stand for a group of objects rather than one object (they have no namespace).
GROUP_TYPE_PREFIXES = ("kubernetes:yaml", "kubernetes:helm")
