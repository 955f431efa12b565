"""The provider's gate: one pool and one pacer per account."""

import asyncio

import pytest

from providers.gemini_web import AccountPool, GeminiWebError, GeminiWebSettings
from proxy.accounts.gate import AccountLimits
from proxy.core.clock import SystemClock
from proxy.core.limits import LimitsSettings
from proxy.core.metrics import Metrics
from proxy.status.live_metrics import LiveState
from tests.clocks import FakeClock


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


async def test_pool_gauges_show_waiting_requests_at_scrape_time() -> None:
    limits = LimitsSettings.model_validate({"pool": {"size": 1}, "pacing": {"min_delay": 0.001}})
    metrics = Metrics()
    gate = AccountLimits(["a"], limits, SystemClock(), metrics)
    metrics.watch(LiveState(AccountPool([], GeminiWebSettings()), gate))
    release = asyncio.Event()

    async def use() -> None:
        async with gate.hold("a"):
            await release.wait()

    users = [asyncio.create_task(use()) for _ in range(3)]
    while gate.pools["a"].stats.queued < 2:
        await asyncio.sleep(0)
    scraped = metrics.render().decode()
    assert 'gemini_proxy_pool_in_use{pool="a"} 1.0' in scraped
    assert 'gemini_proxy_pool_queue_depth{pool="a"} 2.0' in scraped
    release.set()
    await asyncio.gather(*users)
    assert 'gemini_proxy_pool_queue_depth{pool="a"} 0.0' in metrics.render().decode()
