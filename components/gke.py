"""A private GKE Standard cluster with a system pool, a GPU pool and a Kubernetes provider that talks to it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, get_args

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as kubernetes
import yaml

from components._options import child_options
from components.gke_node_pool import (
    CLOUD_PLATFORM_SCOPE,
    GkeNodePool,
    GkeNodePoolArgs,
    NodePoolAutoscalingArgs,
    NodePoolGpuArgs,
)
from components.naming import fit_name
from components.validation import ArgsProblems
from facts.entry import GATEWAY_API_CHANNEL
from facts.gcp import (
    ACCELERATOR_MACHINE_SERIES,
    BUILT_IN_GPU_SERIES,
    GKE_DISK_TYPES,
    GKE_GPU_DRIVER_VERSIONS,
    GKE_NODE_IMAGE,
    GKE_RELEASE_CHANNELS,
    MACHINE_TYPES,
    N1_WITHOUT_GPU,
    SERVICE_ACCOUNT_DISPLAY_NAME,
    SERVICE_ACCOUNT_ID_NAME,
    GkeControlPlaneAccess,
    GkeDiskType,
    GkeGpuDriverVersion,
    GkeReleaseChannel,
    machine_series,
)

# The same effect as Kubernetes spells it in a toleration.
GPU_TOLERATION_EFFECT = "NoSchedule"
# What the nodes' own identity needs: GKE's own role for a custom node account (logs, metrics, metadata; GKE
# requires it) and reading images. Nothing else.
NODE_ROLES = (
    "roles/container.defaultNodeServiceAccount",
    "roles/artifactregistry.reader",
)
CONTROL_PLANE_ACCESS: tuple[GkeControlPlaneAccess, ...] = get_args(GkeControlPlaneAccess)
AUTH_PLUGIN = "gke-gcloud-auth-plugin"
AUTH_PLUGIN_HINT = (
    "gke-gcloud-auth-plugin must be installed where `pulumi up` runs: "
    "`gcloud components install gke-gcloud-auth-plugin` or "
    "`apt-get install google-cloud-cli-gke-gcloud-auth-plugin` "
    "(https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin)"
)


class ClusterAccessShape(Protocol):
    """What the cluster's channel and access rules read: GkeClusterArgs, or a config section that spells the same
    fields."""

    @property
    def release_channel(self) -> str: ...
    @property
    def control_plane_access(self) -> str: ...


def check_cluster_access(cluster: ClusterAccessShape, problems: ArgsProblems) -> None:
    """The release channels GKE offers, and the two ways to reach the control plane."""
    problems.one_of("release_channel", cluster.release_channel, GKE_RELEASE_CHANNELS)
    problems.one_of("control_plane_access", cluster.control_plane_access, CONTROL_PLANE_ACCESS)


@dataclass(frozen=True, kw_only=True)
class SystemPoolArgs:
    """Nodes for GKE's own workloads (DNS, metrics, the GPU device plugin's controller)."""

    machine_type: str
    """Machine type of the system nodes."""
    node_count: int
    """Nodes per zone of the cluster's location."""

    def __post_init__(self) -> None:
        problems = ArgsProblems(self)
        if self.machine_type not in MACHINE_TYPES:
            problems.add("machine_type", self.machine_type, f"known types: {', '.join(MACHINE_TYPES)}")
        problems.raise_any()


