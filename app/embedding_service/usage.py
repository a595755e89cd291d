"""The usage log: rows queued in memory, written in batches by one background task.

Requests never wait for the database: a full queue drops the row (and counts it); a failed write keeps its
batch and retries, so rows survive a database outage as long as the queue has room.
"""

import asyncio
import contextlib
import logging
import re
import sqlite3
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg_pool import AsyncConnectionPool

from embedding_service.errors import InvalidRequestError, UsageStoreUnavailableError

logger = logging.getLogger(__name__)

# How often a writer waiting for more rows checks whether shutdown has begun.
WAKE_INTERVAL_S = 0.05

USAGE_DEFAULT_DAYS = 30
# Days /v1/usage accepts: any in years 2000-2999 (so that no window arithmetic can overflow).
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2999, 12, 31)
DAY_PATTERN = r"^2[0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"

USAGE_COLUMNS = ("created_at", "key_id", "model", "inputs", "tokens", "cache_hits", "latency_ms", "status")


@dataclass(frozen=True)
class UsageRecord:
    """One embeddings request: who (key id, never the key), how much, how fast, and its HTTP status."""

    created_at: datetime
    key_id: str
    model: str
    inputs: int
    tokens: int
    cache_hits: int
    latency_ms: float
    status: int

    def row(self) -> tuple[datetime, str, str, int, int, int, float, int]:
        """The values in USAGE_COLUMNS order; a plain tuple (dataclasses.astuple deep-copies every field)."""
        return (
            self.created_at,
            self.key_id,
            self.model,
            self.inputs,
            self.tokens,
            self.cache_hits,
            self.latency_ms,
            self.status,
        )


@dataclass(frozen=True)
class DailyUsage:
    key_id: str
    day: date
    requests: int
    inputs: int
    tokens: int
    cache_hits: int
    errors: int


class UsageStore(Protocol):
    async def open(self) -> None: ...

    async def migrate(self) -> None: ...

    async def write(self, rows: list[UsageRecord]) -> None: ...

    async def daily_usage(self, since: date, until: date) -> list[DailyUsage]: ...

    async def close(self) -> None: ...


POSTGRES_MIGRATIONS = (
    """CREATE TABLE usage_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz NOT NULL,
        key_id text NOT NULL,
        model text NOT NULL,
        inputs integer NOT NULL,
        tokens integer NOT NULL,
        cache_hits integer NOT NULL,
        latency_ms double precision NOT NULL,
        status smallint NOT NULL
    )""",
    "CREATE INDEX usage_log_created_at_key_id ON usage_log (created_at, key_id)",
)

# Any constant shared by all instances: it serialises concurrent migrations at start-up.
MIGRATION_LOCK_ID = 4_242_001

DAILY_USAGE_SQL = """
    SELECT key_id, {day} AS day, count(*), sum(inputs), sum(tokens), sum(cache_hits),
           sum(CASE WHEN status >= 400 THEN 1 ELSE 0 END)
    FROM usage_log WHERE created_at >= {since} AND created_at < {until}
    GROUP BY key_id, day ORDER BY day, key_id
"""


class PostgresUsageStore:
    """Usage rows in PostgreSQL through a small pool (DATABASE_POOL_SIZE connections at most)."""

    def __init__(self, url: str, password: str | None, pool_size: int) -> None:
        connection_options: dict[str, Any] = {"connect_timeout": 5, "application_name": "embedding-service"}
        if password is not None:
            connection_options["password"] = password
        self._pool = AsyncConnectionPool(
            url,
            kwargs=connection_options,
            min_size=1,
            max_size=pool_size,
            open=False,
            timeout=5.0,
            check=AsyncConnectionPool.check_connection,
            reconnect_timeout=float("inf"),
        )

    async def open(self) -> None:
        await self._pool.open(wait=False)

    async def migrate(self) -> None:
        async with self._pool.connection() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_ID,))
            await connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            cursor = await connection.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
            row = await cursor.fetchone()
            applied = row[0] if row else 0
            for version, statement in enumerate(POSTGRES_MIGRATIONS, start=1):
                if version > applied:
                    await connection.execute(statement)
                    await connection.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))

    async def write(self, rows: list[UsageRecord]) -> None:
        copy_sql = f"COPY usage_log ({', '.join(USAGE_COLUMNS)}) FROM STDIN"
        async with (
            self._pool.connection() as connection,
            connection.cursor() as cursor,
            cursor.copy(copy_sql) as copy,
        ):
            for row in rows:
                await copy.write_row(row.row())

    async def daily_usage(self, since: date, until: date) -> list[DailyUsage]:
        query = DAILY_USAGE_SQL.format(
            day="(created_at AT TIME ZONE 'UTC')::date",
            since="(%(since)s::date AT TIME ZONE 'UTC')",
            until="(%(until)s::date AT TIME ZONE 'UTC')",
        )
        async with self._pool.connection() as connection:
            cursor = await connection.execute(query, {"since": since, "until": until})
            return [DailyUsage(*row) for row in await cursor.fetchall()]

    async def close(self) -> None:
        await self._pool.close()


