"""The Kubernetes shapes every hardened Deployment of the project repeats: a namespace that denies all traffic,
egress to cluster DNS and Google APIs, and a size-capped scratch emptyDir for a read-only root filesystem.

The app's workload and the custom metrics adapter both build their NetworkPolicies and volumes from these, so a
rule about DNS or the metadata server is written once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pulumi
import pulumi_kubernetes as kubernetes

DNS_PORT = 53
# Where pods reach Google APIs from GKE: the metadata servers (Workload Identity tokens) and the
# private.googleapis.com VIP that Private Google Access serves.
GOOGLE_API_ENDPOINTS: tuple[tuple[str, int], ...] = (
    ("169.254.169.254/32", 80),
    ("169.254.169.252/32", 988),
    ("199.36.153.8/30", 443),
)

networking = kubernetes.networking.v1


def cidr_peers(cidrs: Sequence[pulumi.Input[str]]) -> list[kubernetes.networking.v1.NetworkPolicyPeerArgs]:
    return [networking.NetworkPolicyPeerArgs(ip_block=networking.IPBlockArgs(cidr=cidr)) for cidr in cidrs]


def tcp(port: pulumi.Input[int | str]) -> kubernetes.networking.v1.NetworkPolicyPortArgs:
    return networking.NetworkPolicyPortArgs(protocol="TCP", port=port)


def deny_all(
    resource_name: str,
    metadata: Callable[[str], kubernetes.meta.v1.ObjectMetaArgs],
    opts: pulumi.ResourceOptions,
) -> kubernetes.networking.v1.NetworkPolicy:
    """`default-deny`: no pod of the namespace sends or receives anything another policy does not allow."""
    return networking.NetworkPolicy(
        resource_name,
        metadata=metadata("default-deny"),
        spec=networking.NetworkPolicySpecArgs(
            pod_selector=kubernetes.meta.v1.LabelSelectorArgs(), policy_types=["Ingress", "Egress"]
        ),
        opts=opts,
    )


def kube_dns_egress() -> kubernetes.networking.v1.NetworkPolicyEgressRuleArgs:
    """Name lookups through the cluster's kube-dns pods, over UDP and TCP."""
    kube_dns = networking.NetworkPolicyPeerArgs(
        namespace_selector=kubernetes.meta.v1.LabelSelectorArgs(
            match_labels={"kubernetes.io/metadata.name": "kube-system"}
        ),
        pod_selector=kubernetes.meta.v1.LabelSelectorArgs(match_labels={"k8s-app": "kube-dns"}),
    )
    return networking.NetworkPolicyEgressRuleArgs(
        to=[kube_dns], ports=[networking.NetworkPolicyPortArgs(protocol="UDP", port=DNS_PORT), tcp(DNS_PORT)]
    )


def google_api_egress() -> list[kubernetes.networking.v1.NetworkPolicyEgressRuleArgs]:
    """The metadata servers and the Private Google Access VIP, each on its one port."""
    return [
        networking.NetworkPolicyEgressRuleArgs(to=cidr_peers([cidr]), ports=[tcp(port)])
        for cidr, port in GOOGLE_API_ENDPOINTS
    ]


def scratch_volume(
    volume_name: str, mount_path: str, size_limit: str
) -> tuple[kubernetes.core.v1.VolumeArgs, kubernetes.core.v1.VolumeMountArgs]:
    """An emptyDir capped at `size_limit`, and its mount: the one writable path of a read-only container."""
    return (
        kubernetes.core.v1.VolumeArgs(
            name=volume_name, empty_dir=kubernetes.core.v1.EmptyDirVolumeSourceArgs(size_limit=size_limit)
        ),
        kubernetes.core.v1.VolumeMountArgs(name=volume_name, mount_path=mount_path),
    )
