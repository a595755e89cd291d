"""The stack configuration: typed sections, every GCP rule checked before anything is registered.

Keys in the stack files are camelCase (`inference:service.minInstances`); the models use snake_case with
camelCase aliases. Unknown keys are errors, and all problems are reported together, each as
`<stack file>: <key path> = <value>: <what is wrong and what is allowed>`.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import pulumi
import pulumi_kubernetes as kubernetes
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from components.app_runtime import AppRuntime
from components.cache import RedisCacheArgs, check_memorystore_shape
from components.cloudrun import CloudRunGpuArgs, CloudRunScalingArgs, CloudRunServiceArgs, check_cloud_run_resources
from components.database import BackupArgs, MaintenanceWindow, PostgresDatabaseArgs, check_sql_instance_shape
from components.entry import ArmorArgs, EntryPointArgs
from components.gateway import GatewayEntryPointArgs
from components.gke import AuthorizedNetworkArgs, GkeClusterArgs, GpuPoolArgs, SystemPoolArgs, check_cluster_access
from components.image import ContainerImageArgs
from components.metrics_adapter import CustomMetricsAdapterArgs
from components.naming import fit_name
from components.network import NetworkArgs
from components.operations import BudgetArgs, ObjectivesArgs, OperationsArgs, slo_goal_problem, slo_window_problem
from components.validation import ArgsError, ArgsProblems
from components.workload import KubernetesWorkloadArgs
from facts import entry as entry_facts
from facts import gcp as rules
from facts.app import ImageVariant
from facts.gcp import (
    CloudRunGpuType,
    GkeControlPlaneAccess,
    GkeDiskType,
    GkeGpuDriverVersion,
    GkeReleaseChannel,
    RedisTier,
    SqlAvailability,
    SqlEdition,
)
from facts.labels import REQUIRED_LABELS, Environment, required_labels
from facts.quantities import memory_mib
from infra.stack_file import ConfigError as ConfigError

NAMESPACE = "inference"
# Names the composition gives its parts: the subnet's secondary ranges and the Kubernetes objects of the workload.
GKE_PODS_RANGE = "pods"
GKE_SERVICES_RANGE = "services"
KUBERNETES_NAMESPACE = "inference"
KUBERNETES_APP_NAME = "embeddings"


class _Section(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True, validate_default=True
    )


@dataclass(frozen=True, kw_only=True)
class StackScope:
    """What every entity of one stack shares. A section's `args(stack, ...)` turns the section into its entity's
    Args; the composition hands in only what other components produce (ids, outputs, secrets)."""

    project: str
    """The Google Cloud project."""
    region: str
    """The region everything regional goes to."""
    stack_name: str
    """The stack's name (the image tag)."""
    name_prefix: str
    """`inference-<stack>`, the prefix of every resource name."""
    platform: Literal["cloudrun", "gke"]
    """Which platform serves the model."""
    labels: Mapping[str, str]
    """The user's labels plus the required ones, for every resource that takes labels."""
    protected: bool
    """prod: deletion protection on what keeps data or serves (the cluster, the service, images, secrets)."""


# --- sections ------------------------------------------------------------------------------------------------


class GpuSettings(_Section):
    """A GPU attached to each instance (Cloud Run) or pod (GKE)."""

    type: str = "nvidia-l4"
    """Accelerator type; Cloud Run takes nvidia-l4 or nvidia-rtx-pro-6000. GKE: gke.gpuPool.accelerator if unset."""
    zonal_redundancy: bool = True
    """Cloud Run only: reserve GPU capacity across zones (Google's default; off is cheaper, best effort)."""

    def args(self) -> CloudRunGpuArgs:
        """Cloud Run's GPU; CloudRunGpuArgs refuses a type Cloud Run does not offer."""
        return CloudRunGpuArgs(type=cast(CloudRunGpuType, self.type), zonal_redundancy=self.zonal_redundancy)


class ServiceSettings(_Section):
    """The inference service: one container per Cloud Run instance or GKE pod."""

    cpu: float = Field(default=1, gt=0)
    """vCPU per instance or pod."""
    memory: str = "2Gi"
    """Memory per instance or pod, as Mi or Gi."""
    gpu: GpuSettings | None = None
    """The GPU, or null for CPU only. GKE: always one GPU of gke.gpuPool.accelerator (leave it out)."""
    min_instances: int = Field(default=0, ge=0)
    """Instances kept warm (Cloud Run); billed in full while idle."""
    max_instances: int = Field(default=3, ge=1)
    """Upper bound of instances (Cloud Run)."""
    concurrency: int = 16
    """Concurrent requests per instance (Cloud Run)."""
    public: bool = False
    """Allow unauthenticated invocation from the internet; otherwise internal ingress and IAM-only invocation."""

    @field_validator("memory")
    @classmethod
    def _memory_is_a_quantity(cls, value: str) -> str:
        memory_mib(value)
        return value

    @property
    def device(self) -> ImageVariant:
        """Where the model runs: the image's build variant and the app's MODEL_DEVICE."""
        return "cuda" if self.gpu else "cpu"

    def scaling_args(self) -> CloudRunScalingArgs:
        return CloudRunScalingArgs(
            min_instances=self.min_instances, max_instances=self.max_instances, concurrency=self.concurrency
        )

    def args(
        self,
        stack: StackScope,
        *,
        runtime: AppRuntime,
        network_id: pulumi.Input[str],
        subnet_id: pulumi.Input[str],
        behind_load_balancer: bool,
    ) -> CloudRunServiceArgs:
        """The Cloud Run service; `behind_load_balancer` where an entry point is its only public way in."""
        return CloudRunServiceArgs(
            region=stack.region,
            runtime=runtime,
            cpu=self.cpu,
            memory=self.memory,
            scaling=self.scaling_args(),
            gpu=self.gpu.args() if self.gpu else None,
            public=self.public,
            behind_load_balancer=behind_load_balancer,
            network_id=network_id,
            subnet_id=subnet_id,
            deletion_protection=stack.protected,
            labels=stack.labels,
        )


