"""GKE: private, shielded nodes with Workload Identity, a release channel, NetworkPolicy, no legacy access."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from facts.gcp import GKE_NODE_IMAGE, GKE_RELEASE_CHANNELS
from facts.types import GKE_CLUSTER, GKE_NODE_POOL
from plan import lookup
from policy.rules.registry import Level, RuleSet, is_default_compute_account

RULES = RuleSet()


@RULES.rule(
    "gke-private-nodes",
    Level.MANDATORY,
    "GKE nodes have private IPs only.",
    "CKV_GCP_25, CKV_GCP_64",
).on(GKE_CLUSTER)
def gke_private_nodes(props: Mapping[str, Any]) -> list[str]:
    if lookup(props, "privateClusterConfig.enablePrivateNodes") is True:
        return []
    return ["privateClusterConfig.enablePrivateNodes must be true"]


workload_identity = RULES.rule(
    "gke-workload-identity",
    Level.MANDATORY,
    "GKE uses Workload Identity; node pools expose only the GKE metadata server.",
    "CKV_GCP_69",
)


@workload_identity.on(GKE_CLUSTER)
def cluster_has_a_workload_pool(props: Mapping[str, Any]) -> list[str]:
    if lookup(props, "workloadIdentityConfig.workloadPool"):
        return []
    return ["workloadIdentityConfig.workloadPool is not set"]


@workload_identity.on(GKE_NODE_POOL)
def node_pool_exposes_only_the_gke_metadata_server(props: Mapping[str, Any]) -> list[str]:
    mode = lookup(props, "nodeConfig.workloadMetadataConfig.mode")
    if mode == "GKE_METADATA":
        return []
    return [f"nodeConfig.workloadMetadataConfig.mode is {mode!r}; expected 'GKE_METADATA'"]


shielded_nodes = RULES.rule(
    "gke-shielded-nodes",
    Level.MANDATORY,
    "GKE nodes are shielded, with secure boot and integrity monitoring.",
    "CKV_GCP_71, CKV_GCP_68, CKV_GCP_72",
)


@shielded_nodes.on(GKE_CLUSTER)
def cluster_keeps_shielded_nodes(props: Mapping[str, Any]) -> list[str]:
    return ["enableShieldedNodes is false"] if props.get("enableShieldedNodes") is False else []


@shielded_nodes.on(GKE_NODE_POOL)
def node_pool_boots_securely(props: Mapping[str, Any]) -> list[str]:
    shielded = lookup(props, "nodeConfig.shieldedInstanceConfig") or {}
    problems = []
    if shielded.get("enableSecureBoot") is not True:
        problems.append("nodeConfig.shieldedInstanceConfig.enableSecureBoot must be true")
    if shielded.get("enableIntegrityMonitoring") is False:
        problems.append("nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring is false")
    return problems


@RULES.rule(
    "gke-release-channel",
    Level.MANDATORY,
    "The GKE cluster is enrolled in a release channel.",
    "CKV_GCP_70",
).on(GKE_CLUSTER)
def gke_release_channel(props: Mapping[str, Any]) -> list[str]:
    channel = lookup(props, "releaseChannel.channel")
    if channel in GKE_RELEASE_CHANNELS:
        return []
    return [f"releaseChannel.channel is {channel!r}; expected one of {', '.join(GKE_RELEASE_CHANNELS)}"]


@RULES.rule(
    "gke-network-policy",
    Level.MANDATORY,
    "The GKE cluster enforces NetworkPolicy (network policy addon or Dataplane V2).",
    "CKV_GCP_12",
).on(GKE_CLUSTER)
def gke_network_policy(props: Mapping[str, Any]) -> list[str]:
    if props.get("datapathProvider") == "ADVANCED_DATAPATH":
        return []
    if lookup(props, "networkPolicy.enabled") is True:
        return []
    return ["neither datapathProvider 'ADVANCED_DATAPATH' nor networkPolicy.enabled true"]


@RULES.rule("gke-no-legacy-abac", Level.MANDATORY, "Legacy ABAC is off on the GKE cluster.", "CKV_GCP_7").on(
    GKE_CLUSTER
)
def gke_no_legacy_abac(props: Mapping[str, Any]) -> list[str]:
    return ["enableLegacyAbac is true"] if props.get("enableLegacyAbac") is True else []


@RULES.rule(
    "gke-no-client-certificate",
    Level.MANDATORY,
    "The GKE cluster issues no client certificates.",
    "CKV_GCP_13",
).on(GKE_CLUSTER)
def gke_no_client_certificate(props: Mapping[str, Any]) -> list[str]:
    issued = lookup(props, "masterAuth.clientCertificateConfig.issueClientCertificate")
    return ["masterAuth.clientCertificateConfig.issueClientCertificate is true"] if issued is True else []


@RULES.rule(
    "gke-node-auto-repair-upgrade",
    Level.MANDATORY,
    "GKE node pools repair and upgrade themselves.",
    "CKV_GCP_9, CKV_GCP_10",
).on(GKE_NODE_POOL)
def gke_node_auto_repair_upgrade(props: Mapping[str, Any]) -> list[str]:
    management = props.get("management") or {}
    return [f"management.{key} is false" for key in ("autoRepair", "autoUpgrade") if management.get(key) is False]


@RULES.rule(
    "gke-node-cos-containerd",
    Level.ADVISORY,
    "GKE nodes run Container-Optimized OS with containerd.",
    "CKV_GCP_22",
).on(GKE_NODE_POOL)
def gke_node_cos_containerd(props: Mapping[str, Any]) -> list[str]:
    image = lookup(props, "nodeConfig.imageType")
    if image is None or str(image).upper() == GKE_NODE_IMAGE:
        return []
    return [f"nodeConfig.imageType is '{image}'; expected '{GKE_NODE_IMAGE}'"]


@RULES.rule(
    "gke-node-dedicated-service-account",
    Level.MANDATORY,
    "GKE nodes run as a dedicated service account, not the default compute one.",
    "CIS GKE 5.2.1",
).on(GKE_NODE_POOL)
def gke_node_dedicated_service_account(props: Mapping[str, Any]) -> list[str]:
    account = lookup(props, "nodeConfig.serviceAccount")
    if not is_default_compute_account(account):
        return []
    return [f"nodeConfig.serviceAccount is {account!r}: the default compute service account"]
