"""The args of the building blocks: the components' Args dataclasses as TypedDicts, for the analyzer.

Generated from components/ (fields, defaults, docstrings) by `python -m infra.package.generate`; do not
edit.
"""

from typing import Required, TypedDict

import pulumi
import pulumi_gcp


class NetworkArgs(TypedDict, total=False):
    """The args of Network (components.network)."""

    region: Required[str]
    """Region of the subnet and the Cloud NAT router."""

    subnet_cidr: Required[str]
    """Primary range of the subnet (Cloud Run's Direct VPC egress needs a /26 or larger)."""

    labels: Required[dict[str, str]]
    """Labels for every child that takes labels."""

    secondary_ranges: dict[str, str]
    """Named secondary ranges (GKE pods and services); none by default."""

    private_services_address: str
    """First address of the range reserved for Google's managed services (Cloud SQL, Memorystore). Fixed, not left to Google's allocator, so that the config can prove it overlaps neither the subnet nor the GKE ranges. Default: 10.40.0.0."""

    private_services_prefix_length: int
    """Size of the range reserved for Google's managed services. Default: 20."""

    cloud_nat: bool
    """Give instances without external IPs internet egress through Cloud NAT. Default: false."""


class SecretsArgs(TypedDict, total=False):
    """The args of Secrets (components.secrets)."""

    generated: Required[dict[str, int]]
    """Secrets to generate: short name (e.g. `db-password`) → length in characters."""

    labels: Required[dict[str, str]]
    """Labels for every secret."""

    deletion_protection: bool
    """Refuse to delete the secrets (prod): a destroy or a replacement would lose the values. Default: false."""

    provided: dict[str, pulumi.Input[str]] | None
    """Secrets whose value another resource produced (e.g. Memorystore's AUTH string): short name → value."""


class RedisCacheArgs(TypedDict, total=False):
    """The args of RedisCache (components.cache)."""

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
    """The args of PostgresDatabase (components.database)."""

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
