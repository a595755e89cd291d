"""Memorystore for Redis with AUTH and in-transit encryption, its AUTH string kept in Secret Manager."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import pulumi
import pulumi_gcp as gcp

from components._options import child_options
from components.app_runtime import SecretEnv
from components.naming import fit_name
from components.secrets import Secrets, SecretsArgs
from components.validation import ArgsProblems
from facts.gcp import (
    REDIS_INSTANCE_NAME,
    REDIS_READ_REPLICAS_MIN_SIZE_GB,
    REDIS_READ_REPLICAS_MIN_VERSION,
    REDIS_READ_REPLICAS_RANGE,
    REDIS_SIZE_RANGE_GB,
    REDIS_VERSIONS,
    RedisTier,
)


class MemorystoreShape(Protocol):
    """What Memorystore's rules read: RedisCacheArgs, or a config section that spells the same fields."""

    @property
    def tier(self) -> str: ...
    @property
    def memory_size_gb(self) -> int: ...
    @property
    def version(self) -> str: ...
    @property
    def read_replicas(self) -> int: ...


def check_memorystore_shape(instance: MemorystoreShape, problems: ArgsProblems) -> None:
    """Memorystore for Redis's limits on size, version and read replicas."""
    low, high = REDIS_SIZE_RANGE_GB
    if not low <= instance.memory_size_gb <= high:
        problems.add("memory_size_gb", instance.memory_size_gb, f"Memorystore for Redis takes {low}-{high} GB")
    problems.one_of("version", instance.version, REDIS_VERSIONS)
    if instance.read_replicas:
        replicas_low, replicas_high = REDIS_READ_REPLICAS_RANGE
        if instance.tier != "STANDARD_HA":
            problems.add("read_replicas", instance.read_replicas, "read replicas need tier STANDARD_HA")
        elif not replicas_low <= instance.read_replicas <= replicas_high:
            problems.add("read_replicas", instance.read_replicas, f"allowed: 0 or {replicas_low}-{replicas_high}")
        if instance.memory_size_gb < REDIS_READ_REPLICAS_MIN_SIZE_GB:
            problems.add(
                "memory_size_gb",
                instance.memory_size_gb,
                f"read replicas need at least {REDIS_READ_REPLICAS_MIN_SIZE_GB} GB",
            )
        if instance.version in REDIS_VERSIONS and REDIS_VERSIONS.index(instance.version) < REDIS_VERSIONS.index(
            REDIS_READ_REPLICAS_MIN_VERSION
        ):
            problems.add("version", instance.version, "read replicas need Redis 5.0 or later")


@dataclass(frozen=True, kw_only=True)
class RedisCacheArgs:
    """A private Memorystore for Redis instance with AUTH and TLS."""

    region: str
    """Region of the instance."""
    network_id: pulumi.Input[str]
    """The VPC the instance is reachable from (through private services access)."""
    private_services_connection: pulumi.Resource
    """The servicenetworking connection; the instance is created only after it exists."""
    tier: RedisTier
    """BASIC or STANDARD_HA (cannot change after creation)."""
    memory_size_gb: int
    """Memory of the instance."""
    version: str
    """Redis version, e.g. REDIS_7_2."""
    read_replicas: int
    """Read replicas (STANDARD_HA only); 0 for none."""
    deletion_protection: bool
    """Refuse to delete the instance (prod). Unset, pulumi-gcp 10.x refuses too, which would also block every
    replacement, so it is always passed explicitly; the AUTH secret follows it."""
    labels: Mapping[str, str]
    """Labels for the instance and its AUTH secret."""

    def __post_init__(self) -> None:
        problems = ArgsProblems(self)
        check_memorystore_shape(self, problems)
        problems.raise_any()


class RedisCache(pulumi.ComponentResource):
    """A private Memorystore for Redis instance reachable only over TLS with AUTH."""

    host: pulumi.Output[str]
    port: pulumi.Output[int]
    instance_id: pulumi.Output[str]
    """`projects/<p>/locations/<r>/instances/<name>`, the id its Cloud Monitoring metrics carry."""
    ca_certificate: pulumi.Output[str]
    """PEM of the instance's server CA, which TLS clients must trust."""
    auth: SecretEnv
    """The AUTH string as the app reads it: the Secret Manager secret (short name `auth`), its version and value."""
    auth_secret_id: pulumi.Output[str]
    """The id of the Secret Manager secret that holds the AUTH string."""

    def __init__(self, name: str, args: RedisCacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inference:cache:RedisCache", name, None, opts)

        instance = gcp.redis.Instance(
            fit_name(name, REDIS_INSTANCE_NAME, autonamed=True),
            region=args.region,
            tier=args.tier,
            memory_size_gb=args.memory_size_gb,
            redis_version=args.version,
            authorized_network=args.network_id,
            connect_mode="PRIVATE_SERVICE_ACCESS",
            # Turning AUTH or TLS on later replaces the instance, so both are decided here, at creation.
            auth_enabled=True,
            transit_encryption_mode="SERVER_AUTHENTICATION",
            read_replicas_mode="READ_REPLICAS_ENABLED" if args.read_replicas else "READ_REPLICAS_DISABLED",
            replica_count=args.read_replicas or None,
            maintenance_policy=gcp.redis.InstanceMaintenancePolicyArgs(
                weekly_maintenance_windows=[
                    gcp.redis.InstanceMaintenancePolicyWeeklyMaintenanceWindowArgs(
                        day="SUNDAY",
                        start_time=gcp.redis.InstanceMaintenancePolicyWeeklyMaintenanceWindowStartTimeArgs(hours=3),
                    )
                ]
            ),
            deletion_protection=args.deletion_protection,
            labels=dict(args.labels),
            opts=child_options(self, opts, depends_on=[args.private_services_connection]),
        )
        auth_secret = Secrets(
            name,
            SecretsArgs(
                generated={},
                provided={"auth": instance.auth_string},
                labels=args.labels,
                deletion_protection=args.deletion_protection,
            ),
            opts=child_options(self, opts),
        )

        self.auth = auth_secret.secret_env("auth")
        self.auth_secret_id = auth_secret.secret_ids["auth"]
        self.host = instance.host
        self.port = instance.port
        self.instance_id = instance.id
        self.ca_certificate = instance.server_ca_certs.apply(
            lambda certificates: (certificates[0].cert or "") if certificates else ""
        )
        self.register_outputs(
            {
                "host": self.host,
                "port": self.port,
                "instance_id": self.instance_id,
                "ca_certificate": self.ca_certificate,
                "auth_secret_id": self.auth_secret_id,
            }
        )
