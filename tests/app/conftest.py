"""Fixtures that start real Valkey and PostgreSQL processes (from pinned wheels) and the service; see servers.py."""

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from embedding_service.model import EmbeddingModel
from embedding_service.onnx_backend import export

from .servers import (
    LiveServer,
    PostgresServer,
    RedisServer,
    free_port,
    make_settings,
    postgres_bindir_for,
    run_live_server,
    unprivileged_account,
    valkey_server_binary,
)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Async tests run on asyncio, the loop uvicorn runs the service on."""
    return "asyncio"


@pytest.fixture(scope="package", autouse=True)
def restore_the_event_loop_policy() -> Iterator[None]:
    """Leaves asyncio as these tests found it.

    Running a loop in the main thread (the async tests do) ends with no current loop, and later tests that
    call asyncio.get_event_loop() (Pulumi's mocks) would fail; a fresh policy makes it create one again.
    """
    yield
    asyncio.set_event_loop_policy(None)


@contextmanager
def running_redis(prefix: str, password: str | None = None, tls: bool = False) -> Iterator[RedisServer]:
    """A valkey-server of its own in a temporary directory on a free loopback port, stopped afterwards."""
    binary = valkey_server_binary()
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        server = RedisServer(binary, Path(directory), free_port(), password=password, tls=tls)
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    with running_redis("redis-") as server:
        yield server


@pytest.fixture
def restartable_redis() -> Iterator[RedisServer]:
    """A Redis of the test's own, for tests that kill it."""
    with running_redis("redis-") as server:
        yield server


@pytest.fixture
def memorystore_like_redis() -> Iterator[RedisServer]:
    """A Redis that, like Memorystore with AUTH and in-transit encryption, wants TLS and a password."""
    with running_redis("redis-tls-", password="auth-string", tls=True) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    directory = Path(tempfile.mkdtemp(prefix="postgres-"))
    binaries = Path(tempfile.mkdtemp(prefix="postgres-binaries-"))
    account = unprivileged_account()
    server = PostgresServer(postgres_bindir_for(account, binaries), directory, free_port(), account)
    try:
        server.initialise()
        server.start()
        yield server
        server.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        shutil.rmtree(binaries, ignore_errors=True)


@pytest.fixture
def fresh_database(postgres_server: PostgresServer) -> Iterator[str]:
    """The name of an empty database of the test's own on the session's PostgreSQL."""
    name = f"test_{os.getpid()}_{time.monotonic_ns()}"
    postgres_server.execute(f"CREATE DATABASE {name}")
    yield name
    postgres_server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def onnx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The export, made here from the packaged model, once per run: the ONNX and OpenVINO backends read it."""
    directory = tmp_path_factory.mktemp("onnx")
    export(directory)
    return directory


@pytest.fixture(scope="session")
def embedding_model() -> EmbeddingModel:
    return EmbeddingModel("cpu")


@pytest.fixture
def live_server_factory(embedding_model: EmbeddingModel) -> Callable[..., AbstractContextManager[LiveServer]]:
    """Starts the service with settings overridden per test (keys, Redis, database, limits)."""

    def factory(**overrides: object) -> AbstractContextManager[LiveServer]:
        return run_live_server(make_settings(**overrides), lambda _settings: embedding_model)

    return factory
