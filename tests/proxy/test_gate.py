"""The provider's gate: one pool and one pacer per account."""

import asyncio

import pytest

from providers.gemini_web import GeminiWebError
from proxy.clock import FakeClock
from proxy.gate import AccountLimits
from proxy.limits import LimitsSettings
from proxy.metrics import Metrics


def gate(**pool: int) -> AccountLimits:
    limits = LimitsSettings.model_validate(
        {"pool": {"size": 1, **pool}, "pacing": {"min_delay": 0.001}}
    )
    return AccountLimits(["a", "b"], limits, FakeClock(), Metrics())


async def test_each_account_has_its_own_slots() -> None:
    limits = gate(max_queue=0)
    async with limits.hold("a"), limits.hold("b"):  # both at once: separate pools
        assert limits.pool_stats.available == 0 and limits.pool_stats.max == 2
        with pytest.raises(GeminiWebError) as refused:
            async with limits.hold("a"):
                pass
    assert refused.value.status_code == 429 and refused.value.headers["retry-after"]
    assert limits.pool_stats.available == 2


async def test_a_429_slows_only_that_account() -> None:
    limits = gate()
    with pytest.raises(GeminiWebError):
        async with limits.hold("a"):
            raise GeminiWebError(429, "rate limited")
    async with limits.hold("b"):
        pass
    assert limits.pacers["a"].stats.consecutive_429s == 1
    assert limits.pacers["b"].stats.consecutive_429s == 0
    assert limits.pacing_stats.consecutive_429s == 1
    assert limits.pacing_stats.requests_last_minute == 2


async def test_a_cancelled_holder_frees_its_slot() -> None:
    limits = gate()
    entered = asyncio.Event()

    async def hold_forever() -> None:
        async with limits.hold("a"):
            entered.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(hold_forever())
    await entered.wait()
    assert limits.pools["a"].stats.in_use == 1
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert limits.pools["a"].stats.in_use == 0
