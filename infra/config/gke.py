"""The GKE section: the cluster, its system and GPU pools, the autoscaler's bounds; it makes the cluster's, the
metrics adapter's and the workload's Args."""

from __future__ import annotations

import ipaddress
from typing import cast

import pulumi
import pulumi_kubernetes as kubernetes
from pydantic import Field, field_validator

from components.app_runtime import AppRuntime
from components.gke import AuthorizedNetworkArgs, GkeClusterArgs, GpuPoolArgs, SystemPoolArgs
from components.metrics_adapter import CustomMetricsAdapterArgs
from components.naming import fit_name
from components.workload import KubernetesWorkloadArgs
from facts import gcp as rules
from facts.gcp import GkeControlPlaneAccess, GkeDiskType, GkeGpuDriverVersion, GkeReleaseChannel
from infra.config.network import NetworkSettings
from infra.config.scope import (
    GKE_PODS_RANGE,
    GKE_SERVICES_RANGE,
    KUBERNETES_APP_NAME,
    KUBERNETES_NAMESPACE,
    Section,
    StackScope,
)
from infra.config.service import ServiceSettings


class NodePoolSettings(Section):
    """GKE only: the system pool, for GKE's own pods."""

    machine_type: str = "e2-standard-2"
    node_count: int = Field(default=1, ge=1)
    """Nodes per zone of the cluster's location (a regional cluster has three zones)."""

    def args(self) -> SystemPoolArgs:
        return SystemPoolArgs(machine_type=self.machine_type, node_count=self.node_count)


class GpuNodePoolSettings(Section):
    """GKE only: the autoscaled GPU pool the inference pods run on, one GPU per pod."""

    machine_type: str = "g2-standard-4"
    """A machine type of the accelerator's series (nvidia-l4 → g2-standard-*)."""
    accelerator: str = "nvidia-l4"
    """The pool's GPU; default: service.gpu.type where that is written, else nvidia-l4."""
    accelerator_count: int = Field(default=1, ge=1)
    """GPUs per node; fixed by the machine type on G2, A2 and A3."""
    min_nodes: int = Field(default=0, ge=0)
    """Fewest nodes across all zones; 0 lets the pool scale to zero."""
    max_nodes: int = Field(default=3, ge=1)
    """Most nodes across all zones; the project's GPU quota must cover max nodes x GPUs per node."""
    spot: bool = False
    """Spot VMs: far cheaper, reclaimable at any time."""
    driver_version: str = "LATEST"
    """The GPU driver GKE installs: DEFAULT, LATEST, INSTALLATION_DISABLED (changing it recreates the pool)."""
    disk_size_gb: int = Field(default=100, ge=10)
    disk_type: str = "pd-balanced"

    @property
    def gpus_per_node(self) -> int:
        """GPUs on each node: built into the machine type on G2, A2 and A3, else acceleratorCount."""
        machine = rules.MACHINE_TYPES.get(self.machine_type)
        return (machine.built_in_gpus if machine else 0) or self.accelerator_count

    def args(self) -> GpuPoolArgs:
        return GpuPoolArgs(
            machine_type=self.machine_type,
            accelerator=self.accelerator,
            accelerator_count=self.accelerator_count,
            driver_version=cast(GkeGpuDriverVersion, self.driver_version),
            min_nodes=self.min_nodes,
            max_nodes=self.max_nodes,
            spot=self.spot,
            disk_size_gb=self.disk_size_gb,
            disk_type=cast(GkeDiskType, self.disk_type),
        )


class ReplicaSettings(Section):
    """GKE only: the HorizontalPodAutoscaler's bounds and target."""

    min: int = Field(default=1, ge=1)
    max: int = Field(default=3, ge=1)
    """The GPU pool must have a GPU for each of these pods."""
    target_queue_depth: int = Field(default=64, ge=1)
    """Inputs waiting for the model per pod (embedding_queue_depth_inputs, read through Managed Prometheus and
    the Custom Metrics Stackdriver Adapter) the autoscaler aims for; 64 is one full model batch (MAX_BATCH_SIZE)."""


class AuthorizedNetwork(Section):
    """A range allowed to reach the GKE control plane (where `pulumi up` and kubectl run)."""

    cidr: str
    name: str

    @field_validator("cidr")
    @classmethod
    def _is_a_network(cls, value: str) -> str:
        ipaddress.ip_network(value, strict=True)
        return value

    def args(self) -> AuthorizedNetworkArgs:
        return AuthorizedNetworkArgs(cidr=self.cidr, name=self.name)


