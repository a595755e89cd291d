from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from facts import types
from plan import lookup
from policy.rules import (
    LABELLED_RESOURCE_TYPES,
    RULES,
    RULES_BY_NAME,
    STACK_RULES_BY_NAME,
    Declared,
    Level,
    is_prod,
    labels_of,
)
from tests.policy.resources import REMOVE, changed, good_inputs, stack_labels

SQL = types.SQL_INSTANCE
REDIS = types.REDIS_INSTANCE
CLUSTER = types.GKE_CLUSTER
POOL = types.GKE_NODE_POOL
RUN = types.CLOUD_RUN_SERVICE
RUN_MEMBER = types.CLOUD_RUN_IAM_MEMBER
RUN_BINDING = types.CLOUD_RUN_IAM_BINDING
DEPLOYMENT = types.K8S_DEPLOYMENT
K8S_SERVICE = types.K8S_SERVICE
NETWORK_POLICY = types.K8S_NETWORK_POLICY
BUDGET = types.K8S_POD_DISRUPTION_BUDGET
POD = ("spec", "template", "spec")
CONTAINER = (*POD, "containers", 0)
RUN_ENVS = ("template", "containers", 0, "envs")
DEFAULT_SA = "123456789-compute@developer.gserviceaccount.com"

# (rule, resource type, property path, bad value, words the message must contain)
BAD_CASES: list[tuple[str, str, tuple[str | int, ...], Any, str]] = [
    ("labels-present", SQL, ("settings", "userLabels"), REMOVE, "settings.userLabels is missing"),
    ("labels-present", REDIS, ("labels", "environment"), REMOVE, "no 'environment' label"),
    ("labels-present", CLUSTER, ("resourceLabels", "stack"), REMOVE, "no 'stack' label"),
    ("labels-present", POOL, ("nodeConfig", "resourceLabels", "managed-by"), REMOVE, "no 'managed-by' label"),
    ("labels-present", RUN, ("labels", "environment"), "staging", "'staging'; allowed: dev, prod"),
    ("labels-present", "gcp:secretmanager/secret:Secret", ("labels", "managed-by"), "terraform", "expected 'pulumi'"),
    ("labels-present", "gcp:artifactregistry/repository:Repository", ("labels",), REMOVE, "labels is missing"),
    ("labels-present", "gcp:compute/globalAddress:GlobalAddress", ("labels",), {}, "no 'environment' label"),
    ("cloudsql-no-public-ip", SQL, ("settings", "ipConfiguration", "ipv4Enabled"), True, "ipv4Enabled must be false"),
    ("cloudsql-no-public-ip", SQL, ("settings", "ipConfiguration", "ipv4Enabled"), REMOVE, "unset means a public IP"),
    ("cloudsql-no-public-ip", SQL, ("settings", "ipConfiguration", "privateNetwork"), REMOVE, "no private IP"),
    (
        "cloudsql-require-ssl",
        SQL,
        ("settings", "ipConfiguration", "sslMode"),
        "ALLOW_UNENCRYPTED_AND_ENCRYPTED",
        "sslMode",
    ),
    ("cloudsql-require-ssl", SQL, ("settings", "ipConfiguration", "sslMode"), REMOVE, "sslMode is None"),
    ("cloudsql-automated-backups", SQL, ("settings", "backupConfiguration", "enabled"), False, "enabled must be true"),
    ("cloudsql-postgres-flags", SQL, ("settings", "databaseFlags", 0, "value"), "off", "'log_connections' is 'off'"),
    ("cloudsql-postgres-flags", SQL, ("settings", "databaseFlags"), [], "no 'cloudsql.enable_pgaudit'"),
    ("cloudsql-postgres-flags", SQL, ("settings", "databaseFlags", 2, "value"), "notice", "'log_min_messages'"),
    ("cloudsql-prod-deletion-protection", SQL, ("deletionProtection",), False, "deletionProtection (Pulumi's)"),
    ("cloudsql-prod-deletion-protection", SQL, ("settings", "deletionProtectionEnabled"), REMOVE, "(GCP's)"),
    (
        "cloudsql-prod-point-in-time-recovery",
        SQL,
        ("settings", "backupConfiguration", "pointInTimeRecoveryEnabled"),
        False,
        "pointInTimeRecoveryEnabled must be true in prod",
    ),
    ("redis-auth", REDIS, ("authEnabled",), REMOVE, "authEnabled must be true"),
    ("redis-tls", REDIS, ("transitEncryptionMode",), "DISABLED", "'DISABLED'; expected 'SERVER_AUTHENTICATION'"),
    ("redis-private-network", REDIS, ("authorizedNetwork",), "projects/p/global/networks/default", "stack's VPC"),
    ("gke-private-nodes", CLUSTER, ("privateClusterConfig",), REMOVE, "enablePrivateNodes must be true"),
    ("gke-workload-identity", CLUSTER, ("workloadIdentityConfig",), REMOVE, "workloadPool is not set"),
    ("gke-workload-identity", POOL, ("nodeConfig", "workloadMetadataConfig", "mode"), "GCE_METADATA", "GKE_METADATA"),
    ("gke-shielded-nodes", CLUSTER, ("enableShieldedNodes",), False, "enableShieldedNodes is false"),
    ("gke-shielded-nodes", POOL, ("nodeConfig", "shieldedInstanceConfig"), REMOVE, "enableSecureBoot must be true"),
    (
        "gke-shielded-nodes",
        POOL,
        ("nodeConfig", "shieldedInstanceConfig", "enableIntegrityMonitoring"),
        False,
        "enableIntegrityMonitoring is false",
    ),
    ("gke-release-channel", CLUSTER, ("releaseChannel", "channel"), "UNSPECIFIED", "'UNSPECIFIED'"),
    ("gke-network-policy", CLUSTER, ("datapathProvider",), "LEGACY_DATAPATH", "networkPolicy.enabled"),
    ("gke-no-legacy-abac", CLUSTER, ("enableLegacyAbac",), True, "enableLegacyAbac is true"),
    (
        "gke-no-client-certificate",
        CLUSTER,
        ("masterAuth", "clientCertificateConfig", "issueClientCertificate"),
        True,
        "issueClientCertificate is true",
    ),
    ("gke-node-auto-repair-upgrade", POOL, ("management", "autoUpgrade"), False, "management.autoUpgrade is false"),
    ("gke-node-cos-containerd", POOL, ("nodeConfig", "imageType"), "UBUNTU_CONTAINERD", "'UBUNTU_CONTAINERD'"),
    ("gke-node-dedicated-service-account", POOL, ("nodeConfig", "serviceAccount"), DEFAULT_SA, "default compute"),
    ("gke-node-dedicated-service-account", POOL, ("nodeConfig", "serviceAccount"), REMOVE, "None"),
    ("cloudrun-dedicated-service-account", RUN, ("template", "serviceAccount"), REMOVE, "default compute"),
    ("cloudrun-dedicated-service-account", RUN, ("template", "serviceAccount"), DEFAULT_SA, "default compute"),
    ("cloudrun-secrets-from-secret-manager", RUN, (*RUN_ENVS, 0, "value"), "[secret]", "MODEL_NAME holds a secret"),
    (
        "cloudrun-secrets-from-secret-manager",
        RUN,
        (*RUN_ENVS, 1),
        {"name": "REDIS_PASSWORD", "value": "hunter2"},
        "REDIS_PASSWORD is named like a secret",
    ),
    ("cloudrun-no-public-invoker", RUN_MEMBER, ("member",), "allUsers", "member is 'allUsers'"),
    ("cloudrun-no-public-invoker", RUN_BINDING, ("members",), ["allAuthenticatedUsers"], "allAuthenticatedUsers"),
    ("cloudrun-no-public-invoker", RUN, ("invokerIamDisabled",), True, "anyone can invoke"),
    ("cloudrun-explicit-ingress", RUN, ("ingress",), REMOVE, "ingress is not set"),
    (
        "k8s-restricted-security-context",
        DEPLOYMENT,
        (*POD, "securityContext", "runAsNonRoot"),
        REMOVE,
        "containers[server]: runAsNonRoot must be true",
    ),
    ("k8s-restricted-security-context", DEPLOYMENT, (*POD, "securityContext", "runAsUser"), 0, "runAsUser is 0"),
    (
        "k8s-restricted-security-context",
        DEPLOYMENT,
        (*CONTAINER, "securityContext", "allowPrivilegeEscalation"),
        True,
        "allowPrivilegeEscalation must be false",
    ),
    (
        "k8s-restricted-security-context",
        DEPLOYMENT,
        (*CONTAINER, "securityContext", "capabilities", "drop"),
        ["NET_RAW"],
        "capabilities.drop must include ALL",
    ),
    (
        "k8s-restricted-security-context",
        DEPLOYMENT,
        (*CONTAINER, "securityContext", "readOnlyRootFilesystem"),
        False,
        "readOnlyRootFilesystem must be true",
    ),
    (
        "k8s-restricted-security-context",
        DEPLOYMENT,
        (*POD, "securityContext", "seccompProfile"),
        REMOVE,
        "seccompProfile.type is None",
    ),
    ("k8s-high-uid", DEPLOYMENT, (*POD, "securityContext", "runAsUser"), 1000, "runAsUser is 1000"),
    ("k8s-probes", DEPLOYMENT, (*CONTAINER, "readinessProbe"), REMOVE, "containers[server]: no readinessProbe"),
    ("k8s-probes", DEPLOYMENT, (*CONTAINER, "livenessProbe"), REMOVE, "no livenessProbe"),
    ("k8s-resources", DEPLOYMENT, (*CONTAINER, "resources", "limits"), {"cpu": "4"}, "no resources.limits.memory"),
    ("k8s-resources", DEPLOYMENT, (*CONTAINER, "resources"), REMOVE, "no resources.requests.cpu"),
    ("k8s-image-digest", DEPLOYMENT, (*CONTAINER, "image"), "repo/app:latest", "'repo/app:latest' is not pinned"),
    ("k8s-service-account-token", DEPLOYMENT, (*POD, "automountServiceAccountToken"), REMOVE, "not false"),
    ("k8s-not-default-namespace", DEPLOYMENT, ("metadata", "namespace"), "default", "'default'"),
    ("k8s-not-default-namespace", K8S_SERVICE, ("metadata", "namespace"), REMOVE, "None"),
]