SQLITE_MIGRATIONS = (
    """CREATE TABLE usage_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at TEXT NOT NULL,
        key_id TEXT NOT NULL,
        model TEXT NOT NULL,
        inputs INTEGER NOT NULL,
        tokens INTEGER NOT NULL,
        cache_hits INTEGER NOT NULL,
        latency_ms REAL NOT NULL,
        status INTEGER NOT NULL
    )""",
    "CREATE INDEX usage_log_created_at_key_id ON usage_log (created_at, key_id)",
)


class SqliteUsageStore:
    """Usage rows in a local SQLite file, for a laptop without PostgreSQL."""

    def __init__(self, path: Path) -> None:
        self._path = path

    async def open(self) -> None:
        return None

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=5.0, isolation_level=None)

    def _migrate(self) -> None:
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)")
            applied = connection.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]
            for version, statement in enumerate(SQLITE_MIGRATIONS, start=1):
                if version > applied:
                    connection.execute(statement)
                    connection.execute("INSERT INTO schema_migrations (version) VALUES (?)", (version,))
            connection.execute("COMMIT")

    def _write(self, rows: list[UsageRecord]) -> None:
        placeholders = ", ".join("?" for _ in USAGE_COLUMNS)
        with self._connect() as connection:
            connection.execute("BEGIN")
            connection.executemany(
                f"INSERT INTO usage_log ({', '.join(USAGE_COLUMNS)}) VALUES ({placeholders})",  # noqa: S608
                [(row.created_at.isoformat(), *row.row()[1:]) for row in rows],
            )
            connection.execute("COMMIT")

    def _daily_usage(self, since: date, until: date) -> list[DailyUsage]:
        query = DAILY_USAGE_SQL.format(day="date(created_at)", since=":since", until=":until")
        with self._connect() as connection:
            cursor = connection.execute(query, {"since": since.isoformat(), "until": until.isoformat()})
            return [DailyUsage(key_id, date.fromisoformat(day), *counts) for key_id, day, *counts in cursor.fetchall()]

    async def migrate(self) -> None:
        await asyncio.to_thread(self._migrate)

    async def write(self, rows: list[UsageRecord]) -> None:
        await asyncio.to_thread(self._write, rows)

    async def daily_usage(self, since: date, until: date) -> list[DailyUsage]:
        return await asyncio.to_thread(self._daily_usage, since, until)

    async def close(self) -> None:
        return None


