"""The embedding cache: keys, TTL, eviction, and Redis outages turning into misses."""

import asyncio

import numpy as np
import pytest
from embedding_service.cache import InProcessCache, SharedRedisCache, cache_key
from embedding_service.redis_link import RedisLink, client_from_settings

from .servers import RedisServer, make_settings

pytestmark = pytest.mark.anyio


def test_cache_keys_depend_on_model_dimensions_and_text():
    key = cache_key("model-a", 384, "text")

    assert key == cache_key("model-a", 384, "text")
    assert (
        len(
            {
                key,
                cache_key("model-b", 384, "text"),
                cache_key("model-a", 128, "text"),
                cache_key("model-a", 384, "text "),
            }
        )
        == 4
    )
    assert "text" not in key


async def test_in_process_entries_expire_after_their_ttl():
    cache = InProcessCache(ttl_s=0.05, max_entries=10)
    await cache.put_many({"k": b"v"})

    fresh = await cache.get_many(["k", "missing"])
    await asyncio.sleep(0.08)
    expired = await cache.get_many(["k"])

    assert fresh == [b"v", None]
    assert expired == [None]


async def test_in_process_cache_evicts_the_least_recently_used_entry():
    cache = InProcessCache(ttl_s=60, max_entries=2)
    await cache.put_many({"a": b"1", "b": b"2"})
    await cache.get_many(["a"])
    await cache.put_many({"c": b"3"})

    assert await cache.get_many(["a", "b", "c"]) == [b"1", None, b"3"]


async def test_redis_cache_round_trips_float32_bytes_with_a_ttl(redis_server: RedisServer):
    link = RedisLink(client_from_settings(make_settings(redis_url=redis_server.url)), 1.0)
    await link.start()
    cache = SharedRedisCache(link, ttl_s=120)
    vector = np.arange(384, dtype=np.float32)
    key = cache_key("m", 384, "round trip")

    await cache.put_many({key: vector.tobytes()})
    (stored,) = await cache.get_many([key])
    ttl = await link.client.ttl(key)
    await link.close()

    assert stored is not None
    np.testing.assert_array_equal(np.frombuffer(stored, dtype=np.float32), vector)
    assert 0 < ttl <= 120


async def test_redis_cache_answers_misses_while_redis_is_down(restartable_redis: RedisServer):
    failures: list[str] = []
    link = RedisLink(
        client_from_settings(make_settings(redis_url=restartable_redis.url)), 10.0, on_error=failures.append
    )
    await link.start()
    cache = SharedRedisCache(link, ttl_s=60)
    await cache.put_many({"k": b"v"})

    restartable_redis.stop()
    during_outage = await cache.get_many(["k"])
    await cache.put_many({"k2": b"v2"})
    await link.close()

    assert during_outage == [None]
    assert failures == ["cache_get"]
    assert link.available is False
