"""The security baseline as pure rules over one resource: (resource type, camelCase input properties).

A few requirements concern how resources relate (a NetworkPolicy for each workload); those are stack rules,
pure functions over every declared resource.

CrossGuard (policy/__main__.py) and `python -m infra.cli check` run these same functions. Properties are the
engine's camelCase names, as the pulumi-gcp and pulumi-kubernetes SDKs send them. Under CrossGuard they arrive
as read-only Mapping/Sequence proxies, so the rules only rely on the Mapping and Sequence interfaces.
Each rule returns one message per problem; an empty list means the resource passes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

SQL_INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"
REDIS_INSTANCE = "gcp:redis/instance:Instance"
GKE_CLUSTER = "gcp:container/cluster:Cluster"
GKE_NODE_POOL = "gcp:container/nodePool:NodePool"
CLOUD_RUN_SERVICE = "gcp:cloudrunv2/service:Service"
CLOUD_RUN_IAM_MEMBER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
CLOUD_RUN_IAM_BINDING = "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding"

LABELLED_RESOURCE_TYPES: Mapping[str, tuple[str, ...]] = {
    "gcp:artifactregistry/repository:Repository": ("labels",),
    CLOUD_RUN_SERVICE: ("labels",),
    "gcp:compute/globalAddress:GlobalAddress": ("labels",),
    GKE_CLUSTER: ("resourceLabels",),
    GKE_NODE_POOL: ("nodeConfig", "resourceLabels"),
    REDIS_INSTANCE: ("labels",),
    "gcp:secretmanager/secret:Secret": ("labels",),
    SQL_INSTANCE: ("settings", "userLabels"),
}
"""Every GCP resource type the program creates that takes labels, and the property path of its label map."""

REQUIRED_LABELS = ("environment", "stack", "managed-by")
ENVIRONMENTS = ("dev", "prod")
SECRET_PLACEHOLDER = "[secret]"  # noqa: S105 - the marker, not a password
"""How the offline plan shows a secret value (CrossGuard sees the value itself)."""

POD_TEMPLATE_KINDS: Mapping[str, tuple[str, ...]] = {
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "kubernetes:core/v1:Pod": ("spec",),
}
"""Kubernetes workload types and the path of their pod spec."""

CLUSTER_SCOPED_KUBERNETES_TYPES = frozenset(
    {
        "kubernetes:core/v1:Namespace",
        "kubernetes:core/v1:PersistentVolume",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        "kubernetes:storage.k8s.io/v1:StorageClass",
        "kubernetes:scheduling.k8s.io/v1:PriorityClass",
        "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
        "kubernetes:apiregistration.k8s.io/v1:APIService",
    }
)

POSTGRES_REQUIRED_FLAGS: Mapping[str, tuple[str, ...]] = {
    "log_connections": ("on",),
    "log_disconnections": ("on",),
    "log_min_messages": ("warning", "error", "log", "fatal", "panic"),
    "log_min_error_statement": ("error", "log", "fatal", "panic"),
    "log_min_duration_statement": ("-1",),
    "log_error_verbosity": ("default", "terse"),
    "cloudsql.enable_pgaudit": ("on",),
}
"""CIS GCP 6.2.1-6.2.8: each flag and the values that meet it (severities at or above the required one)."""

SQL_SSL_MODES = ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED")
GKE_RELEASE_CHANNELS = ("RAPID", "REGULAR", "STABLE", "EXTENDED")
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
DEFAULT_COMPUTE_SERVICE_ACCOUNT_SUFFIX = "-compute@developer.gserviceaccount.com"
HIGH_UID = 10000
SECRET_LIKE_ENV_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_KEY|CREDENTIAL)S?$")


class Level(StrEnum):
    """What a violation does: block the deployment, warn, or nothing (an exception granted per stack)."""

    MANDATORY = "mandatory"
    ADVISORY = "advisory"
    DISABLED = "disabled"


RuleCheck = Callable[[str, Mapping[str, Any]], list[str]]


@dataclass(frozen=True)
class Rule:
    name: str
    """Policy name, unique in the pack (CrossGuard's policy name and the key in a stack's policy config)."""
    description: str
    level: Level
    """Default enforcement level; a stack's policy config may lower it (see policy/README.md)."""
    reference: str
    """Where the requirement comes from (CIS / checkov ids in shared/reference/security-baseline.md)."""
    check: RuleCheck


