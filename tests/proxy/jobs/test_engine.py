"""Database URLs and SQLite settings."""

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import StatementError

from proxy.jobs import JobStore, TaskInfo, object_name_seed
from proxy.jobs.engine import normalise_url


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@db:5432/jobs",
        "postgres://u@db:5432/jobs",
        "postgresql+psycopg://u@db:5432/jobs",
    ],
)
def test_postgres_urls_use_psycopg_3(url: str) -> None:
    assert normalise_url(url).drivername == "postgresql+psycopg"


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="SQLite file"):
        normalise_url(url)


async def test_sqlite_file_is_created_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "jobs.db"
    store = JobStore(f"sqlite:///{path}")
    await store.create_schema()
    await store.create_schema()  # idempotent: a restart finds the tables in place
    await store.create_batch(["a"], {})
    await store.close()

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("SELECT count(*) FROM jobs_task").fetchone() == (1,)


async def test_naive_datetimes_are_refused(store: JobStore) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        await store.claim("w", 30, datetime(2025, 1, 1), limit=1)


def test_object_name_seed_depends_only_on_the_task_id() -> None:
    def task(task_id: str, attempts: int) -> TaskInfo:
        return TaskInfo(task_id, "batch_1", 0, "batch", "p", {}, attempts, datetime.now(UTC))

    first = object_name_seed(task("batch_60bfcf0a_task_0", 1))
    assert first == object_name_seed(task("batch_60bfcf0a_task_0", 2))
    assert first != object_name_seed(task("batch_60bfcf0a_task_1", 1))
    assert len(first) == 12
