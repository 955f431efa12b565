import asyncio
import random

import pytest

from proxy.core.limits import ConcurrencyPool, PoolFull, PoolSettings, PoolStats, PoolTimeout
from tests.clocks import ManualClock, settle


def make_pool(clock: ManualClock, **settings: object) -> ConcurrencyPool:
    return ConcurrencyPool(PoolSettings.model_validate(settings), clock, name="acct-1")


async def hold(pool: ConcurrencyPool, release: asyncio.Event, log: list[str], name: str) -> None:
    async with pool.slot():
        log.append(name)
        await release.wait()


async def test_a_third_request_waits_and_gets_the_slot_freed_by_another() -> None:
    clock = ManualClock()
    pool = make_pool(clock)
    release = [asyncio.Event() for _ in range(3)]
    log: list[str] = []
    tasks = [asyncio.create_task(hold(pool, release[i], log, str(i))) for i in range(3)]
    await settle()
    assert log == ["0", "1"]
    assert pool.stats == PoolStats(max=2, available=0, in_use=2, queued=1)

    await clock.advance(60)  # well within max_wait
    release[1].set()
    await settle()
    assert log == ["0", "1", "2"]
    assert pool.stats == PoolStats(max=2, available=0, in_use=2, queued=0)

    release[0].set()
    release[2].set()
    await asyncio.gather(*tasks)
    assert pool.stats == PoolStats(max=2, available=2, in_use=0, queued=0)


async def test_waiters_are_served_in_arrival_order() -> None:
    clock = ManualClock()
    pool = make_pool(clock, size=1)
    release = asyncio.Event()
    log: list[str] = []
    tasks = []
    for name in "abcde":
        tasks.append(asyncio.create_task(hold(pool, release, log, name)))
        await settle()
    release.set()
    await asyncio.gather(*tasks)
    assert log == list("abcde")


async def test_a_full_queue_rejects_at_once() -> None:
    clock = ManualClock()
    pool = make_pool(clock, size=1, max_queue=1, max_wait_seconds=30)
    release = asyncio.Event()
    tasks = [asyncio.create_task(hold(pool, release, [], name)) for name in "ab"]
    await settle()

    with pytest.raises(PoolFull) as caught:
        async with pool.slot():
            pytest.fail("must not get a slot")
    error = caught.value
    assert (error.reason, error.pool) == ("pool_full", "acct-1")
    assert error.retry_after == 30.0  # no hold observed yet: the longest a waiter may wait
    assert error.detail == "服务繁忙：已有 1 个请求在排队，请等待 30.0 秒后重试"
    assert pool.stats == PoolStats(max=1, available=0, in_use=1, queued=1)
    release.set()
    await asyncio.gather(*tasks)


async def test_the_suggested_retry_after_follows_the_observed_hold_times() -> None:
    clock = ManualClock()
    pool = make_pool(clock, size=1, max_queue=1, max_wait_seconds=100)
    async with pool.slot():
        await clock.advance(10)
    release = asyncio.Event()
    tasks = [asyncio.create_task(hold(pool, release, [], name)) for name in "ab"]
    await settle()
    with pytest.raises(PoolFull) as caught:
        async with pool.slot():
            pass
    assert caught.value.retry_after == pytest.approx(20.0)  # one round ahead, plus its own
    release.set()
    await asyncio.gather(*tasks)


async def test_a_waiter_times_out_after_max_wait_on_the_clock() -> None:
    clock = ManualClock()
    pool = make_pool(clock, size=1, max_wait_seconds=10)
    release = asyncio.Event()
    holder = asyncio.create_task(hold(pool, release, [], "holder"))
    waiter = asyncio.create_task(hold(pool, asyncio.Event(), [], "waiter"))
    await settle()

    await clock.advance(9.9)
    assert not waiter.done()
    await clock.advance(0.1)
    assert waiter.done()
    error = waiter.exception()
    assert isinstance(error, PoolTimeout)
    assert error.reason == "pool_timeout"
    assert error.detail == "服务繁忙：排队 10.0 秒仍未轮到，请等待 10.0 秒后重试"
    assert pool.stats == PoolStats(max=1, available=0, in_use=1, queued=0)

    release.set()
    await holder
    assert pool.stats.available == 1


async def test_a_granted_waiter_does_not_time_out_later() -> None:
    clock = ManualClock()
    pool = make_pool(clock, size=1, max_wait_seconds=10)
    first, second = asyncio.Event(), asyncio.Event()
    log: list[str] = []
    holder = asyncio.create_task(hold(pool, first, log, "holder"))
    waiter = asyncio.create_task(hold(pool, second, log, "waiter"))
    await settle()
    await clock.advance(5)
    first.set()
    await clock.advance(60)
    assert log == ["holder", "waiter"]
    assert not waiter.done()
    second.set()
    await asyncio.gather(holder, waiter)
    assert pool.stats.available == 1


