"""The sections of what keeps data: the Memorystore cache and the Cloud SQL database."""

from __future__ import annotations

import pulumi
from pydantic import Field

from components.cache import RedisCacheArgs
from components.database import BackupArgs, MaintenanceWindow, PostgresDatabaseArgs
from facts.gcp import RedisTier, SqlAvailability, SqlEdition
from infra.config.scope import Section, StackScope


class RedisSettings(Section):
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


class DatabaseSettings(Section):
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
