"""Claims and leases: atomic claims, batch concurrency, expiry, exactly-once outcomes."""

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from proxy.jobs import JobStore
from tests.clocks import FakeClock

LEASE = 30.0


async def test_claim_respects_batch_concurrency_and_age(
    store: JobStore, clock: FakeClock, utcnow: Callable[[], datetime]
) -> None:
    older = await store.create_batch(["a", "b", "c"], {})
    clock.advance(1)
    single_lane = await store.create_batch(["d", "e"], {}, concurrency=1)

    claimed = await store.claim("w", LEASE, utcnow(), limit=10)

    assert [task.id for task in claimed] == [
        f"{older.id}_task_0",
        f"{older.id}_task_1",
        f"{single_lane.id}_task_0",
    ]
    assert all(task.attempts == 1 for task in claimed)
    assert await store.claim("w", LEASE, utcnow(), limit=10) == []


async def test_concurrent_claims_take_each_task_once(
    store: JobStore, utcnow: Callable[[], datetime]
) -> None:
    for _ in range(10):
        await store.create_batch([f"prompt {i}" for i in range(6)], {})
    claims: Counter[str] = Counter()

    async def worker(owner: str) -> None:
        # Runs in real threads: claims from 8 workers race on the database.
        while True:
            tasks = await store.claim(owner, LEASE, utcnow(), limit=3)
            if not tasks and (await store.task_stats())["pending"] == 0:
                return
            for task in tasks:
                claims[task.id] += 1
                assert await store.complete(task.id, owner, {"by": owner}, utcnow())

    await asyncio.gather(*(worker(f"worker-{n}") for n in range(8)))

    assert len(claims) == 60
    assert set(claims.values()) == {1}
    assert (await store.task_stats())["completed"] == 60


async def test_concurrent_claims_never_exceed_batch_concurrency(
    store: JobStore, utcnow: Callable[[], datetime]
) -> None:
    for concurrency in (1, 2, 2, 1):
        batch = await store.create_batch([f"p{i}" for i in range(10)], {}, concurrency=concurrency)
        rounds = await asyncio.gather(
            *(store.claim(f"worker-{n}", LEASE, utcnow(), limit=5) for n in range(8))
        )
        status = await store.batch_status(batch.id)
        assert status is not None
        assert sum(len(tasks) for tasks in rounds) == concurrency == status["processing"]


async def test_expired_lease_is_reclaimed_and_the_stale_owner_cannot_finish(
    store: JobStore, utcnow: Callable[[], datetime]
) -> None:
    batch = await store.create_batch(["only"], {})
    start = utcnow()
    [task] = await store.claim("old", LEASE, start, limit=1)

    assert await store.claim("new", LEASE, start + timedelta(seconds=29), limit=1) == []
    [again] = await store.claim("new", LEASE, start + timedelta(seconds=30), limit=1)

    assert (again.id, again.attempts) == (task.id, 2)
    later = start + timedelta(seconds=31)
    assert await store.renew([task.id], "old", LEASE, later) == set()
    assert not await store.complete(task.id, "old", {"url": "old"}, later)
    assert not await store.fail(task.id, "old", "late", later)
    assert await store.complete(task.id, "new", {"url": "new"}, later)
    assert not await store.complete(task.id, "new", {"url": "twice"}, later)
    status = await store.batch_status(batch.id)
    assert status is not None
    assert (status["status"], status["results"]) == (
        "completed",
        [{"task_id": task.id, "url": "new"}],
    )


async def test_renewal_keeps_the_lease(store: JobStore, utcnow: Callable[[], datetime]) -> None:
    await store.create_batch(["only"], {})
    start = utcnow()
    [task] = await store.claim("owner", LEASE, start, limit=1)

    renewed_at = start + timedelta(seconds=20)
    assert await store.renew([task.id, "unknown"], "owner", LEASE, renewed_at) == {task.id}

    assert await store.claim("other", LEASE, start + timedelta(seconds=45), limit=1) == []
    assert await store.claim("other", LEASE, start + timedelta(seconds=50), limit=1) != []


async def test_stale_owner_may_finish_what_nobody_took_over(
    store: JobStore, utcnow: Callable[[], datetime]
) -> None:
    await store.create_batch(["only"], {})
    start = utcnow()
    [task] = await store.claim("slow", LEASE, start, limit=1)

    assert await store.complete(task.id, "slow", {"url": "u"}, start + timedelta(minutes=5))
    assert await store.claim("other", LEASE, start + timedelta(minutes=5), limit=1) == []


async def test_release_hands_tasks_back_at_once(
    store: JobStore, utcnow: Callable[[], datetime]
) -> None:
    await store.create_batch(["a", "b"], {})
    tasks = await store.claim("stopping", LEASE, utcnow(), limit=2)

    assert await store.release([t.id for t in tasks], "someone-else", utcnow()) == 0
    assert await store.release([t.id for t in tasks], "stopping", utcnow()) == 2

    resumed = await store.claim("next", LEASE, utcnow(), limit=2)
    # Released on purpose: the interrupted run does not count as an attempt.
    assert [(t.id, t.attempts) for t in resumed] == [(t.id, 1) for t in tasks]
