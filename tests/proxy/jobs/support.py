"""Helpers for job tests: fake wall-clock time, waiting without sleeping, and workers."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from proxy.jobs import JobStore, JobWorker, TaskInfo
from proxy.jobs.models import CLAIMED_AHEAD, TASKS
from tests.clocks import FakeClock

EPOCH = datetime(2025, 12, 26, 10, 0, tzinfo=UTC)
LEASE = 30.0
POLL = 1.0


class ManualClock(FakeClock):
    """A FakeClock whose sleeps only yield: time moves when the test calls `advance`, never
    because some loop slept. (With FakeClock, each of a worker's loops would push the shared time
    forward on every turn, and leases would lapse at random.)"""

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)


class FrozenClock(FakeClock):
    """A clock where time never passes: every sleep lasts until cancelled."""

    async def sleep(self, seconds: float) -> None:
        await asyncio.Event().wait()


def wall_clock(clock: FakeClock) -> Callable[[], datetime]:
    """A `utcnow` that moves with the fake clock, so leases expire when fake time passes."""
    return lambda: EPOCH + timedelta(seconds=clock.now())


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Await `check()` until it is true, yielding to the loop (and the store's threads) between
    tries; `timeout` real seconds only bounds a failing test, nothing waits for it."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition still false after waiting")
        await asyncio.sleep(0)


def make_worker(
    store: JobStore,
    run: Callable[[TaskInfo], Any],
    clock: FakeClock,
    utcnow: Callable[[], datetime],
    **options: Any,
) -> JobWorker:
    return JobWorker(
        store,
        run,
        clock=clock,
        utcnow=utcnow,
        lease_seconds=LEASE,
        poll_interval=POLL,
        **options,
    )


async def batch_finished(store: JobStore, *batch_ids: str) -> bool:
    for batch_id in batch_ids:
        status = await store.batch_status(batch_id)
        if status is None or status["status"] == "processing":
            return False
    return True


async def claimed_ahead(store: JobStore, batch_id: str) -> int:
    """Tasks of the batch leased to run next (shown to clients as pending, so read here)."""

    def count() -> int:
        query = select(func.count()).where(TASKS.c.batch_id == batch_id, CLAIMED_AHEAD)
        with store.database.read() as conn:
            return int(conn.execute(query).scalar_one())

    return await asyncio.to_thread(count)
