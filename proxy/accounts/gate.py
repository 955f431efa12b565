"""The provider's account gate, built from our limits: one concurrency pool and one pacer per
account, so each Gemini web account is protected on its own."""

import random
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from providers.gemini_web import GeminiWebError
from proxy.core.clock import Clock
from proxy.core.limits import (
    ConcurrencyPool,
    LimitError,
    LimitsSettings,
    Pacer,
    PacingStats,
    PoolStats,
)
from proxy.core.metrics import Metrics


class SlotPool(Protocol):
    """A `ConcurrencyPool`, in this process or shared by replicas."""

    def slot(self) -> AbstractAsyncContextManager[None]: ...

    @property
    def stats(self) -> PoolStats: ...


class TurnPacer(Protocol):
    """A `Pacer`, in this process or shared by replicas."""

    async def wait_turn(self) -> None: ...

    def record(self, status: int | None) -> None: ...

    @property
    def stats(self) -> PacingStats: ...


class AccountLimits:
    def __init__(
        self,
        accounts: list[str],
        limits: LimitsSettings,
        clock: Clock,
        metrics: Metrics,
        rng: random.Random | None = None,
    ) -> None:
        self.limits = limits
        self.clock = clock
        self.rng = rng or random.Random()
        self.metrics = metrics
        self.pools: dict[str, SlotPool] = {}
        self.pacers: dict[str, TurnPacer] = {}
        # With no account yet, /health still shows the figures one account would have.
        for name in accounts or [""]:
            self._limits_of(name)

    def _limits_of(self, account: str) -> tuple[SlotPool, TurnPacer]:
        """The account's pool and pacer; an account added while running gets its own."""
        if account not in self.pools:
            if account and self.pools.get("") is not None and not self.pools[""].stats.in_use:
                del self.pools[""], self.pacers[""]  # the stand-in for "no account yet"
            self.pools[account] = self._pool(account)
            self.pacers[account] = self._pacer(account)
        return self.pools[account], self.pacers[account]

    def forget(self, account: str) -> None:
        """Drop a removed account's pool and pacer, so /health and /metrics stop counting them;
        a request holding them still finishes with them."""
        self.pools.pop(account, None)
        self.pacers.pop(account, None)
        if not self.pools:
            self._limits_of("")

    def _pool(self, account: str) -> SlotPool:
        return ConcurrencyPool(self.limits.pool, self.clock, name=account)

    def _pacer(self, account: str) -> TurnPacer:
        return Pacer(self.limits.pacing, self.clock, self.rng)

    async def refresh(self) -> None:
        """Bring `pool_stats` and `pacing_stats` up to date (in this process they always are)."""

    @asynccontextmanager
    async def hold(self, account: str) -> AsyncIterator[None]:
        pool, pacer = self._limits_of(account)
        try:
            async with pool.slot():
                await pacer.wait_turn()
                try:
                    yield
                except Exception as exc:
                    # The provider hands every failure over as a GeminiWebError with a status.
                    pacer.record(getattr(exc, "status_code", 502))
                    raise
                pacer.record(200)
        except LimitError as exc:
            self.metrics.limiter_rejections.labels(exc.reason).inc()
            raise GeminiWebError(429, exc.detail, exc.retry_after, reason=exc.reason) from None

    @property
    def pool_stats(self) -> PoolStats:
        """All accounts together, for /health's `concurrency`."""
        stats = [p.stats for p in self.pools.values()]
        return PoolStats(
            *(sum(getattr(s, f) for s in stats) for f in ("max", "available", "in_use", "queued"))
        )

    @property
    def pacing_stats(self) -> PacingStats:
        """All accounts together, for /health's `rate_limiter`: the slowest pace, the most
        429s in a row, the calls and the allowance of every account."""
        stats = [p.stats for p in self.pacers.values()]
        return PacingStats(
            current_delay=max(s.current_delay for s in stats),
            requests_last_minute=sum(s.requests_last_minute for s in stats),
            consecutive_429s=max(s.consecutive_429s for s in stats),
            rpm_limit=sum(s.rpm_limit for s in stats),
        )
