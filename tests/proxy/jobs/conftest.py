"""Job stores on real databases: a SQLite file, and a fresh schema on the PostgreSQL server
(`postgres_schema_url` from tests/databases.py)."""

from collections.abc import AsyncIterator, Callable
from datetime import datetime

import pytest

from proxy.jobs import JobStore
from tests.clocks import FakeClock
from tests.proxy.jobs.support import ManualClock, wall_clock


@pytest.fixture
def clock() -> FakeClock:
    return ManualClock()


@pytest.fixture
def utcnow(clock: FakeClock) -> Callable[[], datetime]:
    return wall_clock(clock)


@pytest.fixture
async def store(db_url: str, utcnow: Callable[[], datetime]) -> AsyncIterator[JobStore]:
    job_store = JobStore(db_url, utcnow=utcnow)
    await job_store.create_schema()
    yield job_store
    await job_store.close()
