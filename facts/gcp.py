"""Google Cloud facts the stack configuration is checked against.

Each fact lives here once, with where it comes from; infra/config.py turns them into rules with messages.
Sources are the pages named in shared/reference/gcp-constraints.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# --- Cloud Run (cloud.google.com/run/docs/configuring/services/gpu, .../cpu, .../memory-limits) ---------------


@dataclass(frozen=True)
class CloudRunGpu:
    min_cpu: float
    min_memory_gib: float


CLOUD_RUN_GPUS: dict[str, CloudRunGpu] = {
    "nvidia-l4": CloudRunGpu(min_cpu=4, min_memory_gib=16),
    "nvidia-rtx-pro-6000": CloudRunGpu(min_cpu=20, min_memory_gib=80),
}
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
REDIS_TIERS = ("BASIC", "STANDARD_HA")
REDIS_SIZE_RANGE_GB = (1, 300)
REDIS_VERSIONS = ("REDIS_3_2", "REDIS_4_0", "REDIS_5_0", "REDIS_6_X", "REDIS_7_0", "REDIS_7_2")
REDIS_READ_REPLICAS_RANGE = (1, 5)
REDIS_READ_REPLICAS_MIN_SIZE_GB = 5
REDIS_READ_REPLICAS_MIN_VERSION = "REDIS_5_0"
REDIS_TLS_PORT = 6378
REDIS_INSTANCE_ID_MAX = 40

# --- Cloud SQL for PostgreSQL (cloud.google.com/sql/docs/postgres/instance-settings) -------------------------
POSTGRES_VERSIONS = ("POSTGRES_13", "POSTGRES_14", "POSTGRES_15", "POSTGRES_16", "POSTGRES_17")
SQL_EDITIONS = ("ENTERPRISE", "ENTERPRISE_PLUS")
SQL_AVAILABILITY = ("ZONAL", "REGIONAL")
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

# --- Kubernetes resource quantities (kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity) ---
# Cloud Run and GKE both take CPU as a number or millicores (`500m`) and memory with a decimal or binary suffix.
RESOURCE_QUANTITY = re.compile(r"^(?P<number>\d+(?:\.\d+)?)(?P<suffix>m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
BYTES_PER_QUANTITY_SUFFIX: dict[str | None, int] = {
    None: 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}
MILLI_SUFFIX = "m"

# --- Naming ----------------------------------------------------------------------------------------------------
PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
REGION = re.compile(r"^[a-z]+-[a-z]+\d+$")
ZONE = re.compile(r"^(?P<region>[a-z]+-[a-z]+\d+)-[a-z]$")
LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
MAX_LABELS = 64
SERVICE_ACCOUNT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
# The stack name becomes part of service account ids (6-30 characters), so it is kept short.
STACK_NAME = re.compile(r"^[a-z][a-z0-9-]{0,14}[a-z0-9]$|^[a-z]$")

# --- GKE (cloud.google.com/compute/docs/gpus, cloud.google.com/kubernetes-engine/docs/how-to/gpus) -----------
GKE_RELEASE_CHANNELS = ("RAPID", "REGULAR", "STABLE", "EXTENDED")
GKE_GPU_DRIVER_VERSIONS = ("GPU_DRIVER_VERSION_UNSPECIFIED", "INSTALLATION_DISABLED", "DEFAULT", "LATEST")
GKE_DISK_TYPES = ("pd-standard", "pd-balanced", "pd-ssd")
GKE_CLUSTER_NAME = re.compile(r"^[a-z](?:[a-z0-9-]*[a-z0-9])?$")
GKE_CLUSTER_NAME_MAX = 40
GKE_MASTER_CIDR_PREFIX = 28
# The GPU taint and node label the pods must match are applied in components/gke.py, which sets them.

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

# Zones that offer an accelerator, per region (cloud.google.com/compute/docs/gpus/gpu-regions-zones, read
# 2026-12; where a 2023 snapshot of that page listed fewer zones, only the zones both list are kept). A GPU node
# pool whose node_locations name a zone without the accelerator fails to create, and a regional pool left to the
# cluster's zones would do exactly that, so the pool is pinned to these. Add a region here before deploying there.
GPU_ZONES: dict[str, dict[str, tuple[str, ...]]] = {
    "nvidia-l4": {
        "us-central1": ("us-central1-a", "us-central1-b", "us-central1-c"),
        "us-east1": ("us-east1-b", "us-east1-d"),
        "us-east4": ("us-east4-a",),
        "us-west1": ("us-west1-a", "us-west1-b"),
        "europe-west4": ("europe-west4-a", "europe-west4-b", "europe-west4-c"),
        "asia-southeast1": ("asia-southeast1-b",),
        "asia-south1": ("asia-south1-a",),
    },
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
    "n1-standard-4": MachineType(4, 15),
    "n1-standard-8": MachineType(8, 30),
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