@dataclass(frozen=True, kw_only=True)
class GpuPoolArgs:
    """Autoscaled GPU nodes, tainted so that only pods that tolerate the taint and ask for a GPU land there."""

    machine_type: str
    """A machine type the accelerator attaches to (g2-standard-4 for one L4)."""
    accelerator: str
    """Accelerator type, e.g. nvidia-l4."""
    accelerator_count: int
    """GPUs per node (fixed by the machine type on G2/A2/A3)."""
    driver_version: GkeGpuDriverVersion
    """The driver GKE installs (gpu_driver_installation_config): DEFAULT, LATEST, INSTALLATION_DISABLED."""
    min_nodes: int
    """Fewest nodes in the pool across all its zones (0 lets it scale to zero)."""
    max_nodes: int
    """Most nodes in the pool across all its zones."""
    spot: bool
    """Spot VMs: much cheaper, reclaimable at any time."""
    disk_size_gb: int
    """Boot disk per node."""
    disk_type: GkeDiskType
    """Boot disk type per node."""

    def __post_init__(self) -> None:
        problems = ArgsProblems(self)
        machine = MACHINE_TYPES.get(self.machine_type)
        series = machine_series(self.machine_type)
        allowed_series = ACCELERATOR_MACHINE_SERIES.get(self.accelerator)
        if allowed_series is None:
            problems.add("accelerator", self.accelerator, f"allowed: {', '.join(ACCELERATOR_MACHINE_SERIES)}")
        elif series not in allowed_series or self.machine_type in N1_WITHOUT_GPU:
            problems.add(
                "machine_type",
                self.machine_type,
                f"{self.accelerator} attaches only to {'/'.join(s.upper() for s in allowed_series)} machine types "
                f"({', '.join(s + '-*' for s in allowed_series)})",
            )
        if machine is None:
            problems.add("machine_type", self.machine_type, f"known types: {', '.join(MACHINE_TYPES)}")
        elif series in BUILT_IN_GPU_SERIES and self.accelerator_count != machine.built_in_gpus:
            problems.add(
                "accelerator_count",
                self.accelerator_count,
                f"{self.machine_type} has {machine.built_in_gpus} GPU(s) built in; the count is fixed by the type",
            )
        problems.one_of("driver_version", self.driver_version, GKE_GPU_DRIVER_VERSIONS)
        problems.one_of("disk_type", self.disk_type, GKE_DISK_TYPES)
        if self.min_nodes > self.max_nodes:
            problems.add("min_nodes", self.min_nodes, f"must not exceed maxNodes ({self.max_nodes})")
        problems.raise_any()


@dataclass(frozen=True, kw_only=True)
class AuthorizedNetworkArgs:
    """A range allowed to reach the control plane."""

    cidr: str
    """A range allowed to reach the control plane's endpoint."""
    name: str
    """What the range is (shown in the console)."""


@dataclass(frozen=True, kw_only=True)
class GkeClusterArgs:
    """A private GKE Standard cluster with a system pool and a GPU pool."""

    project: str
    """The project (its Workload Identity pool is `<project>.svc.id.goog`)."""
    location: str
    """A zone (zonal cluster) or a region (regional cluster)."""
    cluster_name: str
    """The cluster's name in GCP."""
    network_id: pulumi.Input[str]
    """The VPC."""
    subnet_id: pulumi.Input[str]
    """The subnet with the pods and services secondary ranges."""
    pods_range_name: str
    """Name of the subnet's secondary range for pods."""
    services_range_name: str
    """Name of the subnet's secondary range for services."""
    master_cidr: str
    """The control plane's private /28."""
    authorized_networks: Sequence[AuthorizedNetworkArgs]
    """Ranges allowed to reach the control plane's IP endpoints."""
    control_plane_access: GkeControlPlaneAccess
    """How `pulumi up` and kubectl reach the control plane, and so what the kubeconfig names: `dns` (the DNS-based
    endpoint, IAM-authenticated, reachable wherever the caller has credentials; the IP endpoint stays private) or
    `ip` (the public IP endpoint, from `authorized_networks` only)."""
    release_channel: GkeReleaseChannel
    """RAPID, REGULAR, STABLE or EXTENDED: GKE upgrades the control plane and nodes along it."""
    system_pool: SystemPoolArgs
    """The pool for GKE's own pods."""
    gpu_pool: GpuPoolArgs
    """The pool the inference pods run on."""
    gpu_zones: Sequence[str]
    """The zones of the location that offer the accelerator: the GPU pool's node locations."""
    deletion_protection: bool
    """Refuse to delete the cluster (prod); off for stacks that must destroy cleanly."""
    labels: Mapping[str, str]
    """Labels for the cluster, its nodes and the node service account's resources."""
    gateway_api: bool = False
    """Install the standard Gateway API and GKE's Gateway controller (gateway_api_config), for an entry point
    built from a Gateway (components/gateway.py); off: no Gateway API CRDs on the cluster."""

    def __post_init__(self) -> None:
        problems = ArgsProblems(self)
        check_cluster_access(self, problems)
        problems.raise_any()


