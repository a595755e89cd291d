"""Google Cloud facts the stack configuration is checked against.

Each fact lives here once, with where it comes from; infra/config/ turns them into rules with messages.
Sources are the pages named in shared/reference/gcp-constraints.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from facts import types

# --- Cloud Run (cloud.google.com/run/docs/configuring/services/gpu, .../cpu, .../memory-limits) ---------------


@dataclass(frozen=True)
class CloudRunGpu:
    min_cpu: float
    min_memory_gib: float


CloudRunGpuType = Literal["nvidia-l4", "nvidia-rtx-pro-6000"]
CLOUD_RUN_GPUS: dict[str, CloudRunGpu] = {
    "nvidia-l4": CloudRunGpu(min_cpu=4, min_memory_gib=16),
    "nvidia-rtx-pro-6000": CloudRunGpu(min_cpu=20, min_memory_gib=80),
}
# GPU regions: cloud.google.com/run/docs/configuring/services/gpu (copies on cloud-dot-devsite-v2-prod.appspot.com
# and of run/docs/configuring/workerpools/gpu list these six, asia-south1 by invitation only), read 2026-12-02. The
# newest copy seen (with the RTX PRO 6000 preview) was cut before its region list: that GPU's regions are unread.
CLOUD_RUN_GPU_REGIONS = frozenset(
    {"us-central1", "us-east4", "europe-west1", "europe-west4", "asia-southeast1", "asia-south1"}
)
CLOUD_RUN_FRACTIONAL_CPU_RANGE = (0.08, 1.0)
CLOUD_RUN_WHOLE_CPUS = (1, 2, 4, 6, 8)
CLOUD_RUN_GPU_WHOLE_CPUS = (4, 6, 8, 20, 22, 24, 26, 28, 30, 32)
CLOUD_RUN_MEMORY_RANGE_MIB = (128, 32 * 1024)
# More than this much memory (GiB) needs at least this many vCPU.
CLOUD_RUN_MIN_CPU_FOR_MEMORY_GIB: tuple[tuple[float, float], ...] = ((24, 8), (16, 6), (8, 4), (4, 2))
# At this many vCPU, memory must be at least this much (GiB).
CLOUD_RUN_MIN_MEMORY_GIB_FOR_CPU: dict[float, float] = {4: 2, 6: 4, 8: 4}
CLOUD_RUN_CONCURRENCY_RANGE = (1, 1000)
CLOUD_RUN_SERVICE_NAME_MAX = 49
CLOUD_RUN_GPU_MAX_INSTANCES_DEFAULT_QUOTA = 3
# A startup probe must succeed within failureThreshold x periodSeconds or the instance is shut down. The services
# page and the Run v2 API reference have long capped it at 240 s (periodSeconds and initialDelaySeconds ≤ 240 each);
# newer pages allow 600 s (1800 s with a GPU). The smallest documented cap is the one every revision passes.
# (cloud.google.com/run/docs/configuring/healthchecks; cloud.google.com/run/docs/reference/rest/v2/Container#Probe)
CLOUD_RUN_STARTUP_PROBE_MAX_SECONDS = 240
DIRECT_VPC_EGRESS_MAX_PREFIX = 26

# --- Memorystore for Redis (cloud.google.com/memorystore/docs/redis) ----------------------------------------
RedisTier = Literal["BASIC", "STANDARD_HA"]
REDIS_SIZE_RANGE_GB = (1, 300)
REDIS_VERSIONS = ("REDIS_3_2", "REDIS_4_0", "REDIS_5_0", "REDIS_6_X", "REDIS_7_0", "REDIS_7_2")
REDIS_READ_REPLICAS_RANGE = (1, 5)
REDIS_READ_REPLICAS_MIN_SIZE_GB = 5
REDIS_READ_REPLICAS_MIN_VERSION = "REDIS_5_0"
REDIS_TLS_PORT = 6378
REDIS_INSTANCE_ID_MAX = 40

# --- Cloud SQL for PostgreSQL (cloud.google.com/sql/docs/postgres/instance-settings) -------------------------
POSTGRES_VERSIONS = ("POSTGRES_13", "POSTGRES_14", "POSTGRES_15", "POSTGRES_16", "POSTGRES_17")
SqlEdition = Literal["ENTERPRISE", "ENTERPRISE_PLUS"]
SqlAvailability = Literal["ZONAL", "REGIONAL"]
SQL_SHARED_CORE_TIERS = ("db-f1-micro", "db-g1-small")
SQL_CUSTOM_TIER = re.compile(r"^db-custom-(?P<cpus>\d+)-(?P<memory_mb>\d+)$")
SQL_PERFORMANCE_OPTIMIZED_TIER = re.compile(r"^db-perf-optimized-N-(?P<cpus>\d+)$")
SQL_CUSTOM_MAX_CPUS = 96
SQL_CUSTOM_MEMORY_PER_CPU_MB = (0.9 * 1024, 6.5 * 1024)
SQL_CUSTOM_MEMORY_STEP_MB = 256
SQL_CUSTOM_MIN_MEMORY_MB = 3840
SQL_DISK_RANGE_GB = (10, 65536)
SQL_PITR_LOG_RETENTION_DAYS = 7
POSTGRES_PORT = 5432
SQL_INSTANCE_NAME_MAX = 98

# --- Naming ----------------------------------------------------------------------------------------------------
PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
REGION = re.compile(r"^[a-z]+-[a-z]+\d+$")
ZONE = re.compile(r"^(?P<region>[a-z]+-[a-z]+\d+)-[a-z]$")
LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
MAX_LABELS = 64
SERVICE_ACCOUNT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
# Pulumi's own rule for stack names (pulumi/sdk tokens.ValidateStackName: letters, digits, `-`, `_`, `.`, at
# most 100), from a letter or digit so that every name derived from it (a Docker tag, too) can be made valid.
STACK_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,98}[A-Za-z0-9])?$")


@dataclass(frozen=True)
class NameRule:
    """The names one kind of resource accepts, as its API documents them."""

    max_length: int
    pattern: re.Pattern[str]
    source: str
    min_length: int = 1
    invalid_characters: re.Pattern[str] | None = re.compile(r"[^a-z0-9-]+")
    """What a derived name must not contain; a name shortened to fit has these replaced by `-`."""

    def accepts(self, name: str) -> bool:
        return self.min_length <= len(name) <= self.max_length and self.pattern.match(name) is not None


# RFC 1035 labels: a lowercase letter, then lowercase letters, digits or hyphens, not ending in a hyphen.
RFC1035 = re.compile(r"^[a-z](?:[a-z0-9-]*[a-z0-9])?$")
# Kubernetes DNS-1123 labels (kubernetes.io/docs/concepts/overview/working-with-objects/names).
DNS1123_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")

SERVICE_ACCOUNT_ID_NAME = NameRule(
    30,
    SERVICE_ACCOUNT_ID,
    "pulumi_gcp serviceaccount.Account.account_id: 6-30 characters, [a-z]([-a-z0-9]*[a-z0-9])",
    6,
)
SERVICE_ACCOUNT_DISPLAY_NAME = NameRule(
    100,
    re.compile(r"^.*$", re.DOTALL),
    "cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts: displayName at most 100 UTF-8 bytes",
    invalid_characters=None,
)
CLOUD_RUN_SERVICE_NAME = NameRule(
    CLOUD_RUN_SERVICE_NAME_MAX,
    RFC1035,
    "cloud.google.com/run/docs/reference/rest/v2/projects.locations.services: from a letter, under 50 characters",
)
REDIS_INSTANCE_NAME = NameRule(
    REDIS_INSTANCE_ID_MAX,
    RFC1035,
    "cloud.google.com/memorystore/docs/redis/reference/rest/v1/projects.locations.instances/create: instanceId "
    "1-40 lowercase letters, digits, hyphens, from a letter, ending in a letter or digit",
)
SQL_INSTANCE_NAME = NameRule(
    SQL_INSTANCE_NAME_MAX,
    RFC1035,
    "cloud.google.com/sql/docs/postgres/create-instance: lowercase letters, digits, hyphens, from a letter",
)
# PostgreSQL identifiers stop at NAMEDATALEN - 1 = 63 bytes (postgresql.org/docs/current/sql-syntax-lexical.html).
SQL_DATABASE_NAME = NameRule(63, re.compile(r"^[a-z_][a-z0-9_$-]*$"), "PostgreSQL identifiers: at most 63 bytes")
SQL_USER_NAME = NameRule(63, re.compile(r"^[a-z_][a-z0-9_$-]*$"), "PostgreSQL role names: at most 63 bytes")
ARTIFACT_REPOSITORY_ID = NameRule(
    63,
    RFC1035,
    "cloud.google.com/artifact-registry/docs/repositories/create-repos: lowercase letters, digits, hyphens, "
    "from a letter, ending in a letter or digit, at most 63 characters",
)
SECRET_ID = NameRule(
    255,
    re.compile(r"^[A-Za-z0-9_-]+$"),
    "cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets/create: secretId at most 255 "
    "characters of [A-Za-z0-9_-]",
)
GKE_CLUSTER_NAME_MAX = 40
GKE_CLUSTER_NAME = NameRule(
    GKE_CLUSTER_NAME_MAX,
    RFC1035,
    "cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters: at most 40 "
    "lowercase letters, digits, hyphens, from a letter, ending in a letter or digit",
)
GKE_NODE_POOL_NAME = NameRule(
    40, RFC1035, "cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters.nodePools"
)
# Networks, subnetworks, routers, Cloud NAT gateways and global addresses (their pulumi_gcp `name` docstrings).
COMPUTE_NAME = NameRule(
    63, RFC1035, "pulumi_gcp compute.Network/Subnetwork/Router/RouterNat/GlobalAddress.name: RFC 1035, 1-63"
)
GCP_LABEL_VALUE = NameRule(
    63,
    LABEL_VALUE,
    "cloud.google.com/resource-manager/docs/labels-overview: values at most 63 lowercase letters, digits, _ or -",
    min_length=0,
    invalid_characters=re.compile(r"[^a-z0-9_-]+"),
)
KUBERNETES_OBJECT_NAME = NameRule(
    63, DNS1123_LABEL, "kubernetes.io/docs/concepts/overview/working-with-objects/names: DNS-1123 label, at most 63"
)
KUBERNETES_LABEL_VALUE = NameRule(
    63,
    re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?)?$"),
    "kubernetes.io/docs/concepts/overview/working-with-objects/labels: at most 63, alphanumeric at both ends",
    min_length=0,
)
DOCKER_TAG = NameRule(
    128,
    re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"),
    "docs.docker.com/reference/cli/docker/image/tag: [A-Za-z0-9_][A-Za-z0-9_.-], at most 128",
    invalid_characters=re.compile(r"[^A-Za-z0-9_.-]+"),
)
# Pulumi auto-names a resource without an explicit name `<logical name>-<7 random hex characters>`
# (pulumi.com/docs/iac/concepts/resources/names/#autonaming), so its logical name must leave room for that.
AUTONAME_SUFFIX_LENGTH = 8


@dataclass(frozen=True)
class NameField:
    """Where a resource type carries a name Google or Kubernetes checks, and the rule it must meet."""

    path: str
    rule: NameRule
    autonamed: bool = False
    """Left out, Pulumi fills it from the logical name (plus AUTONAME_SUFFIX_LENGTH characters)."""


_COMPUTE_NAMED = (NameField("name", COMPUTE_NAME, autonamed=True),)
RESOURCE_NAME_FIELDS: dict[str, tuple[NameField, ...]] = {
    types.SERVICE_ACCOUNT: (
        NameField("accountId", SERVICE_ACCOUNT_ID_NAME),
        NameField("displayName", SERVICE_ACCOUNT_DISPLAY_NAME),
    ),
    types.CLOUD_RUN_SERVICE: (NameField("name", CLOUD_RUN_SERVICE_NAME, autonamed=True),),
    types.REDIS_INSTANCE: (NameField("name", REDIS_INSTANCE_NAME, autonamed=True),),
    types.SQL_INSTANCE: (NameField("name", SQL_INSTANCE_NAME, autonamed=True),),
    types.SQL_DATABASE: (NameField("name", SQL_DATABASE_NAME),),
    types.SQL_USER: (NameField("name", SQL_USER_NAME),),
    types.ARTIFACT_REGISTRY_REPOSITORY: (NameField("repositoryId", ARTIFACT_REPOSITORY_ID),),
    types.SECRET: (NameField("secretId", SECRET_ID),),
    types.GKE_CLUSTER: (NameField("name", GKE_CLUSTER_NAME),),
    types.GKE_NODE_POOL: (NameField("name", GKE_NODE_POOL_NAME, autonamed=True),),
    types.VPC_NETWORK: _COMPUTE_NAMED,
    types.SUBNETWORK: _COMPUTE_NAMED,
    types.ROUTER: _COMPUTE_NAMED,
    types.ROUTER_NAT: _COMPUTE_NAMED,
    types.GLOBAL_ADDRESS: _COMPUTE_NAMED,
    # The entry point's load balancer (each pulumi_gcp compute class's `name` docstring: RFC 1035, 1-63).
    "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup": _COMPUTE_NAMED,
    "gcp:compute/securityPolicy:SecurityPolicy": _COMPUTE_NAMED,
    "gcp:compute/backendService:BackendService": _COMPUTE_NAMED,
    "gcp:compute/uRLMap:URLMap": _COMPUTE_NAMED,
    "gcp:compute/managedSslCertificate:ManagedSslCertificate": _COMPUTE_NAMED,
    "gcp:compute/sSLPolicy:SSLPolicy": _COMPUTE_NAMED,
    "gcp:compute/targetHttpsProxy:TargetHttpsProxy": _COMPUTE_NAMED,
    "gcp:compute/targetHttpProxy:TargetHttpProxy": _COMPUTE_NAMED,
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": _COMPUTE_NAMED,
}
_KUBERNETES_NAMED = (NameField("metadata.name", KUBERNETES_OBJECT_NAME),)
# Kinds whose names are DNS-1123 subdomains, dots allowed: an APIService is named `<version>.<group>`.
KUBERNETES_SUBDOMAIN_NAME = NameRule(
    253,
    re.compile(r"^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$"),
    "kubernetes.io/docs/concepts/overview/working-with-objects/names: DNS-1123 subdomain, at most 253",
)
_KUBERNETES_SUBDOMAIN_NAMED = {
    types.K8S_API_SERVICE: (NameField("metadata.name", KUBERNETES_SUBDOMAIN_NAME),),
}


def name_fields(resource_type: str) -> tuple[NameField, ...]:
    """The checked names a resource of this type carries (every Kubernetes object has `metadata.name`)."""
    if resource_type.startswith(types.KUBERNETES_PREFIX):
        return _KUBERNETES_SUBDOMAIN_NAMED.get(resource_type, _KUBERNETES_NAMED)
    return RESOURCE_NAME_FIELDS.get(resource_type, ())


# --- GKE (cloud.google.com/compute/docs/gpus, cloud.google.com/kubernetes-engine/docs/how-to/gpus) -----------
GkeReleaseChannel = Literal["RAPID", "REGULAR", "STABLE", "EXTENDED"]
GKE_RELEASE_CHANNELS: tuple[GkeReleaseChannel, ...] = get_args(GkeReleaseChannel)
GkeGpuDriverVersion = Literal["GPU_DRIVER_VERSION_UNSPECIFIED", "INSTALLATION_DISABLED", "DEFAULT", "LATEST"]
GKE_GPU_DRIVER_VERSIONS: tuple[GkeGpuDriverVersion, ...] = get_args(GkeGpuDriverVersion)
GkeDiskType = Literal["pd-standard", "pd-balanced", "pd-ssd"]
GKE_DISK_TYPES: tuple[GkeDiskType, ...] = get_args(GkeDiskType)
# How `pulumi up` and kubectl reach a control plane: its DNS-based endpoint, or its public IP endpoint.
GkeControlPlaneAccess = Literal["dns", "ip"]
# The node image every pool runs: Container-Optimized OS with containerd (what the security baseline asks).
GKE_NODE_IMAGE = "COS_CONTAINERD"
GKE_MASTER_CIDR_PREFIX = 28

# Which machine series each accelerator attaches to.
ACCELERATOR_MACHINE_SERIES: dict[str, tuple[str, ...]] = {
    "nvidia-l4": ("g2",),
    "nvidia-tesla-a100": ("a2",),
    "nvidia-a100-80gb": ("a2",),
    "nvidia-h100-80gb": ("a3",),
    "nvidia-h100-mega-80gb": ("a3",),
    "nvidia-tesla-t4": ("n1",),
    "nvidia-tesla-v100": ("n1",),
    "nvidia-tesla-p100": ("n1",),
    "nvidia-tesla-p4": ("n1",),
}
# Series whose machine types carry their GPUs built in: the count is fixed by the type, and the machine's price
# includes them (cloud.google.com/compute/gpus-pricing: accelerator-optimized types are priced with their GPUs).
BUILT_IN_GPU_SERIES = ("g2", "a2", "a3")
# The GPU built into each such machine family (by machine type prefix).
BUILT_IN_ACCELERATORS: dict[str, str] = {
    "g2-standard": "nvidia-l4",
    "a2-highgpu": "nvidia-tesla-a100",
    "a2-megagpu": "nvidia-tesla-a100",
    "a2-ultragpu": "nvidia-a100-80gb",
    "a3-highgpu": "nvidia-h100-80gb",
    "a3-megagpu": "nvidia-h100-mega-80gb",
}

# Zones that offer an accelerator, per region. A GPU node pool whose node_locations name a zone without the
# accelerator fails to create, and a regional pool left to the cluster's zones would do exactly that, so the pool is
# pinned to these. Add a region here (from the sources below) before deploying a regional cluster there.
# Source: cloud.google.com/compute/docs/gpus/gpu-regions-zones, the reference; no copy of it was readable here.
# Source: skypilot-org/skypilot-catalog catalogs/v8/gcp/vms.csv @8427bbf (a Compute API dump), read 2026-12-02.
# Source: skypilot-org/skypilot-catalog catalogs/v7/gcp/vms.csv @6f65ab5 (a Compute API dump), read 2026-12-02.
# L4 is read from the g2-standard-* rows (every size lists the same zones), T4 from the attachable-GPU rows, A100
# 40GB from the a2-highgpu-* rows. Both dumps agree on every L4 entry below; where an earlier, partly remembered list
# had fewer zones (us-east1, us-east4, us-west1, asia-southeast1, asia-south1) the dumps win. A hand-kept table in
# a public GKE zone-check script (Feb 2026) claims us-east4-b for L4; neither dump has a G2 type there.
GPU_ZONES: dict[str, dict[str, tuple[str, ...]]] = {
    # Every Cloud Run GPU region, plus us-east1 and us-west1 from the earlier table.
    "nvidia-l4": {
        "us-central1": ("us-central1-a", "us-central1-b", "us-central1-c"),
        "us-east1": ("us-east1-b", "us-east1-c", "us-east1-d"),
        "us-east4": ("us-east4-a", "us-east4-c"),
        "us-west1": ("us-west1-a", "us-west1-b", "us-west1-c"),
        "europe-west1": ("europe-west1-b", "europe-west1-c"),
        "europe-west4": ("europe-west4-a", "europe-west4-b", "europe-west4-c"),
        "asia-southeast1": ("asia-southeast1-a", "asia-southeast1-b", "asia-southeast1-c"),
        "asia-south1": ("asia-south1-a", "asia-south1-b", "asia-south1-c"),
    },
    # The shipped stacks' region only: the N1 and A2 pools a GKE stack may switch to (v8 dump; v7 not read for these).
    "nvidia-tesla-t4": {"us-central1": ("us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f")},
    "nvidia-tesla-a100": {"us-central1": ("us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f")},
}


def gpu_zones(accelerator: str, region: str) -> tuple[str, ...]:
    """The zones of `region` known to offer `accelerator` (empty when none is known)."""
    return GPU_ZONES.get(accelerator, {}).get(region, ())


@dataclass(frozen=True)
class MachineType:
    vcpus: int
    memory_gib: float
    built_in_gpus: int = 0


MACHINE_TYPES: dict[str, MachineType] = {
    "e2-micro": MachineType(2, 1),
    "e2-small": MachineType(2, 2),
    "e2-medium": MachineType(2, 4),
    "e2-standard-2": MachineType(2, 8),
    "e2-standard-4": MachineType(4, 16),
    "n2-standard-2": MachineType(2, 8),
    "n2-standard-4": MachineType(4, 16),
    # N1: 3.75 GB per vCPU (cloud.google.com/compute/docs/general-purpose-machines#n1_machines); T4/V100/P100/P4.
    "n1-standard-1": MachineType(1, 3.75),
    "n1-standard-2": MachineType(2, 7.5),
    "n1-standard-4": MachineType(4, 15),
    "n1-standard-8": MachineType(8, 30),
    "n1-standard-16": MachineType(16, 60),
    "n1-standard-32": MachineType(32, 120),
    "n1-standard-64": MachineType(64, 240),
    "n1-standard-96": MachineType(96, 360),
    "g2-standard-4": MachineType(4, 16, 1),
    "g2-standard-8": MachineType(8, 32, 1),
    "g2-standard-12": MachineType(12, 48, 1),
    "g2-standard-16": MachineType(16, 64, 1),
    "g2-standard-24": MachineType(24, 96, 2),
    "g2-standard-32": MachineType(32, 128, 1),
    "g2-standard-48": MachineType(48, 192, 4),
    "g2-standard-96": MachineType(96, 384, 8),
    "a2-highgpu-1g": MachineType(12, 85, 1),
    "a2-highgpu-2g": MachineType(24, 170, 2),
    "a2-highgpu-4g": MachineType(48, 340, 4),
    "a2-highgpu-8g": MachineType(96, 680, 8),
    "a2-ultragpu-1g": MachineType(12, 170, 1),
    "a3-highgpu-8g": MachineType(208, 1872, 8),
}
# N1 machine types cannot take GPUs in these shapes.
N1_WITHOUT_GPU = ("f1-micro", "g1-small")


def machine_series(machine_type: str) -> str:
    return machine_type.split("-", 1)[0]


def gke_allocatable(machine: MachineType) -> tuple[float, float]:
    """CPU (vCPU) and memory (GiB) a node offers to pods after GKE's reservations and eviction threshold.

    cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes#memory_and_cpu_reservations
    """
    cpu_reserved = 0.0
    remaining_cpus = float(machine.vcpus)
    for band, share in ((1, 0.06), (1, 0.01), (2, 0.005), (float("inf"), 0.0025)):
        taken = min(band, remaining_cpus)
        cpu_reserved += taken * share
        remaining_cpus -= taken
    memory_reserved = 0.0
    remaining = machine.memory_gib
    for band, share in ((4, 0.25), (4, 0.20), (8, 0.10), (112, 0.06)):
        taken = min(band, remaining)
        memory_reserved += taken * share
        remaining -= taken
    memory_reserved += max(remaining, 0) * 0.02
    eviction_threshold_gib = 0.1
    return machine.vcpus - cpu_reserved, machine.memory_gib - memory_reserved - eviction_threshold_gib


# What GKE's own system pods on every node (logging, metrics, kube-proxy, the GPU device plugin) request.
GKE_SYSTEM_DAEMONSET_CPU = 0.25
GKE_SYSTEM_DAEMONSET_MEMORY_GIB = 0.5

# --- Cloud Monitoring and Cloud Billing -----------------------------------------------------------------------
# cloud.google.com/monitoring/api/ref_v3/rest/v3/services.serviceLevelObjectives (rollingPeriod),
# cloud.google.com/billing/docs/reference/budget/rest/v1/billingAccounts.budgets (filter, thresholdRules)
SLO_ROLLING_PERIOD_DAYS_RANGE = (1, 30)
SLO_GOAL_MAX = 0.999
# PostgreSQL's default max_connections on Cloud SQL by the instance's memory (GB, at least): the connections
# alert fires at a share of it. cloud.google.com/sql/docs/postgres/flags#postgres-m
SQL_POSTGRES_MAX_CONNECTIONS_BY_MEMORY_GB = (
    (0, 25),
    (1.7, 50),
    (3.75, 100),
    (6, 200),
    (7.5, 400),
    (15, 500),
    (30, 600),
    (60, 800),
    (120, 1000),
)
BILLING_ACCOUNT_ID = re.compile(r"^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$")
EMAIL_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A budget's alert thresholds are fractions of its amount (thresholdPercent 1.0 = 100 %); Google accepts up to 10.
BUDGET_THRESHOLD_RANGE = (0.0, 10.0)
# A budget filter takes a single label key with a single value.
BUDGET_FILTER_LABELS_MAX = 1
# A budget notifies at most five Cloud Monitoring channels.
BUDGET_NOTIFICATION_CHANNELS_MAX = 5


def sql_postgres_max_connections(tier: str) -> int:
    """Cloud SQL's default max_connections for a PostgreSQL tier (custom tiers by their memory)."""
    custom = SQL_CUSTOM_TIER.match(tier)
    memory_gb = int(custom["memory_mb"]) / 1024 if custom else {"db-f1-micro": 0.6, "db-g1-small": 1.7}.get(tier, 0)
    return next(
        connections
        for floor_gb, connections in reversed(SQL_POSTGRES_MAX_CONNECTIONS_BY_MEMORY_GB)
        if memory_gb >= floor_gb
    )


# Uptime checks run from every checker region unless some are selected (cloud.google.com/monitoring/uptime-checks:
# USA Oregon, Iowa and Virginia, Europe, South America, Asia Pacific).
UPTIME_CHECK_REGIONS_DEFAULT = 6
