"""Helpers for job tests: fake wall-clock time and waiting without sleeping."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from tests.clocks import FakeClock

EPOCH = datetime(2025, 12, 26, 10, 0, tzinfo=UTC)


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