class GkeSettings(Section):
    """A private GKE Standard cluster with a system pool and a GPU pool."""

    location: str = "us-central1-a"
    """A zone (zonal cluster, covered by the monthly free credit) or the region (regional cluster)."""
    cluster_name: str | None = None
    """Default: inference-<stack>, shortened to 40 characters with a hash where it is longer."""
    release_channel: str = "REGULAR"
    system_pool: NodePoolSettings = NodePoolSettings()
    gpu_pool: GpuNodePoolSettings = GpuNodePoolSettings()
    replicas: ReplicaSettings = ReplicaSettings()
    master_authorized_networks: list[AuthorizedNetwork] = Field(
        default_factory=lambda: [AuthorizedNetwork(cidr="10.0.0.0/8", name="internal")]
    )
    master_cidr: str = "172.16.0.0/28"
    """The control plane's private range (a /28)."""
    control_plane_access: GkeControlPlaneAccess = "dns"
    """How `pulumi up` and kubectl reach the control plane: `dns` (the DNS-based endpoint, IAM-authenticated, from
    anywhere with credentials; the IP endpoint stays private) or `ip` (the public IP endpoint, only from
    masterAuthorizedNetworks)."""

    @field_validator("master_cidr")
    @classmethod
    def _is_a_private_slash_28(cls, value: str) -> str:
        network = ipaddress.ip_network(value, strict=True)
        if not network.is_private or network.prefixlen != rules.GKE_MASTER_CIDR_PREFIX:
            raise ValueError(f"the control plane takes a private /{rules.GKE_MASTER_CIDR_PREFIX}, like 172.16.0.0/28")
        return value

    def name_in(self, name_prefix: str) -> str:
        """The cluster's name: clusterName, else the stack's name prefix fitted to GKE's limit."""
        return self.cluster_name or fit_name(name_prefix, rules.GKE_CLUSTER_NAME)

    @property
    def gpu_capacity(self) -> int:
        """How many one-GPU pods the GPU pool holds at its largest (maxNodes x GPUs per node)."""
        return self.gpu_pool.max_nodes * max(self.gpu_pool.gpus_per_node, 1)

    @property
    def rollout(self) -> tuple[int, int]:
        """The Deployment's (maxSurge, maxUnavailable). A surge pod needs a GPU beyond replicas.max, so surge only
        where the pool has one to spare; otherwise replace one pod at a time."""
        return (1, 0) if self.replicas.max < self.gpu_capacity else (0, 1)

    def gpu_pool_zones(self, region: str) -> list[str]:
        """A zonal cluster's GPU nodes live in its zone; a regional cluster's in the region's zones with the GPU."""
        if self.location != region:
            return [self.location]
        return list(rules.gpu_zones(self.gpu_pool.accelerator, region))

    def args(
        self,
        stack: StackScope,
        *,
        network_id: pulumi.Input[str],
        subnet_id: pulumi.Input[str],
        gateway_api: bool = False,
    ) -> GkeClusterArgs:
        """The cluster in `subnet_id` (with the network's secondary ranges) and both its node pools; with
        `gateway_api`, running the Gateway API an entry point's Gateway needs."""
        return GkeClusterArgs(
            project=stack.project,
            location=self.location,
            cluster_name=self.name_in(stack.name_prefix),
            network_id=network_id,
            subnet_id=subnet_id,
            pods_range_name=GKE_PODS_RANGE,
            services_range_name=GKE_SERVICES_RANGE,
            master_cidr=self.master_cidr,
            authorized_networks=[network.args() for network in self.master_authorized_networks],
            control_plane_access=self.control_plane_access,
            # A str on the section, so that a wrong channel reads "allowed: ..."; GkeClusterArgs checks it.
            release_channel=cast(GkeReleaseChannel, self.release_channel),
            system_pool=self.system_pool.args(),
            gpu_pool=self.gpu_pool.args(),
            gpu_zones=self.gpu_pool_zones(stack.region),
            deletion_protection=stack.protected,
            labels=stack.labels,
            gateway_api=gateway_api,
        )

    def metrics_adapter_args(
        self,
        stack: StackScope,
        *,
        provider: kubernetes.Provider,
        cluster: pulumi.Resource,
        workload_pool: str,
    ) -> CustomMetricsAdapterArgs:
        """The adapter that serves the app's queue depth to the autoscaler, reached by the control plane only."""
        return CustomMetricsAdapterArgs(
            provider=provider,
            cluster=cluster,
            workload_pool=workload_pool,
            project=stack.project,
            control_plane_cidrs=[self.master_cidr],
            labels=stack.labels,
        )

    def workload_args(
        self,
        stack: StackScope,
        *,
        service: ServiceSettings,
        network: NetworkSettings,
        provider: kubernetes.Provider,
        cluster: pulumi.Resource,
        workload_pool: str,
        runtime: AppRuntime,
        redis_host: pulumi.Input[str],
        redis_port: pulumi.Input[int],
        database_host: pulumi.Input[str],
        database_port: int,
        behind_gateway: bool = False,
    ) -> KubernetesWorkloadArgs:
        """The app on the GPU pool, shaped by `service`, reachable from `network`'s ranges unless public; with
        `behind_gateway`, only through the entry point's Gateway."""
        max_surge, max_unavailable = self.rollout
        return KubernetesWorkloadArgs(
            provider=provider,
            cluster=cluster,
            workload_pool=workload_pool,
            runtime=runtime,
            cpu=service.cpu,
            memory=service.memory,
            gpu_type=self.gpu_pool.accelerator,
            min_replicas=self.replicas.min,
            max_replicas=self.replicas.max,
            max_surge=max_surge,
            max_unavailable=max_unavailable,
            target_queue_depth=self.replicas.target_queue_depth,
            public=service.public,
            behind_gateway=behind_gateway,
            internal_client_cidrs=[network.subnet_cidr, network.pods_cidr],
            redis_host=redis_host,
            redis_port=redis_port,
            database_host=database_host,
            database_port=database_port,
            labels=stack.labels,
            namespace=KUBERNETES_NAMESPACE,
            app_name=KUBERNETES_APP_NAME,
        )