class GkeCluster(pulumi.ComponentResource):
    """A private, VPC-native GKE Standard cluster with Workload Identity, Dataplane V2 and shielded COS nodes."""

    cluster: gcp.container.Cluster
    """The cluster itself: what needs the cluster to exist (a Workload Identity binding) depends on it."""
    cluster_name: pulumi.Output[str]
    control_plane_endpoint: pulumi.Output[str]
    """The host the kubeconfig (and so `pulumi up`) talks to: the DNS endpoint, or the public IP with `ip` access."""
    kubeconfig: pulumi.Output[str]
    """A kubeconfig that authenticates with gke-gcloud-auth-plugin (a Pulumi secret)."""
    provider: kubernetes.Provider
    """The Kubernetes provider for objects in this cluster; it waits until both node pools exist."""
    workload_pool: str
    """The Workload Identity pool (`<project>.svc.id.goog`) Kubernetes service accounts are members of."""

    def __init__(self, name: str, args: GkeClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inference:gke:GkeCluster", name, None, opts)
        dns_access = args.control_plane_access == "dns"
        child = child_options(self, opts)
        labels = dict(args.labels)
        self.workload_pool = f"{args.project}.svc.id.goog"

        node_account = gcp.serviceaccount.Account(
            f"{name}-nodes",
            account_id=fit_name(f"{name}-gke", SERVICE_ACCOUNT_ID_NAME),
            display_name=fit_name(f"Nodes of {args.cluster_name}", SERVICE_ACCOUNT_DISPLAY_NAME),
            description="GKE node identity: writes logs and metrics, reads images. No other role.",
            opts=child,
        )
        node_roles = [
            gcp.projects.IAMMember(
                f"{name}-nodes-{role.rsplit('/', 1)[1]}",
                project=args.project,
                role=role,
                member=node_account.member,
                opts=child,
            )
            for role in NODE_ROLES
        ]

        cluster = gcp.container.Cluster(
            f"{name}-cluster",
            name=args.cluster_name,
            location=args.location,
            network=args.network_id,
            subnetwork=args.subnet_id,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name=args.pods_range_name,
                services_secondary_range_name=args.services_range_name,
            ),
            # The default pool cannot be configured like ours; GKE needs one node to create the cluster, then it goes.
            remove_default_node_pool=True,
            initial_node_count=1,
            node_config=gcp.container.ClusterNodeConfigArgs(
                service_account=node_account.email,
                oauth_scopes=[CLOUD_PLATFORM_SCOPE],
                image_type=GKE_NODE_IMAGE,
                shielded_instance_config=gcp.container.ClusterNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
                workload_metadata_config=gcp.container.ClusterNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA"),
            ),
            private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True,
                # With DNS access nobody needs the public IP: the nodes use the private one, callers the DNS name.
                enable_private_endpoint=dns_access,
                master_ipv4_cidr_block=args.master_cidr,
            ),
            control_plane_endpoints_config=gcp.container.ClusterControlPlaneEndpointsConfigArgs(
                dns_endpoint_config=gcp.container.ClusterControlPlaneEndpointsConfigDnsEndpointConfigArgs(
                    allow_external_traffic=dns_access
                ),
                ip_endpoints_config=gcp.container.ClusterControlPlaneEndpointsConfigIpEndpointsConfigArgs(enabled=True),
            ),
            master_authorized_networks_config=gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
                cidr_blocks=[
                    gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                        cidr_block=network.cidr, display_name=network.name
                    )
                    for network in args.authorized_networks
                ],
            ),
            master_auth=gcp.container.ClusterMasterAuthArgs(
                client_certificate_config=gcp.container.ClusterMasterAuthClientCertificateConfigArgs(
                    issue_client_certificate=False
                )
            ),
            enable_legacy_abac=False,
            enable_shielded_nodes=True,
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(workload_pool=self.workload_pool),
            # Dataplane V2 enforces NetworkPolicy itself; the legacy network_policy addon must stay off with it.
            datapath_provider="ADVANCED_DATAPATH",
            release_channel=gcp.container.ClusterReleaseChannelArgs(channel=args.release_channel),
            # Managed Service for Prometheus collects the app's /metrics (PodMonitoring), for the SLOs and the
            # autoscaler; set explicitly rather than relying on the version's default.
            monitoring_config=gcp.container.ClusterMonitoringConfigArgs(
                enable_components=["SYSTEM_COMPONENTS"],
                managed_prometheus=gcp.container.ClusterMonitoringConfigManagedPrometheusArgs(enabled=True),
            ),
            gateway_api_config=gcp.container.ClusterGatewayApiConfigArgs(channel=GATEWAY_API_CHANNEL)
            if args.gateway_api
            else None,
            deletion_protection=args.deletion_protection,
            resource_labels=labels,
            opts=child_options(self, opts, depends_on=node_roles).merge(
                # The removed default pool's node_config would otherwise show as a change on every run.
                pulumi.ResourceOptions(ignore_changes=["node_config"])
            ),
        )

        pool_options = child_options(self, opts)
        system_pool = GkeNodePool(
            f"{name}-system",
            GkeNodePoolArgs(
                pool_name="system",
                cluster_id=cluster.id,
                location=args.location,
                service_account_email=node_account.email,
                machine_type=args.system_pool.machine_type,
                node_count=args.system_pool.node_count,
                labels=labels,
            ),
            opts=pool_options,
        )
        gpu = args.gpu_pool
        gpu_pool = GkeNodePool(
            f"{name}-gpu",
            GkeNodePoolArgs(
                pool_name="gpu",
                cluster_id=cluster.id,
                location=args.location,
                service_account_email=node_account.email,
                machine_type=gpu.machine_type,
                node_locations=args.gpu_zones,
                # Spot capacity comes and goes per zone: take it wherever it is.
                autoscaling=NodePoolAutoscalingArgs(
                    min_nodes=gpu.min_nodes, max_nodes=gpu.max_nodes, location_policy="ANY" if gpu.spot else "BALANCED"
                ),
                gpu=NodePoolGpuArgs(
                    accelerator=gpu.accelerator, count=gpu.accelerator_count, driver_version=gpu.driver_version
                ),
                disk_size_gb=gpu.disk_size_gb,
                disk_type=gpu.disk_type,
                spot=gpu.spot,
                labels=labels,
            ),
            opts=pool_options,
        )

        if dns_access:
            # The DNS endpoint serves a publicly trusted certificate: no cluster CA in the kubeconfig.
            self.control_plane_endpoint = cluster.control_plane_endpoints_config.apply(_dns_endpoint)
            kubeconfig = pulumi.Output.all(cluster.name, self.control_plane_endpoint).apply(
                lambda parts: _kubeconfig(str(parts[0]), str(parts[1]), None)
            )
        else:
            self.control_plane_endpoint = cluster.endpoint
            kubeconfig = pulumi.Output.all(
                cluster.name, cluster.endpoint, cluster.master_auth.cluster_ca_certificate
            ).apply(lambda parts: _kubeconfig(str(parts[0]), str(parts[1]), str(parts[2])))
        self.kubeconfig = pulumi.Output.secret(kubeconfig)
        self.cluster = cluster
        self.cluster_name = cluster.name
        self.provider = kubernetes.Provider(
            f"{name}-kubernetes",
            kubeconfig=self.kubeconfig,
            opts=child_options(self, opts, depends_on=[system_pool.node_pool, gpu_pool.node_pool]),
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "control_plane_endpoint": self.control_plane_endpoint,
                "kubeconfig": self.kubeconfig,
            }
        )


def _dns_endpoint(endpoints: Mapping[str, Any] | None) -> str:
    """The cluster's DNS endpoint from its control_plane_endpoints_config (output types are mappings too)."""
    endpoint = ((endpoints or {}).get("dns_endpoint_config") or {}).get("endpoint")
    if not endpoint:
        raise ValueError("the cluster reported no DNS endpoint (control_plane_endpoints_config.dns_endpoint_config)")
    return str(endpoint)


def _kubeconfig(cluster_name: str, endpoint: str, ca_certificate: str | None) -> str:
    """A kubeconfig that gets short-lived tokens from gke-gcloud-auth-plugin; it holds no credential itself."""
    server: dict[str, str] = {"server": f"https://{endpoint}"}
    if ca_certificate is not None:
        server["certificate-authority-data"] = ca_certificate
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster_name, "cluster": server}],
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": AUTH_PLUGIN,
                            "installHint": AUTH_PLUGIN_HINT,
                            "provideClusterInfo": True,
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
        },
        sort_keys=False,
    )
