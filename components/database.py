"""Cloud SQL for PostgreSQL on a private IP, with the CIS logging flags, a database and its user."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import pulumi
import pulumi_gcp as gcp

from components._options import child_options
from components.naming import fit_name
from components.validation import ArgsProblems
from facts.gcp import (
    POSTGRES_VERSIONS,
    SQL_CUSTOM_MAX_CPUS,
    SQL_CUSTOM_MEMORY_PER_CPU_MB,
    SQL_CUSTOM_MEMORY_STEP_MB,
    SQL_CUSTOM_MIN_MEMORY_MB,
    SQL_CUSTOM_TIER,
    SQL_DISK_RANGE_GB,
    SQL_INSTANCE_NAME,
    SQL_PERFORMANCE_OPTIMIZED_TIER,
    SQL_PITR_LOG_RETENTION_DAYS,
    SQL_SHARED_CORE_TIERS,
    SqlAvailability,
    SqlEdition,
)

# CIS Google Cloud Foundations 6.2.x: what PostgreSQL logs, and pgaudit.
CIS_DATABASE_FLAGS: dict[str, str] = {
    "log_connections": "on",
    "log_disconnections": "on",
    "log_min_messages": "warning",
    "log_min_error_statement": "error",
    "log_min_duration_statement": "-1",
    "log_error_verbosity": "default",
    "log_statement": "ddl",
    "cloudsql.enable_pgaudit": "on",
}


class SqlInstanceShape(Protocol):
    """What Cloud SQL's rules read: PostgresDatabaseArgs, or a config section that spells the same fields."""

    @property
    def version(self) -> str: ...
    @property
    def edition(self) -> str: ...
    @property
    def tier(self) -> str: ...
    @property
    def disk_size_gb(self) -> int: ...


def check_sql_instance_shape(instance: SqlInstanceShape, problems: ArgsProblems) -> None:
    """Cloud SQL for PostgreSQL's versions, the tiers each edition takes, and the disk's size."""
    problems.one_of("version", instance.version, POSTGRES_VERSIONS)
    tier = instance.tier
    custom = SQL_CUSTOM_TIER.match(tier)
    if instance.edition == "ENTERPRISE_PLUS":
        if not SQL_PERFORMANCE_OPTIMIZED_TIER.match(tier):
            problems.add(
                "tier",
                tier,
                "edition ENTERPRISE_PLUS takes only db-perf-optimized-N-<vCPU> tiers; "
                "set edition: ENTERPRISE for custom and shared-core tiers",
            )
    elif custom:
        cpus, memory_mb = int(custom["cpus"]), int(custom["memory_mb"])
        if not (cpus == 1 or (cpus % 2 == 0 and 2 <= cpus <= SQL_CUSTOM_MAX_CPUS)):
            problems.add("tier", tier, f"custom tiers take 1 or an even number of vCPU up to {SQL_CUSTOM_MAX_CPUS}")
        per_cpu_low, per_cpu_high = SQL_CUSTOM_MEMORY_PER_CPU_MB
        if memory_mb % SQL_CUSTOM_MEMORY_STEP_MB:
            problems.add("tier", tier, f"custom tier memory must be a multiple of {SQL_CUSTOM_MEMORY_STEP_MB} MB")
        if memory_mb < SQL_CUSTOM_MIN_MEMORY_MB:
            problems.add("tier", tier, f"custom tier memory must be at least {SQL_CUSTOM_MIN_MEMORY_MB} MB")
        if not per_cpu_low * cpus <= memory_mb <= per_cpu_high * cpus:
            problems.add("tier", tier, "custom tier memory must be 0.9-6.5 GB per vCPU")
    elif tier not in SQL_SHARED_CORE_TIERS:
        problems.add(
            "tier",
            tier,
            "PostgreSQL on edition ENTERPRISE takes db-custom-<vCPU>-<MB> or shared-core "
            f"({', '.join(SQL_SHARED_CORE_TIERS)}) tiers",
        )
    disk_low, disk_high = SQL_DISK_RANGE_GB
    if not disk_low <= instance.disk_size_gb <= disk_high:
        problems.add("disk_size_gb", instance.disk_size_gb, f"allowed: {disk_low}-{disk_high}")


@dataclass(frozen=True, kw_only=True)
class BackupArgs:
    """Automated backups, and point-in-time recovery on top of them."""

    enabled: bool
    """Take a daily automated backup."""
    point_in_time_recovery: bool
    """Keep transaction logs so the instance can be restored to any second of the retention window."""

    def __post_init__(self) -> None:
        problems = ArgsProblems(self)
        if self.point_in_time_recovery and not self.enabled:
            problems.add("point_in_time_recovery", True, "point-in-time recovery needs backups: true")
        problems.raise_any()


@dataclass(frozen=True, kw_only=True)
class MaintenanceWindow:
    """The weekly hour Cloud SQL may restart the instance to update it."""

    day: int
    """Day of the week, 1 = Monday ... 7 = Sunday."""
    hour: int
    """Hour of the day, UTC (0-23)."""

    def __post_init__(self) -> None:
        if not 1 <= self.day <= 7:
            raise ValueError(f"maintenance day {self.day} is not 1 (Monday) to 7 (Sunday)")
        if not 0 <= self.hour <= 23:
            raise ValueError(f"maintenance hour {self.hour} is not 0 to 23")


