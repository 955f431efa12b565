"""The lease semaphore on real Redis: slots shared by replicas, a fair queue, renewal, expiry."""

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from proxy.core.clock import SystemClock
from proxy.core.limits import ConcurrencyPool, PoolFull, PoolSettings, PoolTimeout
from proxy.core.shared.leases import SharedPool
from proxy.core.shared.store import SharedStateDown, SharedStore
from tests.proxy.shared.stores import StuckClock, store, unreachable


@pytest.fixture
async def replicas(redis_url: str, redis_prefix: str) -> AsyncIterator[list[SharedStore]]:
    stores = [store(redis_url, redis_prefix, f"r{i}", lease_seconds=0.3) for i in range(3)]
    yield stores
    for each in stores:
        await each.close()


def pool(store: SharedStore, clock: object = None, **settings: float) -> SharedPool:
    options = PoolSettings.model_validate({"size": 2, "max_queue": 5, **settings})
    return SharedPool(store, options, clock or SystemClock(), "main")  # type: ignore[arg-type]


async def test_replicas_share_the_slots(replicas: list[SharedStore]) -> None:
    a, b, c = (pool(s, max_queue=0) for s in replicas)
    async with a.slot(), b.slot():
        with pytest.raises(PoolFull):
            async with c.slot():
                pass
        await c.refresh()
        assert (c.stats.in_use, c.stats.available, c.stats.max) == (2, 0, 2)
    await c.refresh()
    assert c.stats.available == 2


async def test_waiters_are_served_in_arrival_order_whatever_their_replica(
    replicas: list[SharedStore],
) -> None:
    pools = [pool(s, size=1) for s in replicas]
    served: list[str] = []
    release = asyncio.Event()

    async def request(p: SharedPool, name: str) -> None:
        async with p.slot():
            served.append(name)
            await release.wait()

    holder = asyncio.create_task(request(pools[0], "holder"))
    await until(lambda: served == ["holder"])
    waiters = []
    for index, name in enumerate(["first", "second", "third"]):
        # Alternate replicas, so a replica that asks more often could overtake if unfair.
        waiters.append(asyncio.create_task(request(pools[(index + 1) % 3], name)))
        await until_queued(pools[0], index + 1)
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, *waiters), 10)
    assert served == ["holder", "first", "second", "third"]


async def queued(p: SharedPool) -> int:
    await p.refresh()
    return p.stats.queued


async def until_queued(p: SharedPool, count: int) -> None:
    for _ in range(500):
        if await queued(p) == count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never {count} queued")


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never held")


async def test_a_queued_request_gives_up_after_max_wait(replicas: list[SharedStore]) -> None:
    holder, waiter = pool(replicas[0], size=1), pool(replicas[1], size=1, max_wait_seconds=0.1)
    async with holder.slot():
        with pytest.raises(PoolTimeout):
            async with waiter.slot():
                pass
        assert await queued(holder) == 0  # it left the queue


async def test_a_running_request_keeps_its_lease_past_its_length(
    replicas: list[SharedStore],
) -> None:
    holder, other = pool(replicas[0], size=1), pool(replicas[1], size=1, max_queue=0)
    async with holder.slot():
        await asyncio.sleep(0.65)  # > 2 leases of 0.3 s: only renewal keeps it (Redis' clock)
        with pytest.raises(PoolFull):
            async with other.slot():
                pass


async def test_a_lease_nobody_renews_frees_its_slot(replicas: list[SharedStore]) -> None:
    dead = pool(replicas[0], StuckClock(), size=1)
    entered = dead.slot()
    await entered.__aenter__()  # held by a replica that then stops renewing, never releases
    other = pool(replicas[1], size=1, max_wait_seconds=5)
    started = asyncio.get_running_loop().time()
    async with other.slot():
        waited = asyncio.get_running_loop().time() - started
    assert 0.1 < waited < 1.0  # the 0.3 s lease ran out


async def test_unreachable_redis_fails_closed_or_falls_back(replicas: list[SharedStore]) -> None:
    down = unreachable()
    try:
        with pytest.raises(SharedStateDown):
            async with pool(down).slot():
                pass
        settings = PoolSettings(size=1, max_queue=0)
        local = ConcurrencyPool(settings, SystemClock(), "main")
        fallback = SharedPool(down, settings, SystemClock(), "main", fallback=local)
        async with fallback.slot():
            assert local.stats.in_use == 1
    finally:
        await down.close()
