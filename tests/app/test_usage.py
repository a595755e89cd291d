"""The usage log: idempotent schema, batched writes, daily sums per key, drops and outages."""

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from embedding_service.usage import (
    USAGE_COLUMNS,
    DailyUsage,
    PostgresUsageStore,
    SqliteUsageStore,
    UsageLog,
    UsageRecord,
    UsageStore,
)

from .servers import PostgresServer

pytestmark = pytest.mark.anyio


def row(key: str, day: int, status: int = 200, inputs: int = 2, at_hour: int = 12) -> UsageRecord:
    return UsageRecord(
        created_at=datetime(2026, 3, day, at_hour, 30, tzinfo=UTC),
        key_id=key,
        model="m",
        inputs=inputs,
        tokens=inputs * 5,
        cache_hits=1,
        latency_ms=12.5,
        status=status,
    )


def test_a_record_row_holds_every_column_in_the_tables_order() -> None:
    record = row("key-a", 3)
    assert dict(zip(USAGE_COLUMNS, record.row(), strict=True)) == dataclasses.asdict(record)


@pytest.fixture(params=["postgresql", "sqlite"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: PostgresServer
) -> AsyncIterator[UsageStore]:
    if request.param == "sqlite":
        yield SqliteUsageStore(tmp_path / "usage.sqlite3")
        return
    database = request.getfixturevalue("fresh_database")
    postgres = PostgresUsageStore(postgres_server.url_of(database), None, pool_size=2)
    await postgres.open()
    yield postgres
    await postgres.close()


async def test_migrating_twice_or_concurrently_is_harmless(store: UsageStore):
    await asyncio.gather(store.migrate(), store.migrate())
    await store.migrate()
    await store.write([row("key_a", 1)])

    assert len(await store.daily_usage(date(2026, 3, 1), date(2026, 3, 2))) == 1


async def test_daily_usage_sums_requests_inputs_tokens_and_errors_per_key_per_day(store: UsageStore):
    await store.migrate()
    await store.write(
        [row("key_a", 1), row("key_a", 1, status=429, inputs=0), row("key_b", 1), row("key_a", 2, at_hour=23)]
    )

    summary = await store.daily_usage(date(2026, 3, 1), date(2026, 3, 3))

    assert summary == [
        DailyUsage("key_a", date(2026, 3, 1), requests=2, inputs=2, tokens=10, cache_hits=2, errors=1),
        DailyUsage("key_b", date(2026, 3, 1), requests=1, inputs=2, tokens=10, cache_hits=1, errors=0),
        DailyUsage("key_a", date(2026, 3, 2), requests=1, inputs=2, tokens=10, cache_hits=1, errors=0),
    ]


async def test_daily_usage_covers_only_the_days_asked_for(store: UsageStore):
    await store.migrate()
    await store.write([row("key_a", 1), row("key_a", 2), row("key_a", 3)])

    summary = await store.daily_usage(date(2026, 3, 2), date(2026, 3, 3))

    assert [entry.day for entry in summary] == [date(2026, 3, 2)]


async def test_rows_are_written_in_batches_no_larger_than_batch_rows(tmp_path: Path):
    written: list[int] = []
    log = UsageLog(
        SqliteUsageStore(tmp_path / "u.sqlite3"),
        queue_size=100,
        batch_rows=4,
        flush_interval_s=0.05,
        retry_interval_s=0.05,
        on_written=written.append,
    )
    await log.start()

    for _ in range(10):
        log.record(row("key_a", 1))
    await log.stop(timeout_s=5)

    assert sum(written) == 10
    assert max(written) == 4


async def test_rows_beyond_the_queue_size_are_dropped_and_counted_without_blocking(tmp_path: Path):
    dropped: list[None] = []
    log = UsageLog(
        SqliteUsageStore(tmp_path / "u.sqlite3"),
        queue_size=3,
        batch_rows=100,
        flush_interval_s=60,
        retry_interval_s=0.05,
        on_dropped=lambda: dropped.append(None),
    )
    await log.start()

    for _ in range(5):
        log.record(row("key_a", 1))
    pending = log.pending_rows
    await log.stop(timeout_s=5)
    stored = await log.store.daily_usage(date(2026, 3, 1), date(2026, 3, 2))

    assert pending == 3
    assert len(dropped) == 2
    assert stored[0].requests == 3


async def test_a_database_down_at_start_up_gets_its_schema_and_rows_once_it_is_up(
    postgres_server: PostgresServer, fresh_database: str
):
    errors: list[None] = []
    store = PostgresUsageStore(postgres_server.url_of(fresh_database), None, pool_size=2)
    log = UsageLog(
        store,
        queue_size=100,
        batch_rows=10,
        flush_interval_s=0.05,
        retry_interval_s=0.1,
        on_write_error=lambda: errors.append(None),
    )
    postgres_server.stop()
    try:
        await log.start()
        for day in (1, 2, 3):
            log.record(row("key_late", day))
        await asyncio.sleep(0.5)
        while_down = (log.store_available, log.pending_rows)
    finally:
        postgres_server.start()
    for _ in range(150):
        if log.pending_rows == 0:
            break
        await asyncio.sleep(0.1)
    await log.stop(timeout_s=5)

    assert while_down == (False, 3)
    assert errors
    assert postgres_server.execute("SELECT count(*) FROM usage_log", fresh_database) == "3"
    assert postgres_server.execute("SELECT max(version) FROM schema_migrations", fresh_database) == "2"


async def test_shutdown_gives_up_after_its_timeout_when_the_database_stays_down(tmp_path: Path):
    missing_directory = tmp_path / "no" / "such" / "dir" / "u.sqlite3"
    log = UsageLog(
        SqliteUsageStore(missing_directory),
        queue_size=10,
        batch_rows=10,
        flush_interval_s=0.01,
        retry_interval_s=0.05,
    )
    await log.start()
    log.record(row("key_a", 1))

    started = asyncio.get_running_loop().time()
    await log.stop(timeout_s=0.3)
    waited = asyncio.get_running_loop().time() - started

    assert 0.3 <= waited < 2
    assert log.pending_rows == 1