class RedisSettings(_Section):
    """Memorystore for Redis, always with AUTH and in-transit encryption."""

    tier: RedisTier = "BASIC"
    memory_size_gb: int = 1
    version: str = "REDIS_7_2"
    read_replicas: int = Field(default=0, ge=0)
    deletion_protection: bool | None = None
    """Refuse to delete (and so to replace) the instance. Default: on in prod, off in dev."""

    def args(
        self,
        stack: StackScope,
        *,
        network_id: pulumi.Input[str],
        private_services_connection: pulumi.Resource,
    ) -> RedisCacheArgs:
        """The Memorystore instance, reachable from `network_id` once the private services connection exists."""
        return RedisCacheArgs(
            region=stack.region,
            network_id=network_id,
            private_services_connection=private_services_connection,
            tier=self.tier,
            memory_size_gb=self.memory_size_gb,
            version=self.version,
            read_replicas=self.read_replicas,
            deletion_protection=bool(self.deletion_protection),
            labels=stack.labels,
        )


class DatabaseSettings(_Section):
    """Cloud SQL for PostgreSQL with a private IP only; unset protections follow the environment."""

    version: str = "POSTGRES_16"
    edition: SqlEdition = "ENTERPRISE"
    tier: str = "db-custom-1-3840"
    availability: SqlAvailability | None = None
    """ZONAL or REGIONAL (high availability); default: REGIONAL in prod, ZONAL in dev."""
    disk_size_gb: int = 10
    backups: bool = True
    point_in_time_recovery: bool | None = None
    """Default: on in prod, off in dev."""
    deletion_protection: bool | None = None
    """Both Pulumi's and GCP's deletion protection. Default: on in prod, off in dev."""
    maintenance_day: int = Field(default=7, ge=1, le=7)
    """Day of the weekly maintenance window, 1 = Monday."""
    maintenance_hour: int = Field(default=3, ge=0, le=23)
    """Hour (UTC) of the weekly maintenance window."""

    def backup_args(self) -> BackupArgs:
        return BackupArgs(enabled=self.backups, point_in_time_recovery=bool(self.point_in_time_recovery))

    def maintenance_args(self) -> MaintenanceWindow:
        return MaintenanceWindow(day=self.maintenance_day, hour=self.maintenance_hour)

    def args(
        self,
        stack: StackScope,
        *,
        network_id: pulumi.Input[str],
        private_services_connection: pulumi.Resource,
        password: pulumi.Input[str],
    ) -> PostgresDatabaseArgs:
        """The Cloud SQL instance on `network_id`'s private services range, its user signing in with `password`."""
        assert self.availability is not None, "the environment defaults decide the availability"
        return PostgresDatabaseArgs(
            region=stack.region,
            network_id=network_id,
            private_services_connection=private_services_connection,
            version=self.version,
            edition=self.edition,
            tier=self.tier,
            availability=self.availability,
            disk_size_gb=self.disk_size_gb,
            backup=self.backup_args(),
            deletion_protection=bool(self.deletion_protection),
            maintenance=self.maintenance_args(),
            password=password,
            labels=stack.labels,
        )


class ImageSettings(_Section):
    """The app's container image: built from `context` with pulumi-docker, or an existing one."""

    context: str = "app"
    dockerfile: str = "app/Dockerfile"
    prebuilt: str | None = None
    """An image reference to deploy as is (by digest, ideally); nothing is built."""

    @field_validator("prebuilt")
    @classmethod
    def _prebuilt_is_a_reference(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or any(character.isspace() for character in value)):
            raise ValueError(
                "not an image reference: give one like REGION-docker.pkg.dev/PROJECT/REPO/IMAGE@sha256:..., "
                "or null to build from context"
            )
        return value

    def args(self, stack: StackScope, *, variant: ImageVariant) -> ContainerImageArgs:
        """The image of the app, built for `variant` (ServiceSettings.device) and tagged with the stack's name."""
        return ContainerImageArgs(
            region=stack.region,
            project=stack.project,
            context=self.context,
            dockerfile=self.dockerfile,
            variant=variant,
            tag=stack.stack_name,
            prebuilt=self.prebuilt,
            deletion_protection=stack.protected,
            labels=stack.labels,
        )


