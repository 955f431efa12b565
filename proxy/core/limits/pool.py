"""The concurrency pool: at most N upstream requests in flight, the rest wait their turn."""

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from proxy.core.clock import Clock
from proxy.core.limits.config import PoolSettings
from proxy.core.limits.errors import PoolFull, PoolTimeout

# Weight of the newest hold time in the running mean behind the suggested retry_after.
_HOLD_WEIGHT = 0.2


class WaitEstimate:
    """What a request that finds the slots taken should be told to wait: the rounds of the
    queue ahead of it times a running mean of how long a slot is held."""

    def __init__(self, size: int, max_wait: float) -> None:
        self._size = size
        self._max_wait = max_wait
        self._mean_hold: float | None = None

    def observe(self, seconds: float) -> None:
        """A slot was held `seconds`."""
        if self._mean_hold is None:
            self._mean_hold = seconds
        else:
            self._mean_hold += _HOLD_WEIGHT * (seconds - self._mean_hold)

    def suggested_wait(self, queued: int) -> float:
        if self._mean_hold is None:
            return self._max_wait
        return min(self._max_wait, (queued // self._size + 1) * self._mean_hold)


@dataclass(frozen=True, slots=True)
class PoolStats:
    max: int
    available: int
    in_use: int
    queued: int


class ConcurrencyPool:
    """`async with pool.slot():` runs the body holding one of `size` slots.

    Waiters queue in FIFO order: a freed slot passes straight to the oldest waiter, so a
    newcomer never overtakes the queue. The queue is bounded in length (`PoolFull` at once) and
    in time (`PoolTimeout` after `max_wait_seconds` on the clock). A cancelled waiter leaves the
    queue at once; a cancelled holder frees its slot at once. Several pools (say one per account)
    are simply several instances, told apart by `name`.
    """

    def __init__(self, settings: PoolSettings, clock: Clock, name: str = "default") -> None:
        self.name = name
        self._size = settings.size
        self._max_queue = settings.max_queue
        self._max_wait = settings.max_wait_seconds
        self._clock = clock
        self._in_use = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._wait = WaitEstimate(self._size, self._max_wait)

    @property
    def stats(self) -> PoolStats:
        return PoolStats(self._size, self._size - self._in_use, self._in_use, len(self._waiters))

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self._acquire()
        started = self._clock.now()
        try:
            yield
        finally:
            self._wait.observe(self._clock.now() - started)
            self._release()

    async def _acquire(self) -> None:
        if self._in_use < self._size:
            self._in_use += 1
            return
        if len(self._waiters) >= self._max_queue:
            queued = len(self._waiters)
            raise PoolFull(self.name, queued, self._wait.suggested_wait(queued))
        grant = asyncio.get_running_loop().create_future()
        self._waiters.append(grant)
        timer = asyncio.ensure_future(self._expire(grant))
        try:
            await grant
        except BaseException:
            if grant.done() and not grant.cancelled() and grant.exception() is None:
                # The slot was handed over just as we were cancelled: hand it on.
                self._release()
            elif grant in self._waiters:
                self._waiters.remove(grant)
            raise
        finally:
            timer.cancel()

    async def _expire(self, grant: asyncio.Future[None]) -> None:
        await self._clock.sleep(self._max_wait)
        if not grant.done():
            self._waiters.remove(grant)
            wait = self._wait.suggested_wait(len(self._waiters))
            grant.set_exception(PoolTimeout(self.name, self._max_wait, wait))

    def _release(self) -> None:
        while self._waiters:
            grant = self._waiters.popleft()
            # A waiter cancelled a moment ago may still be queued until its task runs.
            if not grant.done():
                grant.set_result(None)  # the slot changes hands; in_use stays the same
                return
        self._in_use -= 1