def messages(rule_name: str, resource_type: str, props: dict[str, Any]) -> list[str]:
    return RULES_BY_NAME[rule_name].check(resource_type, props)


@pytest.mark.parametrize(
    ("rule_name", "resource_type", "path", "bad_value", "expected"),
    BAD_CASES,
    ids=[f"{case[0]}:{'.'.join(map(str, case[2]))}" for case in BAD_CASES],
)
def test_rule_fires_on_a_resource_that_breaks_it_and_names_the_property(
    rule_name: str, resource_type: str, path: tuple[str | int, ...], bad_value: Any, expected: str
) -> None:
    bad = changed(good_inputs()[resource_type], path, bad_value)

    found = messages(rule_name, resource_type, bad)

    assert found, f"{rule_name} stayed quiet on {path} = {bad_value!r}"
    assert any(expected in message for message in found), found


@pytest.mark.parametrize("rule_name", sorted(RULES_BY_NAME))
def test_rule_stays_quiet_on_every_compliant_resource(rule_name: str) -> None:
    for resource_type, props in good_inputs().items():
        assert messages(rule_name, resource_type, props) == [], resource_type


def test_every_rule_has_a_bad_case_that_makes_it_fire() -> None:
    assert {case[0] for case in BAD_CASES} == set(RULES_BY_NAME)


