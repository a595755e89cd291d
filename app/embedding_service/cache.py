"""Per-input embedding cache: key = hash(model, dimensions, text), value = float32 bytes, with a TTL."""

import hashlib
import time
from collections import OrderedDict
from typing import Protocol, cast

import redis.asyncio as redis

from embedding_service.redis_link import RedisLink


def cache_key(model: str, dimensions: int, text: str) -> str:
    digest = hashlib.sha256(f"{model}\x00{dimensions}\x00{text}".encode()).hexdigest()
    return f"emb:{digest}"


class EmbeddingCache(Protocol):
    async def get_many(self, keys: list[str]) -> list[bytes | None]: ...

    async def put_many(self, entries: dict[str, bytes]) -> None: ...


class InProcessCache:
    """A bounded least-recently-used cache for a single instance (no REDIS_URL)."""

    def __init__(self, ttl_s: float, max_entries: int) -> None:
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        now = time.monotonic()
        values: list[bytes | None] = []
        for key in keys:
            entry = self._entries.get(key)
            if entry is None or entry[0] < now:
                values.append(None)
                continue
            self._entries.move_to_end(key)
            values.append(entry[1])
        return values

    async def put_many(self, entries: dict[str, bytes]) -> None:
        expires_at = time.monotonic() + self._ttl_s
        for key, value in entries.items():
            self._entries[key] = (expires_at, value)
            self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)


class SharedRedisCache:
    """The cache shared by all instances; while Redis is down every lookup is a miss."""

    def __init__(self, link: RedisLink, ttl_s: int) -> None:
        self._link = link
        self._ttl_s = ttl_s

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        if not self._link.available:
            return [None] * len(keys)
        try:
            # The client is made without decode_responses, so values come back as bytes.
            values = cast("list[bytes | None]", await self._link.client.mget(keys))
        except (redis.RedisError, OSError) as error:
            self._link.mark_down("cache_get", error)
            return [None] * len(keys)
        return values

    async def put_many(self, entries: dict[str, bytes]) -> None:
        if not self._link.available or not entries:
            return
        try:
            async with self._link.client.pipeline(transaction=False) as pipe:
                for key, value in entries.items():
                    pipe.set(key, value, ex=self._ttl_s)
                await pipe.execute()
        except (redis.RedisError, OSError) as error:
            self._link.mark_down("cache_put", error)