class Declared(NamedTuple):
    """One resource as a stack rule sees it."""

    resource_type: str
    name: str
    props: Mapping[str, Any]


StackCheck = Callable[[Sequence[Declared]], list[tuple[str, str]]]


@dataclass(frozen=True)
class StackRule:
    name: str
    description: str
    level: Level
    reference: str
    check: StackCheck
    """Returns (name of the resource at fault, message) pairs."""


RULES: list[Rule] = []
STACK_RULES: list[StackRule] = []


def _rule(name: str, level: Level, description: str, reference: str) -> Callable[[RuleCheck], RuleCheck]:
    def register(check: RuleCheck) -> RuleCheck:
        RULES.append(Rule(name, description, level, reference, check))
        return check

    return register


def _stack_rule(name: str, level: Level, description: str, reference: str) -> Callable[[StackCheck], StackCheck]:
    def register(check: StackCheck) -> StackCheck:
        STACK_RULES.append(StackRule(name, description, level, reference, check))
        return check

    return register


def get_path(props: Mapping[str, Any], path: Sequence[str | int]) -> Any:
    """The value at `path` (keys and list indexes), or None where any step is missing."""
    value: Any = props
    for step in path:
        if isinstance(step, int):
            if not _is_list(value) or step >= len(value):
                return None
            value = value[step]
        else:
            if not isinstance(value, Mapping) or step not in value:
                return None
            value = value[step]
    return value


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _items(value: Any) -> list[Any]:
    return list(value) if _is_list(value) else []


