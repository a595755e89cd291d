"""The environment's defaults: what a section leaves unset, prod protects and dev leaves cheap to throw away."""

from __future__ import annotations

from infra.config.data import DatabaseSettings, RedisSettings


def with_database_defaults(database: DatabaseSettings, *, prod: bool) -> DatabaseSettings:
    """Unset availability, point-in-time recovery and deletion protection: REGIONAL and on in prod, ZONAL and off in
    dev."""
    return database.model_copy(
        update={
            "availability": database.availability or ("REGIONAL" if prod else "ZONAL"),
            "point_in_time_recovery": prod
            if database.point_in_time_recovery is None
            else database.point_in_time_recovery,
            "deletion_protection": prod if database.deletion_protection is None else database.deletion_protection,
        }
    )


def with_redis_defaults(redis: RedisSettings, *, prod: bool) -> RedisSettings:
    """Unset deletion protection: on in prod, off in dev."""
    if redis.deletion_protection is None:
        return redis.model_copy(update={"deletion_protection": prod})
    return redis
