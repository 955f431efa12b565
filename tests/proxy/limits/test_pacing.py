import asyncio
import random

import pytest

from proxy.core.limits import Pacer, PacingSettings, PacingStats
from tests.clocks import FakeClock, ManualClock, settle


def make_pacer(clock: FakeClock | ManualClock, seed: int = 0, **settings: object) -> Pacer:
    return Pacer(PacingSettings.model_validate(settings), clock, random.Random(seed))


async def test_a_call_after_a_quiet_spell_goes_at_once() -> None:
    clock = FakeClock()
    pacer = make_pacer(clock)
    await pacer.wait_turn()
    pacer.record(200)
    clock.advance(2.5)  # longer than the largest jittered spacing
    await pacer.wait_turn()
    assert clock.sleeps == []
    assert pacer.stats == PacingStats(
        current_delay=2.0, requests_last_minute=2, consecutive_429s=0, rpm_limit=60
    )


async def test_back_to_back_calls_are_spaced_by_the_delay() -> None:
    clock = FakeClock()
    pacer = make_pacer(clock, jitter=0)
    for _ in range(3):
        await pacer.wait_turn()
        pacer.record(200)
    assert clock.sleeps == [2.0, 2.0]


async def test_the_delay_grows_on_429_and_shrinks_on_success_within_bounds() -> None:
    clock = FakeClock()
    pacer = make_pacer(clock, min_delay=2.0, max_delay=10.0, recovery=0.9)
    delays = []
    for status in [429, 429, 429, 429, 500, 200, 200, None, 200]:
        pacer.record(status)
        delays.append((pacer.stats.current_delay, pacer.stats.consecutive_429s))
    assert delays == [
        (4.0, 1),
        (8.0, 2),
        (10.0, 3),  # capped
        (10.0, 4),
        (10.0, 0),  # another error ends the run of 429s, but does not relax the pace
        (9.0, 0),
        (pytest.approx(8.1), 0),
        (pytest.approx(8.1), 0),
        (pytest.approx(7.29), 0),
    ]
    for _ in range(50):
        pacer.record(200)
    assert pacer.stats.current_delay == 2.0  # floored


async def test_after_a_429_the_next_call_waits_the_new_delay_from_the_429() -> None:
    clock = FakeClock()
    pacer = make_pacer(clock, jitter=0)
    await pacer.wait_turn()
    clock.advance(10)  # a slow call, longer than any spacing
    pacer.record(429)
    await pacer.wait_turn()
    assert clock.sleeps == [4.0]


@pytest.mark.parametrize("jitter", [0.25, 0.5])
async def test_jitter_stretches_each_spacing_randomly_within_bounds(jitter: float) -> None:
    spacings = []
    for seed in range(20):
        clock = FakeClock()
        pacer = make_pacer(clock, seed=seed, jitter=jitter)
        await pacer.wait_turn()
        await pacer.wait_turn()
        spacings.append(clock.sleeps[0])
    assert len(set(spacings)) == 20
    assert all(2.0 <= spacing < 2.0 * (1 + jitter) for spacing in spacings)
    assert max(spacings) - min(spacings) > jitter  # spread over the range, not bunched


async def test_the_same_seed_gives_the_same_spacing() -> None:
    sleeps = []
    for _ in range(2):
        clock = FakeClock()
        pacer = make_pacer(clock, seed=7)
        for _ in range(4):
            await pacer.wait_turn()
        sleeps.append(clock.sleeps)
    assert sleeps[0] == sleeps[1]


async def test_the_61st_call_in_a_minute_waits_for_the_first_to_be_a_minute_old() -> None:
    clock = FakeClock()
    pacer = make_pacer(clock, min_delay=0.5, jitter=0)
    for _ in range(60):
        await pacer.wait_turn()
        pacer.record(200)
        clock.advance(0.5)  # exactly the spacing: no pacing sleep
    assert clock.sleeps == []
    assert pacer.stats.requests_last_minute == 60

    await pacer.wait_turn()  # at 30 s; the first call was at 0 s
    assert clock.sleeps == [30.0]
    assert pacer.stats.requests_last_minute == 60  # the first left as the 61st came in


async def test_concurrent_callers_take_turns_in_order() -> None:
    clock = FakeClock()
    pacer = make_pacer(clock, jitter=0)
    started: list[tuple[int, float]] = []

    async def call(index: int) -> None:
        await pacer.wait_turn()
        started.append((index, clock.now()))

    await asyncio.gather(*(call(index) for index in range(4)))
    assert started == [(0, 1000.0), (1, 1002.0), (2, 1004.0), (3, 1006.0)]


async def test_a_429_while_the_next_caller_waits_pushes_it_back() -> None:
    clock = ManualClock()
    pacer = make_pacer(clock, jitter=0)
    await pacer.wait_turn()  # the first call starts at once
    second = asyncio.create_task(pacer.wait_turn())
    await settle()
    await clock.advance(1)
    pacer.record(429)  # the first call fails at 1 s: delay 4 s from now
    await clock.advance(1.5)
    assert not second.done()  # 2 s would have been enough before the 429
    await clock.advance(2.4)
    assert not second.done()
    await clock.advance(0.1)
    assert second.done()
    assert clock.now() == pytest.approx(1005.0)


async def test_a_cancelled_waiter_is_not_counted_and_does_not_hold_up_the_next() -> None:
    clock = ManualClock()
    pacer = make_pacer(clock, jitter=0)
    await pacer.wait_turn()
    gone = asyncio.create_task(pacer.wait_turn())
    await settle()
    gone.cancel()
    await settle()
    nxt = asyncio.create_task(pacer.wait_turn())
    await settle()
    await clock.advance(2)
    assert gone.cancelled()
    assert nxt.done()
    assert pacer.stats.requests_last_minute == 2


async def test_the_pace_returns_to_its_floor_within_five_successes_of_a_recovery() -> None:
    clock = FakeClock()
    pacer = make_pacer(clock)  # the shipped settings
    for _ in range(10):
        pacer.record(429)
    assert pacer.stats.current_delay == 60.0
    for _ in range(5):
        pacer.record(200)
    assert pacer.stats.current_delay == 2.0
