"""Clocks for tests: time that moves only when a test says so.

`FakeClock.sleep` moves time itself, which is right for code that sleeps in one task, but makes
every timeout in a race fire at once; `ManualClock.sleep` really waits, until the test moves
time past the sleeper's deadline.
"""

import asyncio
import heapq
import itertools


class FakeClock:
    """A clock that only moves when told to; `sleep` advances it at once and records the wait."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self._now += max(0.0, seconds)
        await asyncio.sleep(0)


async def settle(rounds: int = 20) -> None:
    """Let every ready task run until it blocks again."""
    for _ in range(rounds):
        await asyncio.sleep(0)


class ManualClock:
    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        wake = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._order), wake))
        await wake

    async def advance(self, seconds: float) -> None:
        """Move time on, waking sleepers in deadline order, each at its own deadline."""
        target = self._now + seconds
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, wake = heapq.heappop(self._sleepers)
            self._now = deadline
            if not wake.done():
                wake.set_result(None)
            await settle()
        self._now = target
        await settle()
