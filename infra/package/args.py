"""The args of InferenceService: the stack config's sections as TypedDicts, for the schema analyzer.

Generated from infra/config/ (fields, defaults, docstrings) by `python -m infra.package.generate`; do not
edit. The analyzer reads these annotations at run time, so this module keeps them evaluated (no
`from __future__ import annotations`).
"""

from typing import Required, TypedDict


class GpuSettings(TypedDict, total=False):
    """A GPU attached to each instance (Cloud Run) or pod (GKE)."""

    type: str
    """Accelerator type; Cloud Run takes nvidia-l4 or nvidia-rtx-pro-6000. GKE: gke.gpuPool.accelerator if unset. Default: nvidia-l4."""

    zonal_redundancy: bool
    """Cloud Run only: reserve GPU capacity across zones (Google's default; off is cheaper, best effort). Default: true."""


class ServiceSettings(TypedDict, total=False):
    """The inference service: one container per Cloud Run instance or GKE pod."""

    cpu: float
    """vCPU per instance or pod. Default: 1."""

    memory: str
    """Memory per instance or pod, as Mi or Gi. Default: 2Gi."""

    gpu: GpuSettings | None
    """The GPU, or null for CPU only. GKE: always one GPU of gke.gpuPool.accelerator (leave it out)."""

    min_instances: int
    """Instances kept warm (Cloud Run); billed in full while idle. Default: 0."""

    max_instances: int
    """Upper bound of instances (Cloud Run). Default: 3."""

    concurrency: int
    """Concurrent requests per instance (Cloud Run). Default: 16."""

    public: bool
    """Allow unauthenticated invocation from the internet; otherwise internal ingress and IAM-only invocation. Default: false."""

    model_backend: str
    """The app's MODEL_BACKEND: auto (onnx on a CPU, torch on a GPU), onnx, openvino (CPU: bfloat16 where the CPU has it natively, else fp32) or torch. Default: auto. One of: auto, onnx, openvino, torch."""

    model_precision: str
    """The app's MODEL_PRECISION: auto (the backend's default), fp32, fp16 (GPU), int8 (onnx, opt-in: min cosine 0.98 to fp32) or bf16 (openvino, on known CPUs only: GKE's are GPU nodes, Cloud Run promises no CPU model). Default: auto. One of: auto, fp32, fp16, int8, bf16."""


class RedisSettings(TypedDict, total=False):
    """Memorystore for Redis, always with AUTH and in-transit encryption."""

    tier: str
    """Default: BASIC. One of: BASIC, STANDARD_HA."""

    memory_size_gb: int
    """Default: 1."""

    version: str
    """Default: REDIS_7_2."""

    read_replicas: int
    """Default: 0."""

    deletion_protection: bool | None
    """Refuse to delete (and so to replace) the instance. Default: on in prod, off in dev."""


class DatabaseSettings(TypedDict, total=False):
    """Cloud SQL for PostgreSQL with a private IP only; unset protections follow the environment."""

    version: str
    """Default: POSTGRES_16."""

    edition: str
    """Default: ENTERPRISE. One of: ENTERPRISE, ENTERPRISE_PLUS."""

    tier: str
    """Default: db-custom-1-3840."""

    availability: str | None
    """ZONAL or REGIONAL (high availability); default: REGIONAL in prod, ZONAL in dev. One of: ZONAL, REGIONAL."""

    disk_size_gb: int
    """Default: 10."""

    backups: bool
    """Default: true."""

    point_in_time_recovery: bool | None
    """Default: on in prod, off in dev."""

    deletion_protection: bool | None
    """Both Pulumi's and GCP's deletion protection. Default: on in prod, off in dev."""

    maintenance_day: int
    """Day of the weekly maintenance window, 1 = Monday. Default: 7."""

    maintenance_hour: int
    """Hour (UTC) of the weekly maintenance window. Default: 3."""


class ImageSettings(TypedDict, total=False):
    """The app's container image: built from `context` with pulumi-docker, or an existing one."""

    context: str
    """Default: app."""

    dockerfile: str
    """Default: app/Dockerfile."""

    prebuilt: str | None
    """An image reference to deploy as is (by digest, ideally); nothing is built."""


