"""The account gate shared by every replica: leases for the slots, shared pacing, and cooldowns.

A usage limit or a block seen by one replica cools the account down on all of them for the
upstream's suggested wait:

    {prefix}cooldown:{account}   string with a TTL: set while the account must rest
"""

import logging
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from providers.gemini_web import GeminiWebError
from proxy.accounts.gate import AccountLimits, SlotPool, TurnPacer
from proxy.core.clock import Clock
from proxy.core.limits import ConcurrencyPool, LimitsSettings, Pacer
from proxy.core.metrics import Metrics
from proxy.core.shared.errors import SharedStateDown
from proxy.core.shared.leases import SharedPool
from proxy.core.shared.pacing import SharedPacer
from proxy.core.shared.store import SharedStore

logger = logging.getLogger(__name__)

COOLDOWN_REASONS = frozenset({"usage_limit", "blocked"})
"""Upstream failures that mean the account itself must rest (they carry a Retry-After)."""
UNAVAILABLE = "Account limits cannot be checked: Redis is unreachable"


class SharedAccountLimits(AccountLimits):
    """`AccountLimits` whose pools, pacers and cooldowns live in Redis. `fail_open`: while Redis
    is unreachable each replica uses its own pool and pacer; otherwise requests get a 503."""

    def __init__(
        self,
        store: SharedStore,
        accounts: list[str],
        limits: LimitsSettings,
        clock: Clock,
        metrics: Metrics,
        *,
        fail_open: bool,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.fail_open = fail_open
        super().__init__(accounts, limits, clock, metrics, rng)

    def _pool(self, account: str) -> SlotPool:
        local = ConcurrencyPool(self.limits.pool, self.clock, account) if self.fail_open else None
        return SharedPool(self.store, self.limits.pool, self.clock, account, local)

    def _pacer(self, account: str) -> TurnPacer:
        local = Pacer(self.limits.pacing, self.clock, self.rng) if self.fail_open else None
        return SharedPacer(self.store, self.limits.pacing, self.clock, self.rng, account, local)

    async def refresh(self) -> None:
        """Read the shared figures; while Redis is unreachable the last ones stay."""
        try:
            for shared in [*self.pools.values(), *self.pacers.values()]:
                assert isinstance(shared, SharedPool | SharedPacer)  # made by `_pool`, `_pacer`
                await shared.refresh()
        except SharedStateDown:
            logger.warning("Redis unreachable: /health and /metrics show the last shared figures")

    async def flush(self) -> None:
        """Finish writing the outcomes the pacers record in the background."""
        for pacer in list(self.pacers.values()):
            assert isinstance(pacer, SharedPacer)  # made by `_pacer`
            await pacer.flush()

    @asynccontextmanager
    async def hold(self, account: str) -> AsyncIterator[None]:
        try:
            await self._check_cooldown(account)
            async with super().hold(account):
                try:
                    yield
                except GeminiWebError as exc:
                    await self._cool_down(account, exc)
                    raise
        except SharedStateDown:
            self.metrics.limiter_rejections.labels("shared_state_unavailable").inc()
            raise GeminiWebError(503, UNAVAILABLE, reason="shared_state_unavailable") from None

    def _cooldown_key(self, account: str) -> str:
        return self.store.key("cooldown", account)

    async def _check_cooldown(self, account: str) -> None:
        try:
            left_ms = await self.store.command("PTTL", self._cooldown_key(account))
        except SharedStateDown:
            if self.fail_open:
                return
            raise
        if left_ms > 0:
            self.metrics.limiter_rejections.labels("cooldown").inc()
            raise GeminiWebError(
                429,
                "This Gemini web account is resting after a usage limit or block",
                left_ms / 1000,
                reason="cooldown",
            )

    async def _cool_down(self, account: str, error: GeminiWebError) -> None:
        seconds = float(error.headers.get("retry-after", 0))
        if error.reason not in COOLDOWN_REASONS or seconds <= 0:
            return
        try:
            await self.store.command(
                "SET", self._cooldown_key(account), error.reason, "PX", round(seconds * 1000)
            )
        except SharedStateDown:
            logger.warning("Redis unreachable: a cooldown of account %r was not shared", account)