def labels_of(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The resource's label map, or None when the type takes no labels or has none set."""
    path = LABELLED_RESOURCE_TYPES.get(resource_type)
    if path is None:
        return None
    labels = get_path(props, path)
    return labels if isinstance(labels, Mapping) else None


def is_prod(resource_type: str, props: Mapping[str, Any]) -> bool:
    labels = labels_of(resource_type, props)
    return labels is not None and labels.get("environment") == "prod"


def _is_default_compute_account(email: Any) -> bool:
    return email in (None, "", "default") or str(email).endswith(DEFAULT_COMPUTE_SERVICE_ACCOUNT_SUFFIX)


@_rule(
    "labels-present",
    Level.MANDATORY,
    "Every labelable resource carries the environment, stack and managed-by labels.",
    "ARCHITECTURE: labels on every resource",
)
def labels_present(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    path = LABELLED_RESOURCE_TYPES.get(resource_type)
    if path is None:
        return []
    where = ".".join(path)
    labels = labels_of(resource_type, props)
    if labels is None:
        return [f"{where} is missing: set the labels {', '.join(REQUIRED_LABELS)}"]
    problems = [f"{where} has no '{key}' label" for key in REQUIRED_LABELS if not labels.get(key)]
    environment = labels.get("environment")
    if environment and environment not in ENVIRONMENTS:
        problems.append(f"{where}.environment is '{environment}'; allowed: {', '.join(ENVIRONMENTS)}")
    if labels.get("managed-by") and labels.get("managed-by") != "pulumi":
        problems.append(f"{where}.managed-by is '{labels.get('managed-by')}'; expected 'pulumi'")
    return problems


@_rule(
    "cloudsql-no-public-ip",
    Level.MANDATORY,
    "Cloud SQL has no public IP and is reached over private service access.",
    "CIS GCP 6.6, 6.2.9; CKV_GCP_60",
)
def cloudsql_no_public_ip(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != SQL_INSTANCE:
        return []
    ip = get_path(props, ("settings", "ipConfiguration")) or {}
    problems = []
    if ip.get("ipv4Enabled") is not False:
        problems.append("settings.ipConfiguration.ipv4Enabled must be false (unset means a public IP)")
    if not ip.get("privateNetwork"):
        problems.append("settings.ipConfiguration.privateNetwork is not set: no private IP")
    return problems


@_rule(
    "cloudsql-require-ssl",
    Level.MANDATORY,
    "Cloud SQL accepts only encrypted connections.",
    "CIS GCP 6.4; CKV_GCP_6",
)
def cloudsql_require_ssl(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != SQL_INSTANCE:
        return []
    mode = get_path(props, ("settings", "ipConfiguration", "sslMode"))
    if mode in SQL_SSL_MODES:
        return []
    return [f"settings.ipConfiguration.sslMode is {mode!r}; allowed: {', '.join(SQL_SSL_MODES)}"]


@_rule(
    "cloudsql-automated-backups",
    Level.MANDATORY,
    "Cloud SQL takes automated backups.",
    "CIS GCP 6.7; CKV_GCP_14",
)
def cloudsql_automated_backups(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != SQL_INSTANCE:
        return []
    if get_path(props, ("settings", "backupConfiguration", "enabled")) is True:
        return []
    return ["settings.backupConfiguration.enabled must be true"]


@_rule(
    "cloudsql-postgres-flags",
    Level.MANDATORY,
    "Cloud SQL for PostgreSQL sets the CIS logging and pgaudit flags.",
    "CIS GCP 6.2.1-6.2.8; CKV_GCP_51-57, 108-111",
)
def cloudsql_postgres_flags(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != SQL_INSTANCE or not str(props.get("databaseVersion", "")).startswith("POSTGRES"):
        return []
    flags = {
        str(flag.get("name")): str(flag.get("value")).lower()
        for flag in _items(get_path(props, ("settings", "databaseFlags")))
        if isinstance(flag, Mapping)
    }
    problems = []
    for name, allowed in POSTGRES_REQUIRED_FLAGS.items():
        if name not in flags:
            problems.append(f"settings.databaseFlags has no '{name}' (expected {' or '.join(allowed)})")
        elif flags[name] not in allowed:
            expected = " or ".join(allowed)
            problems.append(f"settings.databaseFlags '{name}' is '{flags[name]}'; expected {expected}")
    return problems


@_rule(
    "cloudsql-prod-deletion-protection",
    Level.MANDATORY,
    "A prod Cloud SQL instance has both Pulumi's and GCP's deletion protection.",
    "security baseline: deletion protection in prod; pulumi/pulumi#13988",
)
def cloudsql_prod_deletion_protection(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != SQL_INSTANCE or not is_prod(resource_type, props):
        return []
    problems = []
    # pulumi-gcp defaults deletionProtection to true, so only an explicit false turns it off.
    if props.get("deletionProtection") is False:
        problems.append("deletionProtection (Pulumi's) is false in prod")
    if get_path(props, ("settings", "deletionProtectionEnabled")) is not True:
        problems.append("settings.deletionProtectionEnabled (GCP's) must be true in prod")
    return problems


@_rule(
    "cloudsql-prod-point-in-time-recovery",
    Level.MANDATORY,
    "A prod Cloud SQL instance has point-in-time recovery.",
    "security baseline: PITR in prod",
)
def cloudsql_prod_point_in_time_recovery(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != SQL_INSTANCE or not is_prod(resource_type, props):
        return []
    if get_path(props, ("settings", "backupConfiguration", "pointInTimeRecoveryEnabled")) is True:
        return []
    return ["settings.backupConfiguration.pointInTimeRecoveryEnabled must be true in prod"]


@_rule("redis-auth", Level.MANDATORY, "Memorystore Redis requires AUTH.", "CKV_GCP_95")
def redis_auth(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != REDIS_INSTANCE or props.get("authEnabled") is True:
        return []
    return ["authEnabled must be true"]


@_rule(
    "redis-tls",
    Level.MANDATORY,
    "Memorystore Redis encrypts traffic in transit.",
    "CKV_GCP_97",
)
def redis_tls(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != REDIS_INSTANCE:
        return []
    mode = props.get("transitEncryptionMode")
    if mode == "SERVER_AUTHENTICATION":
        return []
    return [f"transitEncryptionMode is {mode!r}; expected 'SERVER_AUTHENTICATION'"]


@_rule(
    "redis-private-network",
    Level.ADVISORY,
    "Memorystore Redis is attached to the stack's own VPC, not the default network.",
    "security baseline: Memorystore private connectivity",
)
def redis_private_network(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != REDIS_INSTANCE:
        return []
    network = props.get("authorizedNetwork")
    if network and not str(network).endswith("/default") and network != "default":
        return []
    return [f"authorizedNetwork is {network!r}: attach the instance to the stack's VPC"]


@_rule(
    "gke-private-nodes",
    Level.MANDATORY,
    "GKE nodes have private IPs only.",
    "CKV_GCP_25, CKV_GCP_64",
)
def gke_private_nodes(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != GKE_CLUSTER:
        return []
    if get_path(props, ("privateClusterConfig", "enablePrivateNodes")) is True:
        return []
    return ["privateClusterConfig.enablePrivateNodes must be true"]


@_rule(
    "gke-workload-identity",
    Level.MANDATORY,
    "GKE uses Workload Identity; node pools expose only the GKE metadata server.",
    "CKV_GCP_69",
)
def gke_workload_identity(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type == GKE_CLUSTER:
        if get_path(props, ("workloadIdentityConfig", "workloadPool")):
            return []
        return ["workloadIdentityConfig.workloadPool is not set"]
    if resource_type == GKE_NODE_POOL:
        mode = get_path(props, ("nodeConfig", "workloadMetadataConfig", "mode"))
        if mode == "GKE_METADATA":
            return []
        return [f"nodeConfig.workloadMetadataConfig.mode is {mode!r}; expected 'GKE_METADATA'"]
    return []


@_rule(
    "gke-shielded-nodes",
    Level.MANDATORY,
    "GKE nodes are shielded, with secure boot and integrity monitoring.",
    "CKV_GCP_71, CKV_GCP_68, CKV_GCP_72",
)
def gke_shielded_nodes(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type == GKE_CLUSTER:
        if props.get("enableShieldedNodes") is False:
            return ["enableShieldedNodes is false"]
        return []
    if resource_type == GKE_NODE_POOL:
        shielded = get_path(props, ("nodeConfig", "shieldedInstanceConfig")) or {}
        problems = []
        if shielded.get("enableSecureBoot") is not True:
            problems.append("nodeConfig.shieldedInstanceConfig.enableSecureBoot must be true")
        if shielded.get("enableIntegrityMonitoring") is False:
            problems.append("nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring is false")
        return problems
    return []


@_rule(
    "gke-release-channel",
    Level.MANDATORY,
    "The GKE cluster is enrolled in a release channel.",
    "CKV_GCP_70",
)
def gke_release_channel(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != GKE_CLUSTER:
        return []
    channel = get_path(props, ("releaseChannel", "channel"))
    if channel in GKE_RELEASE_CHANNELS:
        return []
    return [f"releaseChannel.channel is {channel!r}; expected one of {', '.join(GKE_RELEASE_CHANNELS)}"]


@_rule(
    "gke-network-policy",
    Level.MANDATORY,
    "The GKE cluster enforces NetworkPolicy (network policy addon or Dataplane V2).",
    "CKV_GCP_12",
)
def gke_network_policy(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != GKE_CLUSTER:
        return []
    if props.get("datapathProvider") == "ADVANCED_DATAPATH":
        return []
    if get_path(props, ("networkPolicy", "enabled")) is True:
        return []
    return ["neither datapathProvider 'ADVANCED_DATAPATH' nor networkPolicy.enabled true"]


@_rule("gke-no-legacy-abac", Level.MANDATORY, "Legacy ABAC is off on the GKE cluster.", "CKV_GCP_7")
def gke_no_legacy_abac(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != GKE_CLUSTER or props.get("enableLegacyAbac") is not True:
        return []
    return ["enableLegacyAbac is true"]


@_rule(
    "gke-no-client-certificate",
    Level.MANDATORY,
    "The GKE cluster issues no client certificates.",
    "CKV_GCP_13",
)
def gke_no_client_certificate(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != GKE_CLUSTER:
        return []
    issued = get_path(props, ("masterAuth", "clientCertificateConfig", "issueClientCertificate"))
    return ["masterAuth.clientCertificateConfig.issueClientCertificate is true"] if issued is True else []


@_rule(
    "gke-node-auto-repair-upgrade",
    Level.MANDATORY,
    "GKE node pools repair and upgrade themselves.",
    "CKV_GCP_9, CKV_GCP_10",
)
def gke_node_auto_repair_upgrade(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != GKE_NODE_POOL:
        return []
    management = props.get("management") or {}
    return [f"management.{key} is false" for key in ("autoRepair", "autoUpgrade") if management.get(key) is False]


@_rule(
    "gke-node-cos-containerd",
    Level.ADVISORY,
    "GKE nodes run Container-Optimized OS with containerd.",
    "CKV_GCP_22",
)
def gke_node_cos_containerd(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != GKE_NODE_POOL:
        return []
    image = get_path(props, ("nodeConfig", "imageType"))
    if image is None or str(image).upper() == "COS_CONTAINERD":
        return []
    return [f"nodeConfig.imageType is '{image}'; expected 'COS_CONTAINERD'"]


@_rule(
    "gke-node-dedicated-service-account",
    Level.MANDATORY,
    "GKE nodes run as a dedicated service account, not the default compute one.",
    "CIS GKE 5.2.1",
)
def gke_node_dedicated_service_account(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != GKE_NODE_POOL:
        return []
    account = get_path(props, ("nodeConfig", "serviceAccount"))
    if not _is_default_compute_account(account):
        return []
    return [f"nodeConfig.serviceAccount is {account!r}: the default compute service account"]


@_rule(
    "cloudrun-dedicated-service-account",
    Level.MANDATORY,
    "The Cloud Run service runs as its own service account.",
    "security baseline: Cloud Run dedicated runtime service account",
)
def cloudrun_dedicated_service_account(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != CLOUD_RUN_SERVICE:
        return []
    account = get_path(props, ("template", "serviceAccount"))
    if not _is_default_compute_account(account):
        return []
    return [f"template.serviceAccount is {account!r}: the default compute service account"]


@_rule(
    "cloudrun-secrets-from-secret-manager",
    Level.MANDATORY,
    "Cloud Run reads secrets as Secret Manager references, never as plain environment values.",
    "security baseline: secrets as Secret Manager references",
)
def cloudrun_secrets_from_secret_manager(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != CLOUD_RUN_SERVICE:
        return []
    problems = []
    for index, container in enumerate(_items(get_path(props, ("template", "containers")))):
        for env in _items(get_path(container, ("envs",))):
            if not isinstance(env, Mapping) or env.get("value") is None:
                continue
            name = str(env.get("name", ""))
            where = f"template.containers[{index}].envs {name}"
            if env.get("value") == SECRET_PLACEHOLDER:
                problems.append(f"{where} holds a secret as a plain value: use valueSource.secretKeyRef")
            elif SECRET_LIKE_ENV_NAME.search(name.upper()):
                problems.append(f"{where} is named like a secret but is a plain value: use valueSource.secretKeyRef")
    return problems


@_rule(
    "cloudrun-no-public-invoker",
    Level.MANDATORY,
    "The Cloud Run service is not invocable by allUsers or allAuthenticatedUsers.",
    "security baseline: public invocation only when the stack says so",
)
def cloudrun_no_public_invoker(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type == CLOUD_RUN_SERVICE:
        disabled = props.get("invokerIamDisabled") is True
        return ["invokerIamDisabled is true: anyone can invoke the service"] if disabled else []
    if resource_type == CLOUD_RUN_IAM_MEMBER:
        member = props.get("member")
        return [f"member is '{member}' (role {props.get('role')})"] if member in PUBLIC_MEMBERS else []
    if resource_type == CLOUD_RUN_IAM_BINDING:
        public = [member for member in _items(props.get("members")) if member in PUBLIC_MEMBERS]
        return [f"members include '{member}' (role {props.get('role')})" for member in public]
    return []


@_rule(
    "cloudrun-explicit-ingress",
    Level.ADVISORY,
    "The Cloud Run service sets its ingress explicitly.",
    "security baseline: ingress setting explicit",
)
def cloudrun_explicit_ingress(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != CLOUD_RUN_SERVICE or props.get("ingress"):
        return []
    return ["ingress is not set (the API default admits all traffic)"]


def pod_spec_of(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    path = POD_TEMPLATE_KINDS.get(resource_type)
    spec = get_path(props, path) if path else None
    return spec if isinstance(spec, Mapping) else None


def _containers(pod: Mapping[str, Any], *, with_init: bool) -> list[tuple[str, Mapping[str, Any]]]:
    fields = ("initContainers", "containers") if with_init else ("containers",)
    return [
        (f"{field}[{container.get('name', index)}]", container)
        for field in fields
        for index, container in enumerate(_items(pod.get(field)))
        if isinstance(container, Mapping)
    ]


def _effective(key: str, container_context: Mapping[str, Any], pod_context: Mapping[str, Any]) -> Any:
    """A security setting as Kubernetes applies it: the container's own, else the pod's."""
    return container_context[key] if key in container_context else pod_context.get(key)


@_rule(
    "k8s-restricted-security-context",
    Level.MANDATORY,
    "Pods meet the Pod Security Standards 'restricted' profile with a read-only root filesystem.",
    "PSS restricted; CKV_K8S_20, 22, 23, 28, 37, 40",
)
def k8s_restricted_security_context(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    pod = pod_spec_of(resource_type, props)
    if pod is None:
        return []
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
        if "ALL" not in _items(get_path(context, ("capabilities", "drop"))):
            problems.append(f"{where}: capabilities.drop must include ALL")
        if get_path(context, ("capabilities", "add")):
            problems.append(f"{where}: capabilities.add must be empty")
        if context.get("privileged") is True:
            problems.append(f"{where}: privileged is true")
        if context.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: readOnlyRootFilesystem must be true (mount an emptyDir for scratch)")
        seccomp = get_path(_effective("seccompProfile", context, pod_context) or {}, ("type",))
        if seccomp not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{where}: seccompProfile.type is {seccomp!r}; expected 'RuntimeDefault'")
    return problems


@_rule(
    "k8s-high-uid",
    Level.ADVISORY,
    "Containers run as a high UID that no host user shares.",
    "CKV_K8S_40",
)
def k8s_high_uid(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    pod = pod_spec_of(resource_type, props)
    if pod is None:
        return []
    pod_context = pod.get("securityContext") or {}
    problems = []
    for where, container in _containers(pod, with_init=True):
        uid = _effective("runAsUser", container.get("securityContext") or {}, pod_context)
        # CrossGuard hands numbers over as floats (protobuf Struct); the offline plan as ints.
        if isinstance(uid, bool) or not isinstance(uid, int | float) or uid < HIGH_UID:
            problems.append(f"{where}: runAsUser is {uid!r}; expected at least {HIGH_UID}")
    return problems


@_rule(
    "k8s-probes",
    Level.MANDATORY,
    "Every container has liveness and readiness probes.",
    "CKV_K8S_8, CKV_K8S_9",
)
def k8s_probes(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    pod = pod_spec_of(resource_type, props)
    if pod is None:
        return []
    return [
        f"{where}: no {probe}"
        for where, container in _containers(pod, with_init=False)
        for probe in ("livenessProbe", "readinessProbe")
        if not container.get(probe)
    ]


@_rule(
    "k8s-resources",
    Level.MANDATORY,
    "Every container sets CPU and memory requests and limits.",
    "CKV_K8S_10, 11, 12, 13",
)
def k8s_resources(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    pod = pod_spec_of(resource_type, props)
    if pod is None:
        return []
    return [
        f"{where}: no resources.{kind}.{resource}"
        for where, container in _containers(pod, with_init=True)
        for kind in ("requests", "limits")
        for resource in ("cpu", "memory")
        if get_path(container, ("resources", kind, resource)) in (None, "")
    ]


@_rule(
    "k8s-image-digest",
    Level.MANDATORY,
    "Every container image is pinned by digest.",
    "CKV_K8S_43",
)
def k8s_image_digest(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    pod = pod_spec_of(resource_type, props)
    if pod is None:
        return []
    return [
        f"{where}: image '{container.get('image')}' is not pinned by digest (@sha256:...)"
        for where, container in _containers(pod, with_init=True)
        if "@sha256:" not in str(container.get("image", ""))
    ]


@_rule(
    "k8s-service-account-token",
    Level.ADVISORY,
    "Pods mount no service-account token unless they call the Kubernetes API.",
    "CKV_K8S_38",
)
def k8s_service_account_token(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    pod = pod_spec_of(resource_type, props)
    if pod is None or pod.get("automountServiceAccountToken") is False:
        return []
    return ["automountServiceAccountToken is not false"]


@_rule(
    "k8s-not-default-namespace",
    Level.MANDATORY,
    "Namespaced Kubernetes objects live in the workload's own namespace, not 'default'.",
    "CKV_K8S_21",
)
def k8s_not_default_namespace(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if not resource_type.startswith("kubernetes:") or resource_type in CLUSTER_SCOPED_KUBERNETES_TYPES:
        return []
    if resource_type.startswith("kubernetes:yaml") or resource_type.startswith("kubernetes:helm"):
        return []
    namespace = get_path(props, ("metadata", "namespace"))
    if namespace and namespace != "default":
        return []
    return [f"metadata.namespace is {namespace!r}: set the workload's own namespace"]


def _workloads(resources: Sequence[Declared]) -> list[tuple[Declared, str, Mapping[str, Any]]]:
    """Every pod-creating resource with its namespace and pod template labels."""
    found = []
    for resource in resources:
        if pod_spec_of(resource.resource_type, resource.props) is None:
            continue
        pod_template_path = POD_TEMPLATE_KINDS[resource.resource_type][:-1]
        labels = get_path(resource.props, (*pod_template_path, "metadata", "labels"))
        namespace = str(get_path(resource.props, ("metadata", "namespace")) or "default")
        found.append((resource, namespace, labels if isinstance(labels, Mapping) else {}))
    return found


def _selects(selector: Any, labels: Mapping[str, Any]) -> bool:
    """Whether a label selector's matchLabels all hold for the labels (an empty selector selects all)."""
    match_labels = get_path(selector, ("matchLabels",)) if isinstance(selector, Mapping) else None
    if not isinstance(match_labels, Mapping):
        return isinstance(selector, Mapping)
    return all(labels.get(key) == value for key, value in match_labels.items())


def _restricts_ingress(network_policy: Mapping[str, Any]) -> bool:
    policy_types = get_path(network_policy, ("spec", "policyTypes"))
    return policy_types is None or "Ingress" in _items(policy_types)


@_stack_rule(
    "k8s-network-policy",
    Level.MANDATORY,
    "Every workload is selected by a NetworkPolicy that restricts its ingress.",
    "security baseline: NetworkPolicy restricting ingress; CKV_K8S_6",
)
def k8s_network_policy(resources: Sequence[Declared]) -> list[tuple[str, str]]:
    policies = [
        resource for resource in resources if resource.resource_type == "kubernetes:networking.k8s.io/v1:NetworkPolicy"
    ]
    problems = []
    for workload, namespace, labels in _workloads(resources):
        if not any(
            get_path(policy.props, ("metadata", "namespace")) == namespace
            and _restricts_ingress(policy.props)
            and _selects(get_path(policy.props, ("spec", "podSelector")), labels)
            for policy in policies
        ):
            problems.append((workload.name, f"no NetworkPolicy in namespace '{namespace}' restricts its ingress"))
    return problems


@_stack_rule(
    "k8s-pod-disruption-budget",
    Level.ADVISORY,
    "Every Deployment and StatefulSet is covered by a PodDisruptionBudget.",
    "security baseline: PodDisruptionBudget",
)
def k8s_pod_disruption_budget(resources: Sequence[Declared]) -> list[tuple[str, str]]:
    budgets = [
        resource for resource in resources if resource.resource_type == "kubernetes:policy/v1:PodDisruptionBudget"
    ]
    problems = []
    for workload, namespace, labels in _workloads(resources):
        if workload.resource_type not in ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"):
            continue
        if not any(
            get_path(budget.props, ("metadata", "namespace")) == namespace
            and _selects(get_path(budget.props, ("spec", "selector")), labels)
            for budget in budgets
        ):
            problems.append((workload.name, f"no PodDisruptionBudget in namespace '{namespace}' selects it"))
    return problems


# Rules by domain, in modules of their own, join the pack here.
from policy.operations_rules import OPERATIONS_STACK_RULES  # noqa: E402

STACK_RULES.extend(
    StackRule(rule.name, rule.description, Level(rule.level), rule.reference, rule.check)  # type: ignore[arg-type]
    for rule in OPERATIONS_STACK_RULES
)

RULES_BY_NAME: Mapping[str, Rule] = {rule.name: rule for rule in RULES}
STACK_RULES_BY_NAME: Mapping[str, StackRule] = {rule.name: rule for rule in STACK_RULES}
DEFAULT_LEVELS: Mapping[str, Level] = {
    **{rule.name: rule.level for rule in RULES},
    **{rule.name: rule.level for rule in STACK_RULES},
}
"""Every rule name in the pack, resource and stack rules alike, with its default enforcement level."""