class NetworkSettings(_Section):
    """The VPC the service, Redis and the database share."""

    subnet_cidr: str = "10.10.0.0/20"
    pods_cidr: str = "10.20.0.0/16"
    """GKE only: the subnet's secondary range for pods."""
    services_cidr: str = "10.30.0.0/20"
    """GKE only: the subnet's secondary range for services."""
    private_services_address: str = "10.40.0.0"
    """First address of the range reserved for private services access (Cloud SQL, Memorystore)."""
    private_services_prefix_length: int = Field(default=20, ge=8, le=24)
    """Size of that range."""
    cloud_nat: bool = False
    """Give private workloads internet egress through Cloud NAT (always on for GKE's private nodes)."""

    @field_validator("subnet_cidr", "pods_cidr", "services_cidr")
    @classmethod
    def _is_a_private_network(cls, value: str) -> str:
        network = ipaddress.ip_network(value, strict=True)
        if not network.is_private:
            raise ValueError(f"{value} is not a private (RFC 1918) range")
        return value

    @field_validator("private_services_address")
    @classmethod
    def _is_a_private_address(cls, value: str) -> str:
        address = ipaddress.ip_address(value)
        if address.version != 4 or not address.is_private:
            raise ValueError(f"{value} is not a private (RFC 1918) IPv4 address")
        return value

    @property
    def private_services_range(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        """The reserved range as a network (the rules check that the address starts a range of that size)."""
        return ipaddress.ip_network(
            f"{self.private_services_address}/{self.private_services_prefix_length}", strict=False
        )

    def args(self, stack: StackScope) -> NetworkArgs:
        """The VPC; on GKE with the pods' and services' secondary ranges and Cloud NAT for the private nodes."""
        gke = stack.platform == "gke"
        return NetworkArgs(
            region=stack.region,
            subnet_cidr=self.subnet_cidr,
            secondary_ranges={GKE_PODS_RANGE: self.pods_cidr, GKE_SERVICES_RANGE: self.services_cidr} if gke else {},
            private_services_address=self.private_services_address,
            private_services_prefix_length=self.private_services_prefix_length,
            cloud_nat=self.cloud_nat or gke,
            labels=stack.labels,
        )


class NodePoolSettings(_Section):
    """GKE only: the system pool, for GKE's own pods."""

    machine_type: str = "e2-standard-2"
    node_count: int = Field(default=1, ge=1)
    """Nodes per zone of the cluster's location (a regional cluster has three zones)."""

    def args(self) -> SystemPoolArgs:
        return SystemPoolArgs(machine_type=self.machine_type, node_count=self.node_count)


class GpuNodePoolSettings(_Section):
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


class ReplicaSettings(_Section):
    """GKE only: the HorizontalPodAutoscaler's bounds and target."""

    min: int = Field(default=1, ge=1)
    max: int = Field(default=3, ge=1)
    """The GPU pool must have a GPU for each of these pods."""
    target_queue_depth: int = Field(default=64, ge=1)
    """Inputs waiting for the model per pod (embedding_queue_depth_inputs, read through Managed Prometheus and
    the Custom Metrics Stackdriver Adapter) the autoscaler aims for; 64 is one full model batch (MAX_BATCH_SIZE)."""


class AuthorizedNetwork(_Section):
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


class GkeSettings(_Section):
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


class ArmorSettings(_Section):
    """The Cloud Armor security policy in front of the entry point."""

    requests_per_minute_per_ip: int = Field(default=600, gt=0)
    """Requests a minute one client IP may send; beyond it the load balancer answers 429."""
    preconfigured_rules: list[str] = Field(default_factory=list)
    """Preconfigured WAF rules (e.g. sqli-v33-stable), each denying what it matches with 403."""
    allow_cidrs: list[str] = Field(default_factory=list)
    """Only these client ranges may reach the entry point; empty: everyone."""

    @field_validator("preconfigured_rules")
    @classmethod
    def _known_waf_rules(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in entry_facts.CLOUD_ARMOR_PRECONFIGURED_WAF_RULES]
        if unknown:
            raise ValueError(
                f"unknown preconfigured WAF rule(s) {', '.join(unknown)}: names like sqli-v33-stable or "
                f"xss-v422-canary ({entry_facts.CLOUD_ARMOR_WAF_RULES_SOURCE})"
            )
        if len(set(value)) != len(value):
            raise ValueError("each rule at most once")
        return value

    @field_validator("allow_cidrs")
    @classmethod
    def _are_networks(cls, value: list[str]) -> list[str]:
        for cidr in value:
            ipaddress.ip_network(cidr, strict=True)
        limit = entry_facts.CLOUD_ARMOR_MAX_SOURCE_RANGES_PER_RULE
        if len(value) > limit:
            raise ValueError(f"{len(value)} ranges; one Cloud Armor rule matches at most {limit}")
        return value

    def args(self) -> ArmorArgs:
        return ArmorArgs(
            requests_per_minute_per_ip=self.requests_per_minute_per_ip,
            preconfigured_rules=self.preconfigured_rules,
            allow_cidrs=self.allow_cidrs,
        )


class EntrySettings(_Section):
    """A public entry point: a global external Application Load Balancer for `domain`, with a Google-managed
    certificate, Cloud Armor and security response headers. Needs service.public: true."""

    domain: str
    """The host name clients use (e.g. api.example.com); the managed certificate is issued for it."""
    dns_zone: str | None = None
    """A Cloud DNS managed zone (its name) to create the A record in; null: create the record yourself."""
    armor: ArmorSettings = ArmorSettings()

    @field_validator("domain")
    @classmethod
    def _is_a_dns_name(cls, value: str) -> str:
        if not entry_facts.DNS_NAME.match(value):
            raise ValueError(
                "not a DNS name: lowercase labels of letters, digits and hyphens joined by dots, like "
                f"api.example.com, at most {entry_facts.DNS_NAME_MAX} characters (no wildcard, no trailing dot)"
            )
        return value

    @field_validator("dns_zone")
    @classmethod
    def _is_a_zone_name(cls, value: str | None) -> str | None:
        if value is not None and not entry_facts.CLOUD_DNS_ZONE_NAME.accepts(value):
            raise ValueError(f"not a Cloud DNS managed zone name ({entry_facts.CLOUD_DNS_ZONE_NAME.source})")
        return value

    def args(self, stack: StackScope, *, cloud_run_service: pulumi.Input[str]) -> EntryPointArgs:
        """The load balancer for `domain` in front of the Cloud Run service named `cloud_run_service`."""
        return EntryPointArgs(
            region=stack.region,
            cloud_run_service=cloud_run_service,
            domain=self.domain,
            dns_zone=self.dns_zone,
            armor=self.armor.args(),
            labels=stack.labels,
        )

    def gateway_args(
        self,
        stack: StackScope,
        *,
        provider: kubernetes.Provider,
        namespace: pulumi.Input[str],
        service: pulumi.Resource,
        service_port: int,
    ) -> GatewayEntryPointArgs:
        """The Gateway for `domain` in front of the app's Service on GKE (the same address, certificate and Cloud
        Armor policy as on Cloud Run)."""
        return GatewayEntryPointArgs(
            provider=provider,
            namespace=namespace,
            service=service,
            service_name=KUBERNETES_APP_NAME,
            service_port=service_port,
            domain=self.domain,
            dns_zone=self.dns_zone,
            armor=self.armor.args(),
            labels=stack.labels,
        )


class SloSettings(_Section):
    """The service level objectives the burn-rate alerts defend, over a rolling window."""

    availability: float = 0.995
    """Share of requests that must not fail with a 5xx, in (0, 0.999]."""
    latency_ms: int = Field(default=500, ge=1)
    """The latency threshold of the latency SLO, in milliseconds."""
    latency_objective: float = 0.95
    """Share of requests that must be faster than latencyMs, in (0, 0.999]."""
    window_days: int = 28
    """The rolling window both SLOs are measured over (Cloud Monitoring takes 1-30 days)."""

    # ObjectivesArgs' own rules, run as the section loads: a wrong objective is reported like any other bad value.
    @field_validator("availability", "latency_objective")
    @classmethod
    def _is_a_ratio(cls, value: float) -> float:
        if (problem := slo_goal_problem(value)) is not None:
            raise ValueError(problem)
        return value

    @field_validator("window_days")
    @classmethod
    def _is_a_rolling_period(cls, value: int) -> int:
        if (problem := slo_window_problem(value)) is not None:
            raise ValueError(problem)
        return value

    def args(self) -> ObjectivesArgs:
        return ObjectivesArgs(
            availability=self.availability,
            latency_ms=self.latency_ms,
            latency_objective=self.latency_objective,
            window_days=self.window_days,
        )


class BudgetSettings(_Section):
    """A Cloud Billing budget on the project, filtered to this stack's resources by their `stack` label."""

    billing_account: str
    """The billing account the project bills to, like 012345-6789AB-CDEF01."""
    monthly_usd: float = Field(gt=0)
    """The budget amount; `cost --fail-over-budget` also checks the stack's estimate against it."""
    thresholds: list[float] = Field(default_factory=lambda: [0.5, 0.9, 1.0])
    """Fractions of the amount at which the budget notifies, ascending."""

    @field_validator("billing_account")
    @classmethod
    def _is_a_billing_account(cls, value: str) -> str:
        if not rules.BILLING_ACCOUNT_ID.match(value):
            raise ValueError("a billing account id is three groups of six hex digits, like 012345-6789AB-CDEF01")
        return value

    @field_validator("thresholds")
    @classmethod
    def _ascending_fractions(cls, value: list[float]) -> list[float]:
        low, high = rules.BUDGET_THRESHOLD_RANGE
        if not value:
            raise ValueError("give at least one threshold, like [0.5, 0.9, 1.0]")
        if any(not low < threshold <= high for threshold in value):
            raise ValueError(f"each threshold is a fraction of the amount in ({low:g}, {high:g}], like 0.9")
        if any(later <= earlier for earlier, later in itertools.pairwise(value)):
            raise ValueError("thresholds must be strictly ascending, like [0.5, 0.9, 1.0]")
        return value

    def args(self, stack: StackScope, *, project_number: pulumi.Input[str]) -> BudgetArgs:
        """The budget on the project numbered `project_number`, counting the resources with the stack's label."""
        return BudgetArgs(
            billing_account=self.billing_account,
            monthly_usd=self.monthly_usd,
            thresholds=self.thresholds,
            project_number=project_number,
            stack_label=stack.labels["stack"],
        )


class OperationsSettings(_Section):
    """How the stack is operated: SLOs with burn-rate alerts, saturation alerts, a dashboard and a budget."""

    enabled: bool = True
    """Create the monitoring resources (every stack by default; dev may turn it off)."""
    alert_emails: list[str] = Field(default_factory=list)
    """An email notification channel each; empty, the alerts exist and `check` warns that nobody is told."""
    slo: SloSettings = SloSettings()
    budget: BudgetSettings | None = None
    """Optional: a budget for the project, on the stack's labels."""

    @field_validator("alert_emails")
    @classmethod
    def _are_email_addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not rules.EMAIL_ADDRESS.match(address):
                raise ValueError(f"{address!r} is not an email address like oncall@example.com")
        if len(set(value)) != len(value):
            raise ValueError("each address once")
        return value

    def args(
        self,
        stack: StackScope,
        *,
        service: ServiceSettings,
        gke: GkeSettings | None,
        database: DatabaseSettings,
        service_name: pulumi.Input[str],
        service_url: pulumi.Input[str] | None,
        database_id: pulumi.Input[str],
        redis_instance_id: pulumi.Input[str],
        project_number: pulumi.Input[str] | None,
    ) -> OperationsArgs:
        """SLOs, alerts, the dashboard and the budget of the `service_name` that `service` shapes, on Cloud Run or on
        `gke`; `project_number` only where there is a budget."""
        budget = self.budget
        return OperationsArgs(
            project=stack.project,
            platform=stack.platform,
            region=stack.region,
            service_name=service_name,
            namespace=KUBERNETES_NAMESPACE if gke else None,
            max_instances=gke.replicas.max if gke else service.max_instances,
            min_instances=gke.replicas.min if gke else service.min_instances,
            # Only a public Cloud Run service has an address Google's uptime checkers reach before it exists.
            public_url=service_url if service.public and not gke else None,
            gpu=service.gpu is not None,
            database_id=database_id,
            database_max_connections=rules.sql_postgres_max_connections(database.tier),
            redis_instance_id=redis_instance_id,
            alert_emails=self.alert_emails,
            objectives=self.slo.args(),
            budget=budget.args(stack, project_number=project_number)
            if budget is not None and project_number is not None
            else None,
            labels=stack.labels,
        )


class StackConfig(BaseModel):
    """Everything one stack file says, validated, with the environment's defaults filled in."""

    model_config = ConfigDict(frozen=True)

    stack: str
    stack_file: str
    project: str
    region: str
    environment: Environment
    platform: Literal["cloudrun", "gke"]
    labels: dict[str, str]
    service: ServiceSettings
    redis: RedisSettings
    database: DatabaseSettings
    image: ImageSettings
    network: NetworkSettings
    gke: GkeSettings | None
    entry: EntrySettings | None = None
    """The public entry point, or None (no load balancer)."""
    operations: OperationsSettings

    @property
    def name_prefix(self) -> str:
        """The prefix of every resource name: `inference-<stack>`."""
        return f"{NAMESPACE}-{self.stack}"

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def all_labels(self) -> dict[str, str]:
        """The user's labels plus the ones the project always sets (environment drives prod-only policies)."""
        stack = fit_name(self.stack, rules.GCP_LABEL_VALUE)
        return {**self.labels, **required_labels(self.environment, stack)}

    @property
    def scope(self) -> StackScope:
        """What every section's `args` shares."""
        return StackScope(
            project=self.project,
            region=self.region,
            stack_name=self.stack,
            name_prefix=self.name_prefix,
            platform=self.platform,
            labels=self.all_labels,
            protected=self.is_prod,
        )


# --- loading ---------------------------------------------------------------------------------------------------

SECTIONS: dict[str, type[_Section]] = {
    "service": ServiceSettings,
    "redis": RedisSettings,
    "database": DatabaseSettings,
    "image": ImageSettings,
    "network": NetworkSettings,
    "gke": GkeSettings,
    "operations": OperationsSettings,
}
# Sections a stack may leave out altogether (absent or null: the feature is off).
OPTIONAL_SECTIONS: dict[str, type[_Section]] = {"entry": EntrySettings}
SCALARS = ("environment", "platform", "labels")
KNOWN_KEYS = (*SCALARS, *SECTIONS, *OPTIONAL_SECTIONS)


def _display(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(", ", ": "))


class _Problems:
    def __init__(self, stack_file: str) -> None:
        self.stack_file = stack_file
        self.messages: list[str] = []

    def add(self, key: str, value: Any, rule: str) -> None:
        self.messages.append(f"{self.stack_file}: {key} = {_display(value)}: {rule}")

    def add_missing(self, key: str, rule: str) -> None:
        self.messages.append(f"{self.stack_file}: {key}: {rule}")


def _args_problems(problems: _Problems, key: str, build: Callable[[], object]) -> None:
    """Build Args from a section and report what they refuse, each under the section's key for that field."""
    try:
        build()
    except ArgsError as invalid:
        for problem in invalid.problems:
            problems.add(f"{key}.{to_camel(problem.field)}", problem.value, problem.message)


def _shape_problems(
    problems: _Problems, key: str, section: _Section, check: Callable[[Any, ArgsProblems], None]
) -> None:
    """Run a component's rules over a section that spells the Args' fields (before the Args can be built, which
    needs other components' outputs), and report what they refuse under the section's keys."""
    found = ArgsProblems(section)
    check(section, found)
    _args_problems(problems, key, found.raise_any)


def _pydantic_problems(problems: _Problems, key: str, error: ValidationError, raw: Any) -> None:
    for detail in error.errors():
        path = ".".join(str(part) for part in detail["loc"])
        full_key = f"{key}.{path}" if path else key
        value = detail.get("input")
        if detail["type"] == "extra_forbidden":
            section = _section_at(raw, detail["loc"][:-1], key)
            allowed = ", ".join(sorted(_aliases(section))) if section else "none"
            problems.add(full_key, value, f"unknown key (allowed here: {allowed})")
        elif detail["type"] == "missing":
            problems.add_missing(full_key, "required")
        else:
            message = detail["msg"].removeprefix("Value error, ")
            problems.add(full_key, value, message)


def _section_at(raw: Any, loc: tuple[Any, ...], key: str) -> type[BaseModel] | None:
    model: type[BaseModel] | None = {**SECTIONS, **OPTIONAL_SECTIONS}.get(key.split(":", 1)[1])
    for part in loc:
        if model is None or isinstance(part, int):
            continue
        field = next((f for f in model.model_fields.values() if f.alias == part), None)
        annotation = field.annotation if field else None
        nested = [t for t in getattr(annotation, "__args__", (annotation,)) if isinstance(t, type)]
        model = next((t for t in nested if issubclass(t, BaseModel)), None)
    return model


def _aliases(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def _without(value: Any, locations: list[tuple[Any, ...]]) -> Any:
    """A copy of a nested mapping with the keys at `locations` removed."""
    copy = json.loads(json.dumps(value))
    for location in locations:
        container = copy
        for part in location[:-1]:
            container = container[part]
        container.pop(location[-1], None)
    return copy


def _decode(value: str | Any) -> Any:
    """Config values arrive as strings from the engine; objects and lists as JSON."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def load_stack_config(
    raw: Mapping[str, Any], *, stack_file: str, stack: str, project_dir: Path | None = None
) -> StackConfig:
    """Validate the engine's config for one stack. Raises ConfigError listing every problem found.

    Paths in the config (the image's build context and Dockerfile) are relative to `project_dir`, by default the
    working directory, where Pulumi runs the program.
    """
    problems = _Problems(stack_file)
    prefix = f"{NAMESPACE}:"
    for key in raw:
        if key.startswith(prefix) and key[len(prefix) :] not in KNOWN_KEYS:
            problems.add(key, _decode(raw[key]), f"unknown key (known: {', '.join(prefix + k for k in KNOWN_KEYS)})")

    if not rules.STACK_NAME.match(stack):
        problems.add_missing(
            "stack name",
            f"{stack!r} must be 1-100 letters, digits, '-', '_' or '.', from and to a letter or digit "
            "(resource names are derived from it, shortened with a hash where a limit needs it)",
        )

    project = raw.get("gcp:project")
    if project is None:
        problems.add_missing("gcp:project", "required: the Google Cloud project id (pulumi config set gcp:project ...)")
    elif not rules.PROJECT_ID.match(str(project)):
        problems.add("gcp:project", project, "a project id is 6-30 lowercase letters, digits or hyphens, from a letter")
    region = raw.get("gcp:region")
    if region is None:
        problems.add_missing("gcp:region", "required: the region to deploy to, e.g. us-central1")
    elif not rules.REGION.match(str(region)):
        problems.add("gcp:region", region, "not a region name like us-central1 (a zone is not a region)")

    environment = raw.get(f"{prefix}environment", "dev")
    if environment not in ("dev", "prod"):
        problems.add(f"{prefix}environment", environment, "allowed: dev, prod")
    platform = raw.get(f"{prefix}platform", "cloudrun")
    if platform not in ("cloudrun", "gke"):
        problems.add(f"{prefix}platform", platform, "allowed: cloudrun, gke")

    labels = _decode(raw.get(f"{prefix}labels", "{}"))
    if not isinstance(labels, dict):
        problems.add(f"{prefix}labels", labels, "must be a mapping of label keys to values")
        labels = {}
    for label_key, label_value in labels.items():
        where = f"{prefix}labels.{label_key}"
        if not rules.LABEL_KEY.match(str(label_key)):
            problems.add(where, label_value, "label keys are 1-63 lowercase letters, digits, _ or -, from a letter")
        if not isinstance(label_value, str) or not rules.LABEL_VALUE.match(label_value):
            problems.add(where, label_value, "label values are strings of 0-63 lowercase letters, digits, _ or -")
    labels = {str(label_key): str(label_value) for label_key, label_value in labels.items()}
    if len(labels) + len(REQUIRED_LABELS) > rules.MAX_LABELS:
        allowed = rules.MAX_LABELS - len(REQUIRED_LABELS)
        problems.add(f"{prefix}labels", f"{len(labels)} labels", f"at most {allowed} labels")

    sections: dict[str, Any] = {}
    for name, model in SECTIONS.items():
        key = f"{prefix}{name}"
        value = _decode(raw.get(key, "{}"))
        if name == "service" and isinstance(value, dict) and value.get("gpu") is False:
            value = {**value, "gpu": None}
        if not isinstance(value, dict):
            problems.add(key, value, "must be a mapping")
            continue
        try:
            sections[name] = model.model_validate(value)
        except ValidationError as error:
            _pydantic_problems(problems, key, error, value)
            if all(detail["type"] == "extra_forbidden" for detail in error.errors()):
                # Unknown keys change no value, so the rules below can still judge the rest of the section.
                known_only = _without(value, [detail["loc"] for detail in error.errors()])
                sections[name] = model.model_validate(known_only)

    entry = _load_entry(raw, problems)

    if len(sections) != len(SECTIONS) or environment not in ("dev", "prod") or platform not in ("cloudrun", "gke"):
        raise ConfigError(problems.messages)
    if platform == "gke":
        sections["service"], sections["gke"] = _one_gpu_type(sections["service"], sections["gke"], problems)

    database: DatabaseSettings = sections["database"]
    prod = environment == "prod"
    database = database.model_copy(
        update={
            "availability": database.availability or ("REGIONAL" if prod else "ZONAL"),
            "point_in_time_recovery": prod
            if database.point_in_time_recovery is None
            else database.point_in_time_recovery,
            "deletion_protection": prod if database.deletion_protection is None else database.deletion_protection,
        }
    )
    redis: RedisSettings = sections["redis"]
    if redis.deletion_protection is None:
        redis = redis.model_copy(update={"deletion_protection": prod})
    config = StackConfig(
        stack=stack,
        stack_file=stack_file,
        project=str(project),
        region=str(region),
        environment=environment,
        platform=platform,
        labels=labels,
        service=sections["service"],
        redis=redis,
        database=database,
        image=sections["image"],
        network=sections["network"],
        gke=sections["gke"] if platform == "gke" else None,
        entry=entry,
        operations=sections["operations"],
    )
    _check_rules(config, raw, problems)
    _check_image(config.image, project_dir or Path.cwd(), problems)
    if problems.messages:
        raise ConfigError(problems.messages)
    return config


def _load_entry(raw: Mapping[str, Any], problems: _Problems) -> EntrySettings | None:
    key = f"{NAMESPACE}:entry"
    value = _decode(raw.get(key))
    if value is None or value == {}:
        return None  # the project default ({}) or null: no entry point
    if not isinstance(value, dict):
        problems.add(key, value, "must be a mapping with at least domain, or null for no entry point")
        return None
    try:
        return EntrySettings.model_validate(value)
    except ValidationError as error:
        _pydantic_problems(problems, key, error, value)
        return None


def _one_gpu_type(
    service: ServiceSettings, gke: GkeSettings, problems: _Problems
) -> tuple[ServiceSettings, GkeSettings]:
    """On GKE the pod's GPU is the pool's: whichever of service.gpu.type and gpuPool.accelerator is written gives
    the other. Both written and different is a contradiction."""
    pool = gke.gpu_pool
    gpu = service.gpu if "gpu" in service.model_fields_set else GpuSettings()
    if gpu is None:
        return service, gke
    if "type" in gpu.model_fields_set and "accelerator" in pool.model_fields_set:
        if pool.accelerator != gpu.type:
            problems.add(
                f"{NAMESPACE}:service.gpu.type",
                gpu.type,
                f"contradicts gke.gpuPool.accelerator ({pool.accelerator}): on GKE write the GPU type once, "
                "in gpuPool.accelerator",
            )
    elif "type" in gpu.model_fields_set:
        if gpu.type in rules.ACCELERATOR_MACHINE_SERIES:
            pool = pool.model_copy(update={"accelerator": gpu.type})
        else:
            problems.add(
                f"{NAMESPACE}:service.gpu.type",
                gpu.type,
                f"allowed on GKE: {', '.join(rules.ACCELERATOR_MACHINE_SERIES)}",
            )
    else:
        gpu = gpu.model_copy(update={"type": pool.accelerator})
    return service.model_copy(update={"gpu": gpu}), gke.model_copy(update={"gpu_pool": pool})


def _check_image(image: ImageSettings, project_dir: Path, problems: _Problems) -> None:
    """A build from a folder or Dockerfile that is not there would fail in `pulumi up`, after other resources."""
    if image.prebuilt is not None:
        return
    key = f"{NAMESPACE}:image"
    if not (project_dir / image.context).is_dir():
        problems.add(f"{key}.context", image.context, f"no such folder in the project ({project_dir})")
    if not (project_dir / image.dockerfile).is_file():
        problems.add(f"{key}.dockerfile", image.dockerfile, f"no such file in the project ({project_dir})")


# --- cross-field rules (shared/reference/gcp-constraints.md) ------------------------------------------------


def _check_rules(config: StackConfig, raw: Mapping[str, Any], problems: _Problems) -> None:
    if config.platform == "cloudrun":
        _check_cloud_run(config, problems)
        if _decode(raw.get(f"{NAMESPACE}:gke", "{}")):
            problems.add_missing(f"{NAMESPACE}:gke", "only used with inference:platform: gke (this stack is cloudrun)")
    else:
        _check_gke(config, problems)
    _check_redis(config, problems)
    _check_database(config, problems)
    _check_network(config, problems)
    _check_entry(config, problems)
    _check_operations(config, problems)


def _check_entry(config: StackConfig, problems: _Problems) -> None:
    """The entry point is the only way in for a public prod service, and only a public service has one."""
    key = f"{NAMESPACE}:entry"
    if config.entry is not None and not config.service.public:
        problems.add_missing(
            key, "an entry point serves the public: set inference:service.public: true, or remove entry"
        )
    if config.entry is None and config.service.public and config.is_prod:
        problems.add_missing(
            key,
            "required for a public prod service (service.public: true): a domain for the load balancer with "
            "TLS and Cloud Armor, instead of the open run.app URL or a raw load balancer IP",
        )


def _check_operations(config: StackConfig, problems: _Problems) -> None:
    operations = config.operations
    if operations.budget is not None and len(operations.alert_emails) > rules.BUDGET_NOTIFICATION_CHANNELS_MAX:
        problems.add(
            f"{NAMESPACE}:operations.alertEmails",
            operations.alert_emails,
            f"a budget notifies at most {rules.BUDGET_NOTIFICATION_CHANNELS_MAX} channels: list at most "
            f"{rules.BUDGET_NOTIFICATION_CHANNELS_MAX} addresses (a group address reaches more people)",
        )


def _check_cloud_run(config: StackConfig, problems: _Problems) -> None:
    service = config.service
    key = f"{NAMESPACE}:service"
    _shape_problems(problems, key, service, check_cloud_run_resources)
    if service.gpu is not None:
        _args_problems(problems, f"{key}.gpu", service.gpu.args)
        if config.region not in rules.CLOUD_RUN_GPU_REGIONS:
            problems.add(
                "gcp:region",
                config.region,
                f"Cloud Run GPUs are offered in {', '.join(sorted(rules.CLOUD_RUN_GPU_REGIONS))}",
            )
        if service.max_instances > rules.CLOUD_RUN_GPU_MAX_INSTANCES_DEFAULT_QUOTA:
            problems.add(
                f"{key}.maxInstances",
                service.max_instances,
                "GPU services must fit the project's GPU quota "
                f"(by default {rules.CLOUD_RUN_GPU_MAX_INSTANCES_DEFAULT_QUOTA}; old revisions count too): "
                "raise the quota, then this limit",
            )
    _args_problems(problems, key, service.scaling_args)


def _check_gke(config: StackConfig, problems: _Problems) -> None:
    assert config.gke is not None
    gke = config.gke
    key = f"{NAMESPACE}:gke"
    zone = rules.ZONE.match(gke.location)
    location_region = zone["region"] if zone else gke.location
    if not (zone or rules.REGION.match(gke.location)):
        problems.add(f"{key}.location", gke.location, "a zone like us-central1-a or a region like us-central1")
    elif location_region != config.region:
        problems.add(f"{key}.location", gke.location, f"must be inside gcp:region ({config.region})")
    cluster_name = gke.name_in(config.name_prefix)
    if not rules.GKE_CLUSTER_NAME.accepts(cluster_name):
        problems.add(
            f"{key}.clusterName",
            cluster_name,
            f"{len(cluster_name)} characters; a cluster name is at most {rules.GKE_CLUSTER_NAME_MAX} lowercase "
            "letters, digits or hyphens, from a letter, ending in a letter or digit",
        )
    _check_gpu_zones(config, problems)
    _check_control_plane_access(config, problems)
    _shape_problems(problems, key, gke, check_cluster_access)

    _args_problems(problems, f"{key}.systemPool", gke.system_pool.args)
    pool = gke.gpu_pool
    _args_problems(problems, f"{key}.gpuPool", pool.args)
    machine = rules.MACHINE_TYPES.get(pool.machine_type)
    if gke.replicas.min > gke.replicas.max:
        problems.add(f"{key}.replicas.min", gke.replicas.min, f"must not exceed replicas.max ({gke.replicas.max})")

    service = config.service
    if service.gpu is None:
        problems.add_missing(
            f"{NAMESPACE}:service.gpu",
            "the GKE path serves from the GPU pool: leave gpu out (the pod gets one gke.gpuPool.accelerator)",
        )
    if machine is not None:
        pods_per_node = max(pool.gpus_per_node, 1)
        # The rollout (GkeSettings.rollout) surges only into a spare GPU, so it never needs more than this.
        if gke.replicas.max > gke.gpu_capacity:
            problems.add(
                f"{key}.replicas.max",
                gke.replicas.max,
                f"needs {gke.replicas.max} GPUs but gpuPool.maxNodes ({pool.max_nodes}) x {pods_per_node} GPU(s) "
                f"per node gives {gke.gpu_capacity}",
            )
        allocatable_cpu, allocatable_memory_gib = rules.gke_allocatable(machine)
        free_cpu = allocatable_cpu - rules.GKE_SYSTEM_DAEMONSET_CPU
        free_memory_gib = allocatable_memory_gib - rules.GKE_SYSTEM_DAEMONSET_MEMORY_GIB
        if service.cpu > free_cpu:
            problems.add(
                f"{NAMESPACE}:service.cpu",
                _number(service.cpu),
                f"a {pool.machine_type} node leaves {free_cpu:.2f} vCPU for the pod after GKE's reservations",
            )
        if memory_mib(service.memory) / 1024 > free_memory_gib:
            problems.add(
                f"{NAMESPACE}:service.memory",
                service.memory,
                f"a {pool.machine_type} node leaves {free_memory_gib:.1f}Gi for the pod after GKE's reservations",
            )


def _check_gpu_zones(config: StackConfig, problems: _Problems) -> None:
    """The GPU pool's nodes go only where the accelerator exists: the zone of a zonal cluster must offer it, and a
    regional cluster's GPU pool is pinned to the region's zones that do."""
    assert config.gke is not None
    gke = config.gke
    accelerator = gke.gpu_pool.accelerator
    if accelerator not in rules.ACCELERATOR_MACHINE_SERIES:
        return  # reported by the accelerator rule
    zone = rules.ZONE.match(gke.location)
    region = zone["region"] if zone else gke.location
    if region != config.region:
        return  # reported by the location rule
    zones = rules.gpu_zones(accelerator, region)
    if zone:
        if zones and gke.location not in zones:
            problems.add(
                f"{NAMESPACE}:gke.location",
                gke.location,
                f"{accelerator} is offered in {', '.join(zones)} only (a zonal cluster's GPU nodes live in its zone)",
            )
    elif not zones:
        known = ", ".join(sorted(rules.GPU_ZONES.get(accelerator, {}))) or "none"
        problems.add(
            f"{NAMESPACE}:gke.location",
            gke.location,
            f"a regional cluster pins its GPU pool to the zones that offer {accelerator}, and none of {region} "
            f"is known (facts/gcp.py GPU_ZONES has {known}): use a zone, or add the region's zones there",
        )


def _check_control_plane_access(config: StackConfig, problems: _Problems) -> None:
    """With IP-based access, `pulumi up` reaches the public endpoint from its own egress address, which must be
    authorized; private ranges alone would let nobody in (a runner in the VPC leaves through Cloud NAT)."""
    assert config.gke is not None
    gke = config.gke
    if gke.control_plane_access != "ip":
        return
    public = [network for network in gke.master_authorized_networks if ipaddress.ip_network(network.cidr).is_global]
    if not public:
        problems.add(
            f"{NAMESPACE}:gke.masterAuthorizedNetworks",
            [network.cidr for network in gke.master_authorized_networks],
            "controlPlaneAccess: ip reaches the control plane's public IP, so the public egress range of where "
            "`pulumi up` runs (a CI runner's or the Cloud NAT's address) must be listed; or use controlPlaneAccess: "
            "dns",
        )


def _check_redis(config: StackConfig, problems: _Problems) -> None:
    _shape_problems(problems, f"{NAMESPACE}:redis", config.redis, check_memorystore_shape)


def _check_database(config: StackConfig, problems: _Problems) -> None:
    key = f"{NAMESPACE}:database"
    _shape_problems(problems, key, config.database, check_sql_instance_shape)
    _args_problems(problems, key, config.database.backup_args)


def _check_network(config: StackConfig, problems: _Problems) -> None:
    network = config.network
    key = f"{NAMESPACE}:network"
    subnet = ipaddress.ip_network(network.subnet_cidr)
    if config.platform == "cloudrun" and subnet.prefixlen > rules.DIRECT_VPC_EGRESS_MAX_PREFIX:
        problems.add(
            f"{key}.subnetCidr",
            network.subnet_cidr,
            f"Direct VPC egress needs a /{rules.DIRECT_VPC_EGRESS_MAX_PREFIX} or larger",
        )
    ranges = {f"{key}.subnetCidr": subnet}
    if config.gke is not None:
        ranges[f"{key}.podsCidr"] = ipaddress.ip_network(network.pods_cidr)
        ranges[f"{key}.servicesCidr"] = ipaddress.ip_network(network.services_cidr)
        ranges[f"{NAMESPACE}:gke.masterCidr"] = ipaddress.ip_network(config.gke.master_cidr)
    # Google allocates Cloud SQL and Memorystore addresses from this range; overlapping a subnet or GKE range
    # fails their creation (or, with the range left to Google's allocator, races the subnet's creation).
    private_services = network.private_services_range
    if private_services.network_address != ipaddress.ip_address(network.private_services_address):
        problems.add(
            f"{key}.privateServicesAddress",
            network.private_services_address,
            f"must start a /{network.private_services_prefix_length} (privateServicesPrefixLength), "
            f"like {private_services.network_address}",
        )
    else:
        ranges[f"{key}.privateServicesAddress"] = private_services
    names = list(ranges)
    for index, first in enumerate(names):
        for second in names[index + 1 :]:
            if ranges[first].overlaps(ranges[second]):
                problems.add(second, str(ranges[second]), f"overlaps {first} ({ranges[first]})")


def _number(value: float) -> str:
    return f"{value:g}"


# --- the running program ---------------------------------------------------------------------------------------


def load_from_pulumi() -> StackConfig:
    """Read and validate this stack's config from the Pulumi runtime (the real engine or the recording mocks)."""
    import pulumi

    raw: dict[str, Any] = {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    stack = pulumi.get_stack()
    return load_stack_config(raw, stack_file=f"Pulumi.{stack}.yaml", stack=stack, project_dir=Path.cwd())