class NetworkSettings(TypedDict, total=False):
    """The VPC the service, Redis and the database share."""

    subnet_cidr: str
    """Default: 10.10.0.0/20."""

    pods_cidr: str
    """GKE only: the subnet's secondary range for pods. Default: 10.20.0.0/16."""

    services_cidr: str
    """GKE only: the subnet's secondary range for services. Default: 10.30.0.0/20."""

    private_services_address: str
    """First address of the range reserved for private services access (Cloud SQL, Memorystore). Default: 10.40.0.0."""

    private_services_prefix_length: int
    """Size of that range. Default: 20."""

    cloud_nat: bool
    """Give private workloads internet egress through Cloud NAT (always on for GKE's private nodes). Default: false."""


class NodePoolSettings(TypedDict, total=False):
    """GKE only: the system pool, for GKE's own pods."""

    machine_type: str
    """Default: e2-standard-2."""

    node_count: int
    """Nodes per zone of the cluster's location (a regional cluster has three zones). Default: 1."""


class GpuNodePoolSettings(TypedDict, total=False):
    """GKE only: the autoscaled GPU pool the inference pods run on, one GPU per pod."""

    machine_type: str
    """A machine type of the accelerator's series (nvidia-l4 → g2-standard-*). Default: g2-standard-4."""

    accelerator: str
    """The pool's GPU; default: service.gpu.type where that is written, else nvidia-l4. Default: nvidia-l4."""

    accelerator_count: int
    """GPUs per node; fixed by the machine type on G2, A2 and A3. Default: 1."""

    min_nodes: int
    """Fewest nodes across all zones; 0 lets the pool scale to zero. Default: 0."""

    max_nodes: int
    """Most nodes across all zones; the project's GPU quota must cover max nodes x GPUs per node. Default: 3."""

    spot: bool
    """Spot VMs: far cheaper, reclaimable at any time. Default: false."""

    driver_version: str
    """The GPU driver GKE installs: DEFAULT, LATEST, INSTALLATION_DISABLED (changing it recreates the pool). Default: LATEST."""

    disk_size_gb: int
    """Default: 100."""

    disk_type: str
    """Default: pd-balanced."""


class ReplicaSettings(TypedDict, total=False):
    """GKE only: the HorizontalPodAutoscaler's bounds and target."""

    min: int
    """Default: 1."""

    max: int
    """The GPU pool must have a GPU for each of these pods. Default: 3."""

    target_queue_depth: int
    """Inputs waiting for the model per pod (embedding_queue_depth_inputs, read through Managed Prometheus and the Custom Metrics Stackdriver Adapter) the autoscaler aims for; 64 is one full model batch (MAX_BATCH_SIZE). Default: 64."""


class AuthorizedNetwork(TypedDict, total=False):
    """A range allowed to reach the GKE control plane (where `pulumi up` and kubectl run)."""

    cidr: Required[str]

    name: Required[str]


class GkeSettings(TypedDict, total=False):
    """A private GKE Standard cluster with a system pool and a GPU pool."""

    location: str
    """A zone (zonal cluster, covered by the monthly free credit) or the region (regional cluster). Default: us-central1-a."""

    cluster_name: str | None
    """Default: inference-<stack>, shortened to 40 characters with a hash where it is longer."""

    release_channel: str
    """Default: REGULAR."""

    system_pool: NodePoolSettings

    gpu_pool: GpuNodePoolSettings

    replicas: ReplicaSettings

    master_authorized_networks: list[AuthorizedNetwork]
    """Default: [{"cidr": "10.0.0.0/8", "name": "internal"}]."""

    master_cidr: str
    """The control plane's private range (a /28). Default: 172.16.0.0/28."""

    control_plane_access: str
    """How `pulumi up` and kubectl reach the control plane: `dns` (the DNS-based endpoint, IAM-authenticated, from anywhere with credentials; the IP endpoint stays private) or `ip` (the public IP endpoint, only from masterAuthorizedNetworks). Default: dns. One of: dns, ip."""


class SloSettings(TypedDict, total=False):
    """The service level objectives the burn-rate alerts defend, over a rolling window."""

    availability: float
    """Share of requests that must not fail with a 5xx, in (0, 0.999]. Default: 0.995."""

    latency_ms: int
    """The latency threshold of the latency SLO, in milliseconds. Default: 500."""

    latency_objective: float
    """Share of requests that must be faster than latencyMs, in (0, 0.999]. Default: 0.95."""

    window_days: int
    """The rolling window both SLOs are measured over (Cloud Monitoring takes 1-30 days). Default: 28."""


class BudgetSettings(TypedDict, total=False):
    """A Cloud Billing budget on the project, filtered to this stack's resources by their `stack` label."""

    billing_account: Required[str]
    """The billing account the project bills to, like 012345-6789AB-CDEF01."""

    monthly_usd: Required[float]
    """The budget amount; `cost --fail-over-budget` also checks the stack's estimate against it."""

    thresholds: list[float]
    """Fractions of the amount at which the budget notifies, ascending. Default: [0.5, 0.9, 1.0]."""