@dataclass
class UsageLog:
    """A bounded queue of usage rows and the task that writes them in batches."""

    store: UsageStore
    queue_size: int
    batch_rows: int
    flush_interval_s: float
    retry_interval_s: float
    on_written: Callable[[int], None] = lambda _rows: None
    on_dropped: Callable[[], None] = lambda: None
    on_write_error: Callable[[], None] = lambda: None
    schema_ready: bool = field(default=False, init=False)
    store_available: bool = field(default=False, init=False)
    last_error: str | None = field(default=None, init=False)
    _rows: deque[UsageRecord] = field(default_factory=deque, init=False)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _in_flight: list[UsageRecord] = field(default_factory=list, init=False)
    _writer: asyncio.Task[None] | None = field(default=None, init=False)
    _closing: bool = field(default=False, init=False)

    @property
    def pending_rows(self) -> int:
        """Rows accepted but not yet stored: queued, plus the batch being written."""
        return len(self._rows) + len(self._in_flight)

    async def start(self) -> None:
        await self.store.open()
        await self._try_migrate()
        self._writer = asyncio.create_task(self._run(), name="usage-writer")

    def record(self, row: UsageRecord) -> None:
        """Queue a row without waiting; when queue_size rows are already pending it is dropped."""
        if self.pending_rows >= self.queue_size:
            self.on_dropped()
            return
        self._rows.append(row)
        self._arrived.set()

    async def stop(self, timeout_s: float) -> None:
        """Write what is queued (waiting at most timeout_s), then stop the writer and close the store."""
        self._closing = True
        self._arrived.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self.pending_rows and loop.time() < deadline:
            await asyncio.sleep(WAKE_INTERVAL_S)
        if self.pending_rows:
            logger.error("usage log: %d rows not written at shutdown", self.pending_rows)
        if self._writer:
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
        await self.store.close()

    async def _try_migrate(self) -> None:
        try:
            await self.store.migrate()
        except (psycopg.Error, sqlite3.Error, OSError, TimeoutError) as error:
            self._failed("migrate", error)
        else:
            self.schema_ready = True
            self.store_available = True

    async def _run(self) -> None:
        while True:
            await self._wait_for_batch()
            self._in_flight = [self._rows.popleft() for _ in range(min(self.batch_rows, len(self._rows)))]
            await self._write_until_stored(self._in_flight)
            self._in_flight = []

    async def _wait_for_batch(self) -> None:
        """Until batch_rows rows are queued or the first has waited flush_interval_s (or shutdown began)."""
        while not self._rows:
            self._arrived.clear()
            await self._arrived.wait()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.flush_interval_s
        while len(self._rows) < self.batch_rows and not self._closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), min(remaining, WAKE_INTERVAL_S))

    async def _write_until_stored(self, batch: list[UsageRecord]) -> None:
        while True:
            if not self.schema_ready:
                await self._try_migrate()
            if self.schema_ready:
                try:
                    await self.store.write(batch)
                except (psycopg.Error, sqlite3.Error, OSError, TimeoutError) as error:
                    self._failed("write", error)
                else:
                    self.store_available = True
                    self.last_error = None
                    self.on_written(len(batch))
                    return
            await asyncio.sleep(self.retry_interval_s)

    def _failed(self, operation: str, error: Exception) -> None:
        if self.store_available or self.last_error is None:
            logger.warning("usage log %s failed: %s", operation, error)
        self.on_write_error()
        self.store_available = False
        self.last_error = f"{type(error).__name__}: {error}"


def parse_day(value: str | None, param: str) -> date | None:
    """A YYYY-MM-DD day between EARLIEST_DAY and LATEST_DAY, or InvalidRequestError naming param."""
    if value is None:
        return None
    day = None
    if re.fullmatch(DAY_PATTERN, value):
        with contextlib.suppress(ValueError):
            day = date.fromisoformat(value)
    if day is None:
        raise InvalidRequestError(
            f"'{param}' must be a day written YYYY-MM-DD between {EARLIEST_DAY} and {LATEST_DAY}, got {value!r}.",
            param=param,
        )
    return day


def usage_window(start: str | None, end: str | None, today: date) -> tuple[date, date]:
    """The first and last day (inclusive) a usage report covers: by default the last USAGE_DEFAULT_DAYS."""
    until = parse_day(end, "end") or today
    since = parse_day(start, "start") or max(EARLIEST_DAY, until - timedelta(days=USAGE_DEFAULT_DAYS - 1))
    if since > until:
        raise InvalidRequestError(f"'start' ({since}) is after 'end' ({until}).", param="start")
    return since, until


async def usage_report(store: UsageStore, since: date, until: date) -> list[DailyUsage]:
    """Daily usage per key from since to until (inclusive); UsageStoreUnavailableError if the store fails."""
    try:
        return await store.daily_usage(since, until + timedelta(days=1))
    except (psycopg.Error, sqlite3.Error, OSError) as error:
        raise UsageStoreUnavailableError(f"The usage database is unavailable: {error}") from error
