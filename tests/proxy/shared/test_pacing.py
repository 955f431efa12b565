"""Pacing and cooldowns on real Redis: one replica's 429 slows every replica."""

import asyncio
import random

import pytest
from litellm.types.utils import ModelResponse

from providers.gemini_web import AccountPool, AccountSettings, GeminiWebError, GeminiWebSettings
from providers.gemini_web.plugin import GeminiWebLLM
from proxy.accounts.shared_gate import SharedAccountLimits
from proxy.core.clock import SystemClock
from proxy.core.limits import LimitsSettings, PacingSettings
from proxy.core.metrics import Metrics
from proxy.core.shared.pacing import SharedPacer
from proxy.core.shared.store import SharedStore
from tests.fakes.gemini_web import FakeGeminiWeb
from tests.proxy.shared.stores import unreachable


class Stop(Exception):
    pass


class RecordingClock(SystemClock):
    """Real time; records each sleep, and refuses any longer than `limit`."""

    def __init__(self, limit: float = 5.0) -> None:
        self.sleeps: list[float] = []
        self.limit = limit

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if seconds > self.limit:
            raise Stop
        await asyncio.sleep(seconds)


def pacer(s: SharedStore, clock: SystemClock, **settings: float) -> SharedPacer:
    options = PacingSettings.model_validate({"jitter": 0, **settings})
    return SharedPacer(s, options, clock, random.Random(1), "main")


async def test_a_429_on_one_replica_spaces_the_next_call_on_another(
    stores: list[SharedStore],
) -> None:
    clock_b = RecordingClock()
    a = pacer(stores[0], SystemClock(), min_delay=0.05, backoff=4)
    b = pacer(stores[1], clock_b, min_delay=0.05, backoff=4)
    await a.wait_turn()
    a.record(429)
    await a.flush()  # the outcome is written in the background
    await b.refresh()
    assert b.stats.consecutive_429s == 1 and b.stats.current_delay == pytest.approx(0.2)
    await b.wait_turn()
    assert 0.15 < sum(clock_b.sleeps) <= 0.21  # 4 x 0.05 s after the 429
    await b.refresh()
    assert b.stats.requests_last_minute == 2


async def test_the_rolling_minute_cap_counts_every_replica(stores: list[SharedStore]) -> None:
    clock = RecordingClock(limit=1.0)
    a = pacer(stores[0], clock, min_delay=0.001, rpm=2)
    b = pacer(stores[1], clock, min_delay=0.001, rpm=2)
    await a.wait_turn()
    await b.wait_turn()
    with pytest.raises(Stop):
        await a.wait_turn()
    assert 59 < clock.sleeps[-1] <= 60


def gate(s: SharedStore, *, fail_open: bool = False) -> SharedAccountLimits:
    limits = LimitsSettings.model_validate({"pacing": {"min_delay": 0.001}})
    return SharedAccountLimits(s, ["a", "b"], limits, SystemClock(), Metrics(), fail_open=fail_open)


async def test_a_usage_limit_rests_the_account_on_every_replica(
    stores: list[SharedStore],
) -> None:
    first, second = gate(stores[0]), gate(stores[1])
    with pytest.raises(GeminiWebError):
        async with first.hold("a"):
            raise GeminiWebError(429, "usage limit", 300, reason="usage_limit")
    with pytest.raises(GeminiWebError) as resting:
        async with second.hold("a"):
            pass
    assert resting.value.status_code == 429 and resting.value.reason == "cooldown"
    assert 298 <= float(resting.value.headers["retry-after"]) <= 300
    async with second.hold("b"):  # another account is not affected
        pass


async def test_unreachable_redis_answers_503_or_falls_back() -> None:
    down = unreachable()
    try:
        with pytest.raises(GeminiWebError) as refused:
            async with gate(down).hold("a"):
                pass
        assert refused.value.status_code == 503
        assert refused.value.reason == "shared_state_unavailable"
        async with gate(down, fail_open=True).hold("a"):
            pass
    finally:
        await down.close()


async def test_a_cooldown_another_replica_set_moves_the_request_to_the_next_account(
    stores: list[SharedStore], fake_gemini: FakeGeminiWeb
) -> None:
    names = ("a", "b")
    accounts = [
        AccountSettings(name=name, secure_1psid=f"psid-{name}", secure_1psidts=f"ts-{name}")
        for name in names
    ]
    pool = AccountPool(accounts, GeminiWebSettings())
    llm = GeminiWebLLM(pool, gate(stores[0]))
    # Another replica saw a usage limit on `a`: it rests everywhere for ten minutes.
    await stores[1].command("SET", stores[1].key("cooldown", "a"), "usage_limit", "PX", 600_000)
    try:
        answer = await llm.acompletion(
            model="gemini-2.5-flash", messages=[{"role": "user", "content": "hi"}],
            model_response=ModelResponse(), optional_params={},
        )  # fmt: skip
        assert answer.choices[0].message.content == "Echo: hi"  # type: ignore[union-attr]
        assert [r.psid for r in fake_gemini.generate_requests] == ["psid-b"]
        cooling = pool.find("a")
        assert cooling is not None and cooling.state.state == "cooling"
        assert cooling.state.until is not None and cooling.state.until - pool.now() > 500
    finally:
        await pool.close()