class OperationsSettings(TypedDict, total=False):
    """How the stack is operated: SLOs with burn-rate alerts, saturation alerts, a dashboard and a budget."""

    enabled: bool
    """Create the monitoring resources (every stack by default; dev may turn it off). Default: true."""

    alert_emails: list[str]
    """An email notification channel each; empty, the alerts exist and `check` warns that nobody is told. Default: []."""

    slo: SloSettings

    budget: BudgetSettings | None
    """Optional: a budget for the project, on the stack's labels."""


class ArmorSettings(TypedDict, total=False):
    """The Cloud Armor security policy in front of the entry point."""

    requests_per_minute_per_ip: int
    """Requests a minute one client IP may send; beyond it the load balancer answers 429. Default: 600."""

    preconfigured_rules: list[str]
    """Preconfigured WAF rules (e.g. sqli-v33-stable), each denying what it matches with 403. Default: []."""

    allow_cidrs: list[str]
    """Only these client ranges may reach the entry point; empty: everyone. Default: []."""


class EntrySettings(TypedDict, total=False):
    """A public entry point: a global external Application Load Balancer for `domain`, with a Google-managed certificate, Cloud Armor and security response headers. Needs service.public: true."""

    domain: Required[str]
    """The host name clients use (e.g. api.example.com); the managed certificate is issued for it."""

    dns_zone: str | None
    """A Cloud DNS managed zone (its name) to create the A record in; null: create the record yourself."""

    armor: ArmorSettings


class InferenceServiceArgs(TypedDict, total=False):
    """The stack config's sections, keyed as in a stack file (`inference:service` is `service`)."""

    project: str
    """The Google Cloud project id. Default: the stack's gcp:project."""

    region: str
    """The region to deploy to, e.g. us-central1. Default: the stack's gcp:region."""

    environment: str
    """dev | prod. Drives secure defaults: prod turns on database deletion protection, point-in-time recovery and high availability unless the stack says otherwise. Default: dev."""

    platform: str
    """cloudrun | gke. Where the service runs. Default: cloudrun."""

    labels: dict[str, str]
    """Labels set on every resource that takes labels (environment, stack and managed-by are always added)."""

    service: ServiceSettings
    """The service: cpu, memory (Mi/Gi), gpu ({type, zonalRedundancy} or null; on GKE left out: one GPU of gke.gpuPool.accelerator), minInstances, maxInstances, concurrency, public, modelBackend (auto | onnx | openvino | torch), modelPrecision (auto | fp32 | fp16 | int8 | bf16)."""

    redis: RedisSettings
    """Memorystore for Redis: tier (BASIC | STANDARD_HA), memorySizeGb, version, readReplicas, deletionProtection (default: on in prod). AUTH and TLS are always on."""

    database: DatabaseSettings
    """Cloud SQL for PostgreSQL: version, edition, tier, availability (ZONAL | REGIONAL), diskSizeGb, backups, pointInTimeRecovery, deletionProtection, maintenanceDay, maintenanceHour."""

    image: ImageSettings
    """The app image: context, dockerfile, prebuilt (an image reference to deploy instead of building)."""

    network: NetworkSettings
    """The VPC: subnetCidr, podsCidr, servicesCidr, privateServicesAddress and privateServicesPrefixLength (the range for Cloud SQL and Memorystore; must not overlap the others), cloudNat."""

    gke: GkeSettings
    """GKE only: location, clusterName, releaseChannel, systemPool, gpuPool, replicas, controlPlaneAccess (dns: the DNS-based endpoint, IAM-authenticated, the default | ip: the public IP endpoint, from masterAuthorizedNetworks only), masterAuthorizedNetworks, masterCidr."""

    operations: OperationsSettings
    """Operating the stack: enabled, alertEmails (email notification channels), slo ({availability, latencyMs, latencyObjective, windowDays}), budget ({billingAccount, monthlyUsd, thresholds}, optional)."""

    entry: EntrySettings | None
    """A public entry point (needs service.public: true; required for it in prod): domain (a DNS name; a Google-managed certificate is issued for it), dnsZone (a Cloud DNS managed zone to create the A record in, or null), armor ({requestsPerMinutePerIp > 0, over it 429; preconfiguredRules: WAF rule names like sqli-v33-stable; allowCidrs: empty lets everyone in}). {} or null: none."""
