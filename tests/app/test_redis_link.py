"""The Redis connection: Memorystore's TLS + CA + AUTH, and the up/down state with reconnection."""

import asyncio

import pytest
import redis.asyncio as redis
from embedding_service.redis_link import RedisLink, client_from_settings

from .servers import RedisServer, make_settings

pytestmark = pytest.mark.anyio


async def wait_until_available(link: RedisLink) -> None:
    """Up to five seconds for the link's reconnection loop to find Redis again."""
    for _ in range(100):
        if link.available:
            return
        await asyncio.sleep(0.05)


async def test_tls_with_the_ca_from_an_environment_value_and_auth_connects(memorystore_like_redis: RedisServer):
    settings = make_settings(
        redis_url=memorystore_like_redis.url,
        redis_password="auth-string",
        redis_ca_cert=memorystore_like_redis.ca_pem,
    )
    client = client_from_settings(settings)

    try:
        assert await client.ping() is True
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("password", "trust_the_ca", "error"),
    [("wrong", True, redis.AuthenticationError), ("auth-string", False, redis.ConnectionError)],
    ids=["wrong-auth-string", "server-ca-not-given"],
)
async def test_a_wrong_auth_string_or_an_untrusted_certificate_is_refused(
    memorystore_like_redis: RedisServer, password: str, trust_the_ca: bool, error: type[Exception]
):
    settings = make_settings(
        redis_url=memorystore_like_redis.url,
        redis_password=password,
        redis_ca_cert=memorystore_like_redis.ca_pem if trust_the_ca else None,
    )
    client = client_from_settings(settings)

    try:
        with pytest.raises(error):
            await client.ping()
    finally:
        await client.aclose()


async def test_link_is_marked_down_when_redis_dies_and_up_again_when_it_returns(restartable_redis: RedisServer):
    failures: list[str] = []
    link = RedisLink(
        client_from_settings(make_settings(redis_url=restartable_redis.url)), 0.05, on_error=failures.append
    )
    await link.start()
    assert link.available

    restartable_redis.stop()
    try:
        await link.client.ping()
    except (redis.RedisError, OSError) as error:
        link.mark_down("ping", error)
    assert not link.available
    assert link.last_error is not None

    restartable_redis.start()
    await wait_until_available(link)
    await link.close()

    assert link.available
    assert link.last_error is None
    assert failures[0] == "ping"


async def test_a_redis_that_is_down_at_start_up_does_not_stop_the_start(restartable_redis: RedisServer):
    restartable_redis.stop()
    link = RedisLink(client_from_settings(make_settings(redis_url=restartable_redis.url)), 0.05)

    await link.start()
    down_at_start = link.available
    restartable_redis.start()
    await wait_until_available(link)
    await link.close()

    assert down_at_start is False
    assert link.available is True
