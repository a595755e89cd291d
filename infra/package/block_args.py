"""The args of the building blocks: the components' Args dataclasses as TypedDicts, for the analyzer.

Generated from components/ (fields, defaults, docstrings) by `python -m infra.package.generate`; do not
edit.
"""

from typing import Required, TypedDict

import pulumi
import pulumi_gcp


class ProjectApisArgs(TypedDict, total=False):
    """The APIs to enable."""

    services: Required[list[str]]
    """API service names, e.g. `run.googleapis.com`."""


class NetworkArgs(TypedDict, total=False):
    """A custom-mode VPC with one subnet, private services access and optional Cloud NAT."""

    region: Required[str]
    """Region of the subnet and the Cloud NAT router."""

    subnet_cidr: Required[str]
    """Primary range of the subnet (Cloud Run's Direct VPC egress needs a /26 or larger)."""

    labels: Required[dict[str, str]]
    """Labels for every child that takes labels."""

    secondary_ranges: dict[str, str]
    """Named secondary ranges (GKE pods and services); none by default."""

    private_services_address: Required[str]
    """First address of the range reserved for Google's managed services (Cloud SQL, Memorystore). Fixed, not left to Google's allocator, so that the config can prove it overlaps neither the subnet nor the GKE ranges."""

    private_services_prefix_length: Required[int]
    """Size of the range reserved for Google's managed services."""

    cloud_nat: bool
    """Give instances without external IPs internet egress through Cloud NAT. Default: false."""


class SecretsArgs(TypedDict, total=False):
    """Secret Manager secrets, generated or provided, one version each."""

    generated: Required[dict[str, int]]
    """Secrets to generate: short name (e.g. `db-password`) → length in characters."""

    labels: Required[dict[str, str]]
    """Labels for every secret."""

    deletion_protection: bool
    """Refuse to delete the secrets (prod): a destroy or a replacement would lose the values. Default: false."""

    provided: dict[str, pulumi.Input[str]] | None
    """Secrets whose value another resource produced (e.g. Memorystore's AUTH string): short name → value."""


class RedisCacheArgs(TypedDict, total=False):
    """A private Memorystore for Redis instance with AUTH and TLS."""

    region: Required[str]
    """Region of the instance."""

    network_id: Required[pulumi.Input[str]]
    """The VPC the instance is reachable from (through private services access)."""

    private_services_connection: Required[pulumi_gcp.servicenetworking.Connection]
    """The servicenetworking connection; the instance is created only after it exists."""

    tier: Required[str]
    """BASIC or STANDARD_HA (cannot change after creation). One of: BASIC, STANDARD_HA."""

    memory_size_gb: Required[int]
    """Memory of the instance."""

    version: Required[str]
    """Redis version, e.g. REDIS_7_2."""

    read_replicas: Required[int]
    """Read replicas (STANDARD_HA only); 0 for none."""

    deletion_protection: Required[bool]
    """Refuse to delete the instance (prod). Unset, pulumi-gcp 10.x refuses too, which would also block every replacement, so it is always passed explicitly; the AUTH secret follows it."""

    labels: Required[dict[str, str]]
    """Labels for the instance and its AUTH secret."""


class MaintenanceWindow(TypedDict, total=False):
    """The weekly hour Cloud SQL may restart the instance to update it."""

    day: Required[int]
    """Day of the week, 1 = Monday ... 7 = Sunday."""

    hour: Required[int]
    """Hour of the day, UTC (0-23)."""


class BackupArgs(TypedDict, total=False):
    """Automated backups, and point-in-time recovery on top of them."""

    enabled: Required[bool]
    """Take a daily automated backup."""

    point_in_time_recovery: Required[bool]
    """Keep transaction logs so the instance can be restored to any second of the retention window."""


class PostgresDatabaseArgs(TypedDict, total=False):
    """A private PostgreSQL instance, one database and its user."""

    region: Required[str]
    """Region of the instance."""

    network_id: Required[pulumi.Input[str]]
    """The VPC whose private services access range gives the instance its private IP."""

    private_services_connection: Required[pulumi_gcp.servicenetworking.Connection]
    """The servicenetworking connection; the instance is created only after it exists."""

    version: Required[str]
    """Database version, e.g. POSTGRES_16."""

    edition: Required[str]
    """ENTERPRISE or ENTERPRISE_PLUS. One of: ENTERPRISE, ENTERPRISE_PLUS."""

    tier: Required[str]
    """Machine tier, e.g. db-custom-1-3840."""

    availability: Required[str]
    """ZONAL or REGIONAL (a standby in a second zone). One of: ZONAL, REGIONAL."""

    disk_size_gb: Required[int]
    """Size of the data disk."""

    backup: Required[BackupArgs]
    """Automated backups and point-in-time recovery."""

    deletion_protection: Required[bool]
    """Sets both Pulumi's and Google's deletion protection."""

    maintenance: Required[MaintenanceWindow]
    """When Cloud SQL may restart the instance for updates."""

    password: Required[pulumi.Input[str]]
    """The application user's password (from Secrets)."""

    labels: Required[dict[str, str]]
    """Labels for the instance."""

    database_name: str
    """The application's database. Default: inference."""

    user_name: str
    """The application's user. Default: inference."""


