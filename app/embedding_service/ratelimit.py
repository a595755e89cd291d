"""Per-key request rate limits with the `limits` library: counters in Redis, or in-process without it."""

import math
import time
from dataclasses import dataclass

import redis.asyncio as redis
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter

from embedding_service.errors import RateLimiterUnavailableError, RateLimitExceededError
from embedding_service.redis_link import RedisLink

__all__ = ["RateLimitDecision", "RateLimiter", "RateLimiterUnavailableError", "parse_rate_limit"]


@dataclass(frozen=True)
class RateLimitDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_after_s: float

    def headers(self) -> dict[str, str]:
        """OpenAI's names for the request-rate headers."""
        return {
            "x-ratelimit-limit-requests": str(self.limit),
            "x-ratelimit-remaining-requests": str(self.remaining),
            "x-ratelimit-reset-requests": f"{self.reset_after_s:.3f}s",
        }

    @property
    def retry_after_s(self) -> int:
        return max(1, math.ceil(self.reset_after_s))


def parse_rate_limit(text: str) -> RateLimitItem:
    """The limit in `limits` notation (600/minute, 10/second), with a message naming RATE_LIMIT."""
    try:
        return parse(text)
    except ValueError as error:
        raise ValueError(f"RATE_LIMIT={text!r} is not a rate such as '600/minute': {error}") from error


class RateLimiter:
    """Counts requests per key id in fixed windows."""

    def __init__(self, item: RateLimitItem, link: RedisLink | None, fail_open: bool) -> None:
        self._item = item
        self._link = link
        self._fail_open = fail_open
        storage: Storage
        if link is None:
            storage = MemoryStorage()
        else:
            storage = RedisStorage(
                "async+redis://",
                implementation="redispy",
                connection_pool=link.client.connection_pool,  # type: ignore[arg-type]  # typed too narrowly
            )
        self._strategy = FixedWindowRateLimiter(storage)

    async def check(self, key_id: str) -> RateLimitDecision | None:
        """Counts one request; None when Redis is down and the limiter fails open."""
        if self._link is not None and not self._link.available:
            self._refuse_unless_fail_open()
            return None
        try:
            allowed = await self._strategy.hit(self._item, key_id)
            stats = await self._strategy.get_window_stats(self._item, key_id)
        except (redis.RedisError, OSError) as error:
            assert self._link is not None
            self._link.mark_down("rate_limit", error)
            self._refuse_unless_fail_open()
            return None
        return RateLimitDecision(
            allowed=allowed,
            limit=self._item.amount,
            remaining=stats.remaining,
            reset_after_s=max(0.0, stats.reset_time - time.time()),
        )

    async def admit(self, key_id: str) -> RateLimitDecision | None:
        """Counts one request, raising RateLimitExceededError when the key's window is used up."""
        decision = await self.check(key_id)
        if decision is not None and not decision.allowed:
            raise RateLimitExceededError(
                f"Rate limit reached: {decision.limit} requests per window for this key.",
                retry_after_s=decision.retry_after_s,
                headers=decision.headers(),
            )
        return decision

    def _refuse_unless_fail_open(self) -> None:
        if not self._fail_open:
            raise RateLimiterUnavailableError("rate limiter unavailable: Redis does not answer")