def test_rule_names_are_unique_and_each_rule_states_level_and_reference() -> None:
    assert len(RULES_BY_NAME) == len(RULES)
    for rule in RULES:
        assert rule.level in (Level.MANDATORY, Level.ADVISORY)
        assert rule.description.endswith(".")
        assert rule.reference


def test_prod_only_cloudsql_rules_stay_quiet_in_dev() -> None:
    dev_sql = changed(good_inputs()[SQL], ("settings", "userLabels"), stack_labels("dev"))
    dev_sql = changed(dev_sql, ("deletionProtection",), False)
    dev_sql = changed(dev_sql, ("settings", "deletionProtectionEnabled"), False)
    dev_sql = changed(dev_sql, ("settings", "backupConfiguration", "pointInTimeRecoveryEnabled"), False)

    assert messages("cloudsql-prod-deletion-protection", SQL, dev_sql) == []
    assert messages("cloudsql-prod-point-in-time-recovery", SQL, dev_sql) == []


def test_postgres_flags_apply_only_to_postgres_instances() -> None:
    mysql = changed(good_inputs()[SQL], ("databaseVersion",), "MYSQL_8_0")
    mysql = changed(mysql, ("settings", "databaseFlags"), [])

    assert messages("cloudsql-postgres-flags", SQL, mysql) == []


def test_stricter_log_levels_than_required_meet_the_postgres_flags_rule() -> None:
    sql = good_inputs()[SQL]
    for flag in sql["settings"]["databaseFlags"]:
        if flag["name"] in ("log_min_messages", "log_min_error_statement"):
            flag["value"] = "FATAL"

    assert messages("cloudsql-postgres-flags", SQL, sql) == []


def test_a_container_setting_overrides_the_pod_setting_in_the_security_context() -> None:
    deployment = changed(good_inputs()[DEPLOYMENT], (*CONTAINER, "securityContext", "runAsNonRoot"), False)

    assert "containers[server]: runAsNonRoot must be true" in messages(
        "k8s-restricted-security-context", DEPLOYMENT, deployment
    )


def test_init_containers_are_held_to_the_restricted_profile_too() -> None:
    init = {"name": "warmup", "image": "busybox@sha256:" + "c" * 64}
    deployment = changed(good_inputs()[DEPLOYMENT], (*POD, "initContainers"), [init])

    found = messages("k8s-restricted-security-context", DEPLOYMENT, deployment)

    assert "initContainers[warmup]: allowPrivilegeEscalation must be false" in found