class ContainerImageArgs(TypedDict, total=False):
    """Where the app's image comes from: an Artifact Registry repository and a build, or a prebuilt reference."""

    region: Required[str]
    """Region of the repository (`<region>-docker.pkg.dev`)."""

    project: Required[str]
    """The project of the repository."""

    context: Required[str]
    """Build context folder, relative to the project root."""

    dockerfile: Required[str]
    """The Dockerfile, relative to the project root."""

    variant: Required[str]
    """Build argument VARIANT: `cuda` for a GPU service, `cpu` otherwise. One of: cpu, cuda."""

    tag: Required[str]
    """Tag pushed with the image (the deployed reference is always the digest)."""

    labels: Required[dict[str, str]]
    """Labels for the repository."""

    prebuilt: str | None
    """Deploy this image reference as is: no repository, nothing built."""

    keep_recent_versions: int
    """The most recent image versions the cleanup policy always keeps. Default: 10."""

    deletion_protection: bool
    """Refuse to delete the repository and the images in it (prod). Default: false."""


class GpuPoolArgs(TypedDict, total=False):
    """Autoscaled GPU nodes, tainted so that only pods that tolerate the taint and ask for a GPU land there."""

    machine_type: Required[str]
    """A machine type the accelerator attaches to (g2-standard-4 for one L4)."""

    accelerator: Required[str]
    """Accelerator type, e.g. nvidia-l4."""

    accelerator_count: Required[int]
    """GPUs per node (fixed by the machine type on G2/A2/A3)."""

    driver_version: Required[str]
    """The driver GKE installs (gpu_driver_installation_config): DEFAULT, LATEST, INSTALLATION_DISABLED. One of: GPU_DRIVER_VERSION_UNSPECIFIED, INSTALLATION_DISABLED, DEFAULT, LATEST."""

    min_nodes: Required[int]
    """Fewest nodes in the pool across all its zones (0 lets it scale to zero)."""

    max_nodes: Required[int]
    """Most nodes in the pool across all its zones."""

    spot: Required[bool]
    """Spot VMs: much cheaper, reclaimable at any time."""

    disk_size_gb: Required[int]
    """Boot disk per node."""

    disk_type: Required[str]
    """Boot disk type per node. One of: pd-standard, pd-balanced, pd-ssd."""


class SystemPoolArgs(TypedDict, total=False):
    """Nodes for GKE's own workloads (DNS, metrics, the GPU device plugin's controller)."""

    machine_type: Required[str]
    """Machine type of the system nodes."""

    node_count: Required[int]
    """Nodes per zone of the cluster's location."""


class AuthorizedNetworkArgs(TypedDict, total=False):
    """A range allowed to reach the control plane."""

    cidr: Required[str]
    """A range allowed to reach the control plane's endpoint."""

    name: Required[str]
    """What the range is (shown in the console)."""


class GkeClusterArgs(TypedDict, total=False):
    """A private GKE Standard cluster with a system pool and a GPU pool."""

    project: Required[str]
    """The project (its Workload Identity pool is `<project>.svc.id.goog`)."""

    location: Required[str]
    """A zone (zonal cluster) or a region (regional cluster)."""

    cluster_name: Required[str]
    """The cluster's name in GCP."""

    network_id: Required[pulumi.Input[str]]
    """The VPC."""

    subnet_id: Required[pulumi.Input[str]]
    """The subnet with the pods and services secondary ranges."""

    pods_range_name: Required[str]
    """Name of the subnet's secondary range for pods."""

    services_range_name: Required[str]
    """Name of the subnet's secondary range for services."""

    master_cidr: Required[str]
    """The control plane's private /28."""

    authorized_networks: Required[list[AuthorizedNetworkArgs]]
    """Ranges allowed to reach the control plane's IP endpoints."""

    control_plane_access: Required[str]
    """How `pulumi up` and kubectl reach the control plane, and so what the kubeconfig names: `dns` (the DNS-based endpoint, IAM-authenticated, reachable wherever the caller has credentials; the IP endpoint stays private) or `ip` (the public IP endpoint, from `authorized_networks` only). One of: dns, ip."""

    release_channel: Required[str]
    """RAPID, REGULAR, STABLE or EXTENDED: GKE upgrades the control plane and nodes along it. One of: RAPID, REGULAR, STABLE, EXTENDED."""

    system_pool: Required[SystemPoolArgs]
    """The pool for GKE's own pods."""

    gpu_pool: Required[GpuPoolArgs]
    """The pool the inference pods run on."""

    gpu_zones: Required[list[str]]
    """The zones of the location that offer the accelerator: the GPU pool's node locations."""

    deletion_protection: Required[bool]
    """Refuse to delete the cluster (prod); off for stacks that must destroy cleanly."""

    labels: Required[dict[str, str]]
    """Labels for the cluster, its nodes and the node service account's resources."""

    gateway_api: bool
    """Install the standard Gateway API and GKE's Gateway controller (gateway_api_config), for an entry point built from a Gateway (components/gateway.py); off: no Gateway API CRDs on the cluster. Default: false."""