async def test_a_cancelled_waiter_leaves_the_queue_at_once() -> None:
    clock = ManualClock()
    pool = make_pool(clock, size=1)
    release = asyncio.Event()
    log: list[str] = []
    holder = asyncio.create_task(hold(pool, release, log, "holder"))
    await settle()
    gone = asyncio.create_task(hold(pool, asyncio.Event(), log, "gone"))
    await settle()
    after = asyncio.create_task(hold(pool, release, log, "after"))
    await settle()
    assert pool.stats.queued == 2

    gone.cancel()
    await settle()
    assert gone.cancelled()
    assert pool.stats.queued == 1
    release.set()
    await asyncio.gather(holder, after)
    assert log == ["holder", "after"]
    assert pool.stats == PoolStats(max=1, available=1, in_use=0, queued=0)


async def test_a_cancelled_holder_frees_its_slot_at_once() -> None:
    clock = ManualClock()
    pool = make_pool(clock, size=1)
    log: list[str] = []
    holder = asyncio.create_task(hold(pool, asyncio.Event(), log, "holder"))
    await settle()
    release = asyncio.Event()
    waiter = asyncio.create_task(hold(pool, release, log, "waiter"))
    await settle()

    holder.cancel()
    await settle()
    assert holder.cancelled()
    assert log == ["holder", "waiter"]
    release.set()
    await waiter
    assert pool.stats.available == 1


async def test_a_waiter_cancelled_just_after_being_handed_a_slot_passes_it_on() -> None:
    clock = ManualClock()
    pool = make_pool(clock, size=1)
    log: list[str] = []
    entered = pool.slot()
    await entered.__aenter__()
    first = asyncio.create_task(hold(pool, asyncio.Event(), log, "first"))
    release = asyncio.Event()
    second = asyncio.create_task(hold(pool, release, log, "second"))
    await settle()

    # Release hands the slot to `first`; it is cancelled before it can run.
    await entered.__aexit__(None, None, None)
    first.cancel()
    await settle()
    assert first.cancelled()
    assert log == ["second"]
    release.set()
    await second
    assert pool.stats == PoolStats(max=1, available=1, in_use=0, queued=0)


async def test_a_body_that_raises_frees_its_slot() -> None:
    pool = make_pool(ManualClock(), size=1)
    with pytest.raises(RuntimeError):
        async with pool.slot():
            raise RuntimeError("upstream broke")
    assert pool.stats.available == 1


@pytest.mark.parametrize("seed", range(40))
async def test_no_slot_leaks_under_random_cancellations_and_timeouts(seed: int) -> None:
    rng = random.Random(seed)
    clock = ManualClock()
    size = 2
    pool = make_pool(clock, size=size, max_queue=4, max_wait_seconds=3)
    inside = 0
    most_inside = 0
    outcomes: dict[str, int] = {}

    async def worker(holding: float) -> None:
        nonlocal inside, most_inside
        try:
            async with pool.slot():
                inside += 1
                most_inside = max(most_inside, inside)
                try:
                    await clock.sleep(holding)
                finally:
                    inside -= 1
            outcome = "done"
        except (PoolFull, PoolTimeout) as error:
            outcome = error.reason
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    def check_invariants() -> None:
        stats = pool.stats
        assert 0 <= stats.in_use <= size
        assert stats.queued == 0 or stats.in_use == size  # nobody waits beside a free slot
        assert inside <= stats.in_use

    tasks: list[asyncio.Task[None]] = []
    for _ in range(200):
        action = rng.random()
        if action < 0.5:
            tasks.append(asyncio.create_task(worker(rng.uniform(0, 4))))
            await settle(rng.randint(0, 3))  # sometimes cancel before the task even starts
        elif action < 0.75:
            live = [task for task in tasks if not task.done()]
            if live:
                rng.choice(live).cancel()
                await settle(rng.randint(0, 3))
        else:
            await clock.advance(rng.uniform(0, 3))
        check_invariants()

    await settle()  # start the tasks created last, so they sleep before time moves on
    await clock.advance(100)
    assert all(task.done() for task in tasks)
    assert pool.stats == PoolStats(max=size, available=size, in_use=0, queued=0)
    assert most_inside == size
    assert outcomes.get("done", 0) > 0
    cancelled = sum(task.cancelled() for task in tasks)
    assert cancelled > 0
    assert cancelled + sum(outcomes.values()) == len(tasks)
