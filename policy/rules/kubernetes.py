"""Kubernetes objects: restricted pods with probes, limits and pinned images, in their own namespace; and two
stack rules over how objects relate (a NetworkPolicy and a PodDisruptionBudget for each workload)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from facts.kubernetes import CLUSTER_SCOPED_TYPES, GROUP_TYPE_PREFIXES, POD_SPEC_PATHS
from facts.types import (
    K8S_DEPLOYMENT,
    K8S_NETWORK_POLICY,
    K8S_POD_DISRUPTION_BUDGET,
    K8S_STATEFUL_SET,
    KUBERNETES_PREFIX,
)
from plan import lookup
from policy.rules.registry import Declared, Level, PropsCheck, Rule, RuleSet, items

RULES = RuleSet()

HIGH_UID = 10000
PodCheck = Callable[[Mapping[str, Any]], list[str]]


def pod_spec_of(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    path = POD_SPEC_PATHS.get(resource_type)
    spec = lookup(props, path) if path else None
    return spec if isinstance(spec, Mapping) else None


def _on_pod_spec(path: str, check: PodCheck) -> PropsCheck:
    def check_props(props: Mapping[str, Any]) -> list[str]:
        pod = lookup(props, path)
        return check(pod) if isinstance(pod, Mapping) else []

    return check_props


def on_every_pod_spec(rule: Rule) -> Callable[[PodCheck], PodCheck]:
    """Register a check of the pod spec for every workload type (each keeps its pod spec at its own path)."""

    def register(check: PodCheck) -> PodCheck:
        for resource_type, path in POD_SPEC_PATHS.items():
            rule.on(resource_type)(_on_pod_spec(path, check))
        return check

    return register


def _containers(pod: Mapping[str, Any], *, with_init: bool) -> list[tuple[str, Mapping[str, Any]]]:
    fields = ("initContainers", "containers") if with_init else ("containers",)
    return [
        (f"{field}[{container.get('name', index)}]", container)
        for field in fields
        for index, container in enumerate(items(pod.get(field)))
        if isinstance(container, Mapping)
    ]


def _effective(key: str, container_context: Mapping[str, Any], pod_context: Mapping[str, Any]) -> Any:
    """A security setting as Kubernetes applies it: the container's own, else the pod's."""
    return container_context[key] if key in container_context else pod_context.get(key)


@on_every_pod_spec(
    RULES.rule(
        "k8s-restricted-security-context",
        Level.MANDATORY,
        "Pods meet the Pod Security Standards 'restricted' profile with a read-only root filesystem.",
        "PSS restricted; CKV_K8S_20, 22, 23, 28, 37, 40",
    )
)
def k8s_restricted_security_context(pod: Mapping[str, Any]) -> list[str]:
    pod_context = pod.get("securityContext") or {}
    problems = []
    for where, container in _containers(pod, with_init=True):
        context = container.get("securityContext") or {}
        if _effective("runAsNonRoot", context, pod_context) is not True:
            problems.append(f"{where}: runAsNonRoot must be true")
        if _effective("runAsUser", context, pod_context) == 0:
            problems.append(f"{where}: runAsUser is 0 (root)")
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation must be false")
        if "ALL" not in items(lookup(context, "capabilities.drop")):
            problems.append(f"{where}: capabilities.drop must include ALL")
        if lookup(context, "capabilities.add"):
            problems.append(f"{where}: capabilities.add must be empty")
        if context.get("privileged") is True:
            problems.append(f"{where}: privileged is true")
        if context.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: readOnlyRootFilesystem must be true (mount an emptyDir for scratch)")
        seccomp = lookup(_effective("seccompProfile", context, pod_context) or {}, "type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{where}: seccompProfile.type is {seccomp!r}; expected 'RuntimeDefault'")
    return problems


@on_every_pod_spec(
    RULES.rule(
        "k8s-high-uid",
        Level.ADVISORY,
        "Containers run as a high UID that no host user shares.",
        "CKV_K8S_40",
    )
)
def k8s_high_uid(pod: Mapping[str, Any]) -> list[str]:
    pod_context = pod.get("securityContext") or {}
    problems = []
    for where, container in _containers(pod, with_init=True):
        uid = _effective("runAsUser", container.get("securityContext") or {}, pod_context)
        # CrossGuard hands numbers over as floats (protobuf Struct); the offline plan as ints.
        if isinstance(uid, bool) or not isinstance(uid, int | float) or uid < HIGH_UID:
            problems.append(f"{where}: runAsUser is {uid!r}; expected at least {HIGH_UID}")
    return problems


@on_every_pod_spec(
    RULES.rule(
        "k8s-probes",
        Level.MANDATORY,
        "Every container has liveness and readiness probes.",
        "CKV_K8S_8, CKV_K8S_9",
    )
)
def k8s_probes(pod: Mapping[str, Any]) -> list[str]:
    return [
        f"{where}: no {probe}"
        for where, container in _containers(pod, with_init=False)
        for probe in ("livenessProbe", "readinessProbe")
        if not container.get(probe)
    ]


@on_every_pod_spec(
    RULES.rule(
        "k8s-resources",
        Level.MANDATORY,
        "Every container sets CPU and memory requests and limits.",
        "CKV_K8S_10, 11, 12, 13",
    )
)
def k8s_resources(pod: Mapping[str, Any]) -> list[str]:
    return [
        f"{where}: no resources.{kind}.{resource}"
        for where, container in _containers(pod, with_init=True)
        for kind in ("requests", "limits")
        for resource in ("cpu", "memory")
        if lookup(container, f"resources.{kind}.{resource}") in (None, "")
    ]


@on_every_pod_spec(
    RULES.rule(
        "k8s-image-digest",
        Level.MANDATORY,
        "Every container image is pinned by digest.",
        "CKV_K8S_43",
    )
)
def k8s_image_digest(pod: Mapping[str, Any]) -> list[str]:
    return [
        f"{where}: image '{container.get('image')}' is not pinned by digest (@sha256:...)"
        for where, container in _containers(pod, with_init=True)
        if "@sha256:" not in str(container.get("image", ""))
    ]


@on_every_pod_spec(
    RULES.rule(
        "k8s-service-account-token",
        Level.ADVISORY,
        "Pods mount no service-account token unless they call the Kubernetes API.",
        "CKV_K8S_38",
    )
)
def k8s_service_account_token(pod: Mapping[str, Any]) -> list[str]:
    return [] if pod.get("automountServiceAccountToken") is False else ["automountServiceAccountToken is not false"]


def is_namespaced_object(resource_type: str) -> bool:
    """A Kubernetes object that lives in a namespace (not cluster-scoped, not a group of objects)."""
    return (
        resource_type.startswith(KUBERNETES_PREFIX)
        and resource_type not in CLUSTER_SCOPED_TYPES
        and not resource_type.startswith(GROUP_TYPE_PREFIXES)
    )


@RULES.rule(
    "k8s-not-default-namespace",
    Level.MANDATORY,
    "Namespaced Kubernetes objects live in the workload's own namespace, not 'default'.",
    "CKV_K8S_21",
).on_family(is_namespaced_object)
def k8s_not_default_namespace(props: Mapping[str, Any]) -> list[str]:
    namespace = lookup(props, "metadata.namespace")
    if namespace and namespace != "default":
        return []
    return [f"metadata.namespace is {namespace!r}: set the workload's own namespace"]


def _workloads(resources: Sequence[Declared]) -> list[tuple[Declared, str, Mapping[str, Any]]]:
    """Every pod-creating resource with its namespace and pod template labels."""
    found = []
    for resource in resources:
        if pod_spec_of(resource.resource_type, resource.props) is None:
            continue
        pod_template_path = POD_SPEC_PATHS[resource.resource_type].rsplit(".", 1)[0]
        labels = lookup(resource.props, f"{pod_template_path}.metadata.labels")
        namespace = str(lookup(resource.props, "metadata.namespace") or "default")
        found.append((resource, namespace, labels if isinstance(labels, Mapping) else {}))
    return found


def _selects(selector: Any, labels: Mapping[str, Any]) -> bool:
    """Whether a label selector's matchLabels all hold for the labels (an empty selector selects all)."""
    match_labels = lookup(selector, "matchLabels") if isinstance(selector, Mapping) else None
    if not isinstance(match_labels, Mapping):
        return isinstance(selector, Mapping)
    return all(labels.get(key) == value for key, value in match_labels.items())


