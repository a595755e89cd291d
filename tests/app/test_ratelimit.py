"""Per-key rate limits: counting, headers, shared counters in Redis, failing open or closed."""

import pytest
from embedding_service.ratelimit import RateLimiter, RateLimiterUnavailableError, parse_rate_limit
from embedding_service.redis_link import RedisLink, client_from_settings

from .servers import RedisServer, make_settings

pytestmark = pytest.mark.anyio


def test_a_malformed_rate_limit_is_refused_naming_rate_limit():
    with pytest.raises(ValueError, match="RATE_LIMIT='lots' is not a rate"):
        parse_rate_limit("lots")


async def test_requests_over_the_limit_are_refused_with_a_retry_after():
    limiter = RateLimiter(parse_rate_limit("2/minute"), None, fail_open=True)

    decisions = [await limiter.check("key_a") for _ in range(3)]

    assert [decision.allowed for decision in decisions if decision] == [True, True, False]
    refused = decisions[2]
    assert refused is not None
    assert refused.remaining == 0
    assert 1 <= refused.retry_after_s <= 60
    assert refused.headers()["x-ratelimit-limit-requests"] == "2"


async def test_each_key_has_its_own_budget():
    limiter = RateLimiter(parse_rate_limit("1/minute"), None, fail_open=True)

    first = await limiter.check("key_a")
    other = await limiter.check("key_b")

    assert first is not None and first.allowed
    assert other is not None and other.allowed


async def test_limiters_sharing_redis_share_the_count(redis_server: RedisServer):
    links = [RedisLink(client_from_settings(make_settings(redis_url=redis_server.url)), 1.0) for _ in range(2)]
    for link in links:
        await link.start()
    item = parse_rate_limit("3/hour")
    first, second = (RateLimiter(item, link, fail_open=True) for link in links)

    decisions = [await first.check("key_shared_count"), await second.check("key_shared_count")]
    decisions += [await first.check("key_shared_count"), await second.check("key_shared_count")]
    for link in links:
        await link.close()

    assert [decision.allowed for decision in decisions if decision] == [True, True, True, False]


@pytest.mark.parametrize("fail_open", [True, False])
async def test_with_redis_down_the_limiter_fails_open_or_closed_as_configured(
    restartable_redis: RedisServer, fail_open: bool
):
    link = RedisLink(client_from_settings(make_settings(redis_url=restartable_redis.url)), 10.0)
    await link.start()
    limiter = RateLimiter(parse_rate_limit("10/minute"), link, fail_open=fail_open)
    restartable_redis.stop()

    if fail_open:
        assert await limiter.check("key_a") is None
    else:
        with pytest.raises(RateLimiterUnavailableError, match="Redis does not answer"):
            await limiter.check("key_a")
    await link.close()
    assert link.available is False