class ArmorArgs(TypedDict, total=False):
    """The Cloud Armor policy in front of an entry point: a per-IP throttle, WAF rules and an optional allow-list."""

    requests_per_minute_per_ip: Required[int]
    """Requests a minute per client IP; beyond it: 429."""

    preconfigured_rules: list[str]
    """Preconfigured WAF rule names (sqli-v33-stable, ...), each denying a match with 403. Default: []."""

    allow_cidrs: list[str]
    """Only these client ranges get in (everyone else 403); empty: everyone. Default: []."""


class EntryPointArgs(TypedDict, total=False):
    """A global external Application Load Balancer for `domain` in front of a Cloud Run service, with a Google-managed certificate, Cloud Armor and security response headers."""

    region: Required[str]
    """Where the Cloud Run service runs (its serverless NEG is regional)."""

    cloud_run_service: Required[pulumi.Input[str]]
    """The Cloud Run service's name; its ingress should be INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER."""

    domain: Required[str]
    """The host name; the Google-managed certificate is issued for it once its A record points at the address."""

    armor: Required[ArmorArgs]
    """The Cloud Armor policy on the load balancer's backend."""

    dns_zone: str | None
    """A Cloud DNS managed zone to create the A record in; None: the caller creates it (see `dns_record`)."""

    response_headers: list[str]
    """`Header: value` lines the load balancer adds to every response. Default: ["Strict-Transport-Security: max-age=31536000; includeSubDomains", "X-Content-Type-Options: nosniff", "Referrer-Policy: no-referrer"]."""

    labels: Required[dict[str, str]]
    """Labels for the address, the Cloud Armor policy and the forwarding rules."""


class BudgetArgs(TypedDict, total=False):
    """A Cloud Billing budget on the project, counting the stack's resources only."""

    billing_account: Required[str]
    """The billing account the project bills to (012345-6789AB-CDEF01)."""

    monthly_usd: Required[float]
    """The budget amount a month, in US dollars."""

    thresholds: Required[list[float]]
    """Fractions of the amount at which the budget notifies, ascending."""

    project_number: Required[pulumi.Input[str]]
    """The project's number (a budget filters projects by number)."""

    stack_label: Required[str]
    """The value of the `stack` label every resource of the stack carries; the budget counts only those costs."""


class ObjectivesArgs(TypedDict, total=False):
    """The two SLOs the burn-rate alerts defend."""

    availability: Required[float]
    """Share of requests without a 5xx over the window."""

    latency_ms: Required[int]
    """The latency SLO's threshold, in milliseconds."""

    latency_objective: Required[float]
    """Share of requests faster than latency_ms."""

    window_days: Required[int]
    """The rolling window both SLOs are measured over (1-30 days)."""


class OperationsArgs(TypedDict, total=False):
    """Notification channels, SLOs, alerts, an uptime check, the dashboard and the budget of one service."""

    project: Required[str]
    """The project the monitoring resources live in."""

    platform: Required[str]
    """Where the service runs, which decides what the SLIs read. One of: cloudrun, gke."""

    region: Required[str]
    """The service's region."""

    service_name: Required[pulumi.Input[str]]
    """Cloud Run: the service's name. GKE: the Deployment's (and the PodMonitoring's job) name."""

    namespace: pulumi.Input[str] | None
    """GKE only: the workload's namespace."""

    max_instances: Required[int]
    """Cloud Run maxInstances or the autoscaler's maximum replicas."""

    min_instances: Required[int]
    """Cloud Run minInstances or the autoscaler's minimum replicas."""

    public_url: pulumi.Input[str] | None
    """The service's https URL where it is reachable from the internet (an uptime check probes it), else None."""

    gpu: Required[bool]
    """The service runs on GPUs (a GPU saturation alert and dashboard row)."""

    database_id: Required[pulumi.Input[str]]
    """Cloud SQL's monitored-resource id, `<project>:<instance>`."""

    database_max_connections: Required[int]
    """PostgreSQL's max_connections on the instance's tier."""

    redis_instance_id: Required[pulumi.Input[str]]
    """Memorystore's id, `projects/<p>/locations/<r>/instances/<name>`."""

    alert_emails: Required[list[str]]
    """An email notification channel each; empty, the alerts notify nobody."""

    objectives: Required[ObjectivesArgs]
    """The availability and latency SLOs."""

    budget: BudgetArgs | None
    """A budget for the project; None for none."""

    labels: Required[dict[str, str]]
    """Set on every resource that takes labels (`userLabels`)."""