def test_cluster_scoped_kubernetes_objects_need_no_namespace() -> None:
    assert messages("k8s-not-default-namespace", "kubernetes:core/v1:Namespace", {"metadata": {"name": "x"}}) == []
    assert messages("k8s-not-default-namespace", "pulumi:providers:kubernetes", {}) == []


def test_gke_network_policy_addon_satisfies_the_network_policy_rule() -> None:
    cluster = changed(good_inputs()[CLUSTER], ("datapathProvider",), REMOVE)
    cluster = changed(cluster, ("networkPolicy",), {"enabled": True, "provider": "CALICO"})

    assert messages("gke-network-policy", CLUSTER, cluster) == []


def test_labels_are_read_where_each_resource_type_keeps_them() -> None:
    for resource_type, path in LABELLED_RESOURCE_TYPES.items():
        props = good_inputs()[resource_type]
        assert labels_of(resource_type, props) == lookup(props, path)
        assert is_prod(resource_type, props)
    assert labels_of("gcp:compute/network:Network", {"labels": {"environment": "prod"}}) is None


def test_every_labelled_type_names_a_label_property_the_pulumi_gcp_sdk_accepts() -> None:
    import pulumi_gcp

    sdk_modules = {
        "gcp:artifactregistry/repository:Repository": pulumi_gcp.artifactregistry.repository,
        "gcp:cloudrunv2/service:Service": pulumi_gcp.cloudrunv2.service,
        "gcp:compute/globalAddress:GlobalAddress": pulumi_gcp.compute.global_address,
        "gcp:container/cluster:Cluster": pulumi_gcp.container.cluster,
        "gcp:container/nodePool:NodePool": pulumi_gcp.container._inputs,
        "gcp:redis/instance:Instance": pulumi_gcp.redis.instance,
        "gcp:secretmanager/secret:Secret": pulumi_gcp.secretmanager.secret,
        "gcp:sql/databaseInstance:DatabaseInstance": pulumi_gcp.sql._inputs,
    }
    assert set(sdk_modules) == set(LABELLED_RESOURCE_TYPES)
    for resource_type, module in sdk_modules.items():
        label_property = LABELLED_RESOURCE_TYPES[resource_type].rsplit(".", 1)[-1]
        snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in label_property)
        source = Path(module.__file__).read_text(encoding="utf-8")
        assert f"def {snake}(self)" in source, (resource_type, label_property)


def stack_findings(rule_name: str, *resources: tuple[str, dict[str, Any]]) -> list[tuple[str, str]]:
    declared = [
        Declared(resource_type, f"{resource_type.rsplit(':', 1)[1].lower()}", props)
        for resource_type, props in resources
    ]
    return STACK_RULES_BY_NAME[rule_name].check(declared)


def workload_with(*others: tuple[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(DEPLOYMENT, good_inputs()[DEPLOYMENT]), *others]


def test_a_workload_selected_by_an_ingress_network_policy_in_its_namespace_passes() -> None:
    assert stack_findings("k8s-network-policy", *workload_with((NETWORK_POLICY, good_inputs()[NETWORK_POLICY]))) == []


def test_an_empty_pod_selector_covers_every_workload_in_the_namespace() -> None:
    deny_all = changed(good_inputs()[NETWORK_POLICY], ("spec", "podSelector"), {})

    assert stack_findings("k8s-network-policy", *workload_with((NETWORK_POLICY, deny_all))) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("metadata", "namespace"), "other"),
        (("spec", "podSelector", "matchLabels"), {"app": "something-else"}),
        (("spec", "policyTypes"), ["Egress"]),
    ],
    ids=["other-namespace", "selects-other-pods", "egress-only"],
)
def test_a_network_policy_that_does_not_restrict_the_workload_ingress_does_not_count(
    path: tuple[str, ...], value: Any
) -> None:
    policy = changed(good_inputs()[NETWORK_POLICY], path, value)

    assert stack_findings("k8s-network-policy", *workload_with((NETWORK_POLICY, policy))) == [
        ("deployment", "no NetworkPolicy in namespace 'inference' restricts its ingress")
    ]


def test_a_workload_without_a_pod_disruption_budget_is_reported_and_one_with_a_budget_is_not() -> None:
    assert stack_findings("k8s-pod-disruption-budget", *workload_with()) == [
        ("deployment", "no PodDisruptionBudget in namespace 'inference' selects it")
    ]
    assert stack_findings("k8s-pod-disruption-budget", *workload_with((BUDGET, good_inputs()[BUDGET]))) == []
    assert STACK_RULES_BY_NAME["k8s-pod-disruption-budget"].level is Level.ADVISORY