def _restricts_ingress(network_policy: Mapping[str, Any]) -> bool:
    policy_types = lookup(network_policy, "spec.policyTypes")
    return policy_types is None or "Ingress" in items(policy_types)


@RULES.stack_rule(
    "k8s-network-policy",
    Level.MANDATORY,
    "Every workload is selected by a NetworkPolicy that restricts its ingress.",
    "security baseline: NetworkPolicy restricting ingress; CKV_K8S_6",
)
def k8s_network_policy(resources: Sequence[Declared]) -> list[tuple[str, str]]:
    policies = [resource for resource in resources if resource.resource_type == K8S_NETWORK_POLICY]
    problems = []
    for workload, namespace, labels in _workloads(resources):
        if not any(
            lookup(policy.props, "metadata.namespace") == namespace
            and _restricts_ingress(policy.props)
            and _selects(lookup(policy.props, "spec.podSelector"), labels)
            for policy in policies
        ):
            problems.append((workload.name, f"no NetworkPolicy in namespace '{namespace}' restricts its ingress"))
    return problems


@RULES.stack_rule(
    "k8s-pod-disruption-budget",
    Level.ADVISORY,
    "Every Deployment and StatefulSet is covered by a PodDisruptionBudget.",
    "security baseline: PodDisruptionBudget",
)
def k8s_pod_disruption_budget(resources: Sequence[Declared]) -> list[tuple[str, str]]:
    budgets = [resource for resource in resources if resource.resource_type == K8S_POD_DISRUPTION_BUDGET]
    problems = []
    for workload, namespace, labels in _workloads(resources):
        if workload.resource_type not in (K8S_DEPLOYMENT, K8S_STATEFUL_SET):
            continue
        if not any(
            lookup(budget.props, "metadata.namespace") == namespace
            and _selects(lookup(budget.props, "spec.selector"), labels)
            for budget in budgets
        ):
            problems.append((workload.name, f"no PodDisruptionBudget in namespace '{namespace}' selects it"))
    return problems