@dataclass(frozen=True, kw_only=True)
class PostgresDatabaseArgs:
    """A private PostgreSQL instance, one database and its user."""

    region: str
    """Region of the instance."""
    network_id: pulumi.Input[str]
    """The VPC whose private services access range gives the instance its private IP."""
    private_services_connection: pulumi.Resource
    """The servicenetworking connection; the instance is created only after it exists."""
    version: str
    """Database version, e.g. POSTGRES_16."""
    edition: SqlEdition
    """ENTERPRISE or ENTERPRISE_PLUS."""
    tier: str
    """Machine tier, e.g. db-custom-1-3840."""
    availability: SqlAvailability
    """ZONAL or REGIONAL (a standby in a second zone)."""
    disk_size_gb: int
    """Size of the data disk."""
    backup: BackupArgs
    """Automated backups and point-in-time recovery."""
    deletion_protection: bool
    """Sets both Pulumi's and Google's deletion protection."""
    maintenance: MaintenanceWindow
    """When Cloud SQL may restart the instance for updates."""
    password: pulumi.Input[str]
    """The application user's password (from Secrets)."""
    labels: Mapping[str, str]
    """Labels for the instance."""
    database_name: str = "inference"
    """The application's database."""
    user_name: str = "inference"
    """The application's user."""

    def __post_init__(self) -> None:
        problems = ArgsProblems(self)
        check_sql_instance_shape(self, problems)
        problems.raise_any()


class PostgresDatabase(pulumi.ComponentResource):
    """A private Cloud SQL for PostgreSQL instance with one database and one user."""

    connection_name: pulumi.Output[str]
    private_ip: pulumi.Output[str]
    database_name: pulumi.Output[str]
    user_name: pulumi.Output[str]

    def __init__(self, name: str, args: PostgresDatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inference:database:PostgresDatabase", name, None, opts)
        child = child_options(self, opts)

        instance = gcp.sql.DatabaseInstance(
            fit_name(f"{name}-instance", SQL_INSTANCE_NAME, autonamed=True),
            region=args.region,
            database_version=args.version,
            deletion_protection=args.deletion_protection,
            settings=gcp.sql.DatabaseInstanceSettingsArgs(
                tier=args.tier,
                edition=args.edition,
                availability_type=args.availability,
                disk_size=args.disk_size_gb,
                disk_type="PD_SSD",
                disk_autoresize=True,
                deletion_protection_enabled=args.deletion_protection,
                ip_configuration=gcp.sql.DatabaseInstanceSettingsIpConfigurationArgs(
                    ipv4_enabled=False,
                    private_network=args.network_id,
                    ssl_mode="ENCRYPTED_ONLY",
                    enable_private_path_for_google_cloud_services=True,
                ),
                backup_configuration=gcp.sql.DatabaseInstanceSettingsBackupConfigurationArgs(
                    enabled=args.backup.enabled,
                    point_in_time_recovery_enabled=args.backup.point_in_time_recovery,
                    transaction_log_retention_days=SQL_PITR_LOG_RETENTION_DAYS
                    if args.backup.point_in_time_recovery
                    else None,
                    start_time="02:00",
                    backup_retention_settings=gcp.sql.DatabaseInstanceSettingsBackupConfigurationBackupRetentionSettingsArgs(
                        retained_backups=14 if args.deletion_protection else 7, retention_unit="COUNT"
                    ),
                ),
                maintenance_window=gcp.sql.DatabaseInstanceSettingsMaintenanceWindowArgs(
                    day=args.maintenance.day, hour=args.maintenance.hour, update_track="stable"
                ),
                database_flags=[
                    gcp.sql.DatabaseInstanceSettingsDatabaseFlagArgs(name=flag, value=value)
                    for flag, value in CIS_DATABASE_FLAGS.items()
                ],
                insights_config=gcp.sql.DatabaseInstanceSettingsInsightsConfigArgs(
                    query_insights_enabled=True, record_application_tags=True, record_client_address=False
                ),
                user_labels=dict(args.labels),
            ),
            opts=child_options(self, opts, depends_on=[args.private_services_connection]),
        )
        database = gcp.sql.Database(
            f"{name}-database",
            instance=instance.name,
            name=args.database_name,
            # Protected: the provider refuses to drop the database. Otherwise it is left to go with its instance,
            # which a destroy deletes next: dropping it through the API fails while sessions or objects of other
            # roles remain, and would only delay the instance's deletion.
            deletion_policy="PREVENT" if args.deletion_protection else "ABANDON",
            opts=child,
        )
        user = gcp.sql.User(
            f"{name}-user",
            instance=instance.name,
            name=args.user_name,
            password=args.password,
            # Once the app has created its tables as this user, Cloud SQL refuses to drop the role ("role ...
            # cannot be dropped because some objects depend on it"); the docstring's answer for PostgreSQL is
            # ABANDON, and the role goes with the instance.
            deletion_policy="ABANDON",
            opts=child_options(self, opts, depends_on=[database]),
        )

        self.connection_name = instance.connection_name
        self.private_ip = instance.private_ip_address
        self.database_name = database.name
        self.user_name = user.name
        self.register_outputs(
            {
                "connection_name": self.connection_name,
                "private_ip": self.private_ip,
                "database_name": self.database_name,
                "user_name": self.user_name,
            }
        )
