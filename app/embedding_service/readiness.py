"""Readiness as a pure function of what the runtime reports: ready or not, and why, for /readyz."""

from dataclasses import asdict, dataclass

from embedding_service.model import DeviceInfo


@dataclass(frozen=True)
class ModelState:
    name: str
    device: DeviceInfo | None
    error: str | None


@dataclass(frozen=True)
class RedisState:
    available: bool
    error: str | None


@dataclass(frozen=True)
class DatabaseState:
    backend: str
    available: bool
    pending_rows: int
    error: str | None


@dataclass(frozen=True)
class Readiness:
    ready: bool
    report: dict[str, object]


def readiness(
    model: ModelState,
    redis: RedisState | None,
    database: DatabaseState,
    *,
    rate_limited: bool,
    rate_limit_fail_open: bool,
) -> Readiness:
    """Not ready while the model is not loaded, or while Redis is down and the rate limit fails closed.

    Redis or the database being down otherwise leaves the instance serving ("degraded").
    """
    checks: dict[str, dict[str, object]] = {}
    ready = True
    if model.device is None:
        ready = False
        checks["model"] = {"status": "failed" if model.error else "loading", "error": model.error}
    else:
        checks["model"] = {"status": "ok", "name": model.name, **asdict(model.device)}
    if redis is None:
        checks["redis"] = {"status": "not_configured", "cache": "in-process", "rate_limit": "in-process"}
    else:
        effect = None
        if not redis.available:
            limit = "off (fail open)" if rate_limit_fail_open else "refusing requests (fail closed)"
            effect = f"serving without cache; rate limit {limit}"
        checks["redis"] = {
            "status": "ok" if redis.available else "unavailable",
            "error": redis.error,
            "effect": effect,
        }
        if not redis.available and rate_limited and not rate_limit_fail_open:
            ready = False
    checks["database"] = {
        "status": "ok" if database.available else "unavailable",
        "backend": database.backend,
        "pending_rows": database.pending_rows,
        "error": database.error,
    }
    degraded = any(check["status"] == "unavailable" for check in checks.values())
    status = "ok" if ready and not degraded else ("degraded" if ready else "unavailable")
    return Readiness(ready, {"status": status, "checks": checks})
