"""Real servers for the app's tests: redis-server, PostgreSQL and the service under uvicorn, on loopback.

Nothing here is mocked. A missing binary fails the tests with a message saying what to install.
"""

import asyncio
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from embedding_service.main import create_app
from embedding_service.model import EmbeddingModel
from embedding_service.settings import Settings
from fastapi import FastAPI

API_KEY = "test-key-1"
OTHER_API_KEY = "test-key-2"
ADMIN_KEY = "test-admin-key"
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout_s}s")


def require_binary(path: str | None, name: str, package: str) -> str:
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"{name} not found: install the Debian package '{package}' (CI's .ci/run does)")
    return path


@dataclass
class RedisServer:
    """A redis-server on a free loopback port, which tests may stop and start again.

    With tls_directory set it speaks only TLS (like Memorystore's port 6378), with a certificate signed by
    a CA of its own whose PEM text is ca_pem; with password set it requires AUTH.
    """

    binary: str
    directory: Path
    port: int
    password: str | None = None
    tls: bool = False
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'rediss' if self.tls else 'redis'}://127.0.0.1:{self.port}/0"

    @property
    def ca_pem(self) -> str:
        return (self.directory / "ca.pem").read_text()

    def start(self) -> None:
        command = [self.binary, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        if self.tls:
            if not (self.directory / "server.pem").exists():
                make_certificates(self.directory)
            command += ["--port", "0", "--tls-port", str(self.port), "--tls-auth-clients", "no"]
            command += ["--tls-cert-file", "server.pem", "--tls-key-file", "server.key", "--tls-ca-cert-file", "ca.pem"]
        else:
            command += ["--port", str(self.port)]
        if self.password:
            command += ["--requirepass", self.password]
        self.process = subprocess.Popen(command, cwd=self.directory, stdout=subprocess.DEVNULL)
        wait_for_port(self.port, START_TIMEOUT_S, "redis-server")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def make_certificates(directory: Path) -> None:
    """A throw-away CA and a server certificate it signed, made with the openssl command."""
    openssl = require_binary(shutil.which("openssl"), "openssl", "openssl")
    steps = [
        [
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Test server CA",
        ],
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=redis"],
        [
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
        ],
    ]
    for step in steps:
        subprocess.run([openssl, *step], cwd=directory, capture_output=True, check=True)


def postgres_bindir() -> str | None:
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout
        if bindir.strip() and Path(bindir.strip(), "initdb").exists():
            return bindir.strip()
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return str(Path(candidates[-1]).parent) if candidates else None


@dataclass
class PostgresServer:
    """A PostgreSQL cluster in a temporary directory; as root it runs as the Debian `postgres` user."""

    bindir: str
    directory: Path
    port: int
    run_as: list[str]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres?sslmode=disable"

    def _run(self, *command: str) -> None:
        result = subprocess.run([*self.run_as, *command], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr or result.stdout}")

    def initialise(self) -> None:
        self._run(
            f"{self.bindir}/initdb",
            "-D",
            str(self.directory / "data"),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            f"{self.bindir}/pg_ctl",
            "-D",
            str(self.directory / "data"),
            "-o",
            options,
            "-l",
            str(self.directory / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._run(f"{self.bindir}/pg_ctl", "-D", str(self.directory / "data"), "-m", "fast", "-w", "stop")

    def url_of(self, database: str) -> str:
        return self.url.replace("/postgres?", f"/{database}?")

    def execute(self, sql: str, database: str = "postgres") -> str:
        """Runs SQL with psql and returns its unaligned output (for assertions)."""
        connection = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database]
        result = subprocess.run(
            [f"{self.bindir}/psql", *connection, "-At", "-c", sql],
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "api_keys": [API_KEY, OTHER_API_KEY],
        "admin_api_keys": [ADMIN_KEY],
        "usage_flush_interval_ms": 50,
        "usage_retry_interval_s": 0.2,
        "redis_retry_interval_s": 0.2,
        "sqlite_path": Path(tempfile.mkdtemp(prefix="usage-")) / "usage.sqlite3",
    }
    values.update(overrides)
    return Settings.model_validate(values)


@dataclass
class LiveServer:
    base_url: str
    app: FastAPI

    def client(self, api_key: str | None = API_KEY) -> httpx.Client:
        headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)


@contextmanager
def run_live_server(
    settings: Settings, model_loader: Callable[[Settings], EmbeddingModel], *, wait_until_ready: bool = True
) -> Iterator[LiveServer]:
    """The service under a real uvicorn in a thread; leaving the block stops it as SIGTERM would."""
    app = create_app(settings, model_loader=model_loader)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while wait_until_ready:
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the service did not become ready")
        time.sleep(0.05)
    wait_for_port(port, START_TIMEOUT_S, "uvicorn")
    try:
        yield LiveServer(base_url, app)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
