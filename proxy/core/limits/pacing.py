"""Upstream pacing: an adaptive minimum spacing between consecutive upstream calls, with jitter,
under a hard cap of calls per rolling minute."""

import asyncio
import random
from collections import deque
from dataclasses import dataclass

from proxy.core.clock import Clock
from proxy.core.limits.config import PacingSettings

MINUTE = 60.0
# Waits shorter than this are float noise left after a sleep, not worth another sleep.
_EPSILON = 1e-6


@dataclass(frozen=True, slots=True)
class PacingStats:
    """The `rate_limiter` object of /health."""

    current_delay: float
    requests_last_minute: int
    consecutive_429s: int
    rpm_limit: int


class Pacer:
    """Call `await wait_turn()` right before an upstream call and `record(status)` right after.

    A turn starts no earlier than

        max(previous start, last 429) + delay * (1 + jitter * u),   u uniform in [0, 1)

    nor before the oldest of the last `rpm` starts is a minute old. `delay` starts at
    `min_delay`, is multiplied by `backoff` on a 429 (up to `max_delay`) and by `recovery` on a
    success (down to `min_delay`). It is a spacing, not a sleep: a call after a quiet spell goes
    at once. Waiters take turns one at a time in arrival order, so they cannot stampede; the
    one at the head re-reads the delay after sleeping, so a 429 meanwhile still pushes it back.
    """

    def __init__(self, settings: PacingSettings, clock: Clock, rng: random.Random) -> None:
        self._settings = settings
        self._clock = clock
        self._rng = rng
        self._delay = settings.min_delay
        self._last_start = float("-inf")
        self._last_429 = float("-inf")
        self._consecutive_429s = 0
        self._starts: deque[float] = deque()  # starts in the last minute, oldest first
        self._turn = asyncio.Lock()

    @property
    def stats(self) -> PacingStats:
        horizon = self._clock.now() - MINUTE
        recent = sum(1 for start in self._starts if start > horizon)
        return PacingStats(self._delay, recent, self._consecutive_429s, self._settings.rpm)

    async def wait_turn(self) -> None:
        """Wait until the next upstream call may start, and count it as started."""
        async with self._turn:
            u = self._rng.random()
            while (wait := self._wait(u)) > _EPSILON:
                await self._clock.sleep(wait)
            self._last_start = self._clock.now()
            self._starts.append(self._last_start)

    def record(self, status: int | None) -> None:
        """The outcome of the call: its HTTP status, or None if it got none.

        A 429 slows the pace; a 2xx relaxes it; anything else leaves it, but ends a run of 429s.
        """
        settings = self._settings
        if status == 429:
            self._consecutive_429s += 1
            self._delay = min(self._delay * settings.backoff, settings.max_delay)
            self._last_429 = self._clock.now()
            return
        self._consecutive_429s = 0
        if status is not None and 200 <= status < 300:
            self._delay = max(self._delay * settings.recovery, settings.min_delay)

    def _wait(self, u: float) -> float:
        now = self._clock.now()
        starts = self._starts
        while starts and starts[0] <= now - MINUTE:
            starts.popleft()
        anchor = max(self._last_start, self._last_429)
        next_start = anchor + self._delay * (1 + self._settings.jitter * u)
        if len(starts) >= self._settings.rpm:
            next_start = max(next_start, starts[-self._settings.rpm] + MINUTE)
        return next_start - now
