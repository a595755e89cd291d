"""One Redis connection pool shared by the cache and the rate limiter, with its up/down state.

Calls made while Redis is marked down are skipped rather than left to time out; a background probe
notices when Redis answers again.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as redis

from embedding_service.settings import Settings

logger = logging.getLogger(__name__)


def client_from_settings(settings: Settings) -> redis.Redis:
    """A client for REDIS_URL with AUTH and, for rediss://, TLS verified against REDIS_CA_CERT."""
    assert settings.redis_url is not None
    options: dict[str, Any] = {
        "socket_connect_timeout": settings.redis_timeout_s,
        "socket_timeout": settings.redis_timeout_s,
        "health_check_interval": 30,
    }
    if settings.redis_password is not None:
        options["password"] = settings.redis_password.get_secret_value()
    if settings.redis_url.startswith("rediss://"):
        options["ssl_check_hostname"] = settings.redis_tls_check_hostname
        if settings.redis_ca_cert:
            options["ssl_ca_data"] = settings.redis_ca_cert
    return redis.Redis.from_url(settings.redis_url, **options)


@dataclass
class RedisLink:
    """The shared client and whether Redis answered last time it was asked."""

    client: redis.Redis
    retry_interval_s: float
    on_error: Callable[[str], None] = lambda _operation: None
    available: bool = field(default=False, init=False)
    last_error: str | None = field(default=None, init=False)
    _probe: asyncio.Task[None] | None = field(default=None, init=False)

    async def start(self) -> None:
        await self._ping()
        self._probe = asyncio.create_task(self._probe_while_down(), name="redis-probe")

    async def close(self) -> None:
        if self._probe:
            self._probe.cancel()
            await asyncio.gather(self._probe, return_exceptions=True)
        await self.client.aclose()

    def mark_down(self, operation: str, error: Exception) -> None:
        """Record a failed call; the probe brings Redis back into use once it answers."""
        self.on_error(operation)
        if self.available:
            logger.warning("redis unavailable during %s: %s", operation, error)
        self.available = False
        self.last_error = f"{type(error).__name__}: {error}"

    async def _ping(self) -> None:
        try:
            await self.client.ping()
        except (redis.RedisError, OSError) as error:
            self.mark_down("ping", error)
        else:
            if not self.available:
                logger.info("redis available")
            self.available = True
            self.last_error = None

    async def _probe_while_down(self) -> None:
        while True:
            await asyncio.sleep(self.retry_interval_s)
            if not self.available:
                await self._ping()
