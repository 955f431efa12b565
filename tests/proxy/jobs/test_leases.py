"""Claims and leases: atomic claims, batch concurrency, expiry, exactly-once outcomes, and
claiming ahead with its hand-overs."""

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

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


async def test_claim_ahead_takes_one_per_running_task_outside_the_batch_concurrency(
    store: JobStore, utcnow: Callable[[], datetime]
) -> None:
    batch = await store.create_batch([f"p{i}" for i in range(5)], {})
    running = await store.claim("w", LEASE, utcnow(), limit=2)

    ahead = await store.claim_ahead("w", [batch.id], LEASE, utcnow())

    assert [(t.index, t.attempts) for t in running] == [(0, 1), (1, 1)]
    assert [(t.index, t.attempts) for t in ahead] == [(2, 1), (3, 1)]
    assert await store.claim_ahead("w", [batch.id], LEASE, utcnow()) == []  # one each already
    assert await store.claim_ahead("other", [batch.id], LEASE, utcnow()) == []  # runs nothing
    assert await store.claim("other", LEASE, utcnow(), limit=5) == []  # two run: the batch is full


async def test_hand_over_records_the_outcome_starts_the_successor_and_claims_ahead(
    store: JobStore, utcnow: Callable[[], datetime]
) -> None:
    batch = await store.create_batch([f"p{i}" for i in range(5)], {})
    first, second = await store.claim("w", LEASE, utcnow(), limit=2)
    third, fourth = await store.claim_ahead("w", [batch.id], LEASE, utcnow())

    handed = await store.hand_over(first.id, third.id, "w", LEASE, utcnow(), result={"url": "u0"})

    assert (handed.recorded, handed.started) == (True, True)
    assert [(t.index, t.attempts) for t in handed.claimed_ahead] == [(4, 1)]
    assert await store.claim("other", LEASE, utcnow(), limit=5) == []  # still two running
    handed = await store.hand_over(second.id, fourth.id, "w", LEASE, utcnow(), error="refused")
    assert (handed.recorded, handed.started, handed.claimed_ahead) == (True, True, [])
    status = await store.batch_status(batch.id)
    assert status is not None
    assert status["results"] == [{"task_id": first.id, "url": "u0"}]
    assert status["errors"] == [{"task_id": second.id, "error": "refused"}]
    # 2 running, and 1 claimed ahead, which is shown as waiting (pending counts running too).
    assert (status["processing"], status["pending"]) == (2, 3)


async def test_hand_over_only_within_a_batch(
    store: JobStore, utcnow: Callable[[], datetime]
) -> None:
    batches = [await store.create_batch(["a", "b"], {}, concurrency=1) for _ in range(2)]
    running = await store.claim("w", LEASE, utcnow(), limit=2)
    ahead = await store.claim_ahead("w", [batch.id for batch in batches], LEASE, utcnow())

    with pytest.raises(ValueError, match="its own batch"):
        await store.hand_over(running[0].id, ahead[1].id, "w", LEASE, utcnow(), result={})

    # Nothing was written: the right hand-over still works.
    handed = await store.hand_over(running[0].id, ahead[0].id, "w", LEASE, utcnow(), result={})
    assert (handed.recorded, handed.started) == (True, True)


async def test_hand_over_from_a_task_taken_over_hands_the_successor_back(
    store: JobStore, utcnow: Callable[[], datetime]
) -> None:
    batch = await store.create_batch(["a", "b", "c"], {}, concurrency=1)
    start = utcnow()
    [ended] = await store.claim("old", LEASE, start, limit=1)
    [successor] = await store.claim_ahead("old", [batch.id], LEASE, start + timedelta(seconds=20))
    # "old" stalled past its lease on `ended`; "new" took it over.
    [taken] = await store.claim("new", LEASE, start + timedelta(seconds=30), limit=1)

    later = start + timedelta(seconds=31)
    handed = await store.hand_over(ended.id, successor.id, "old", LEASE, later, result={})

    assert (taken.id, handed.recorded, handed.started) == (ended.id, False, False)
    assert await store.complete(taken.id, "new", {"url": "new"}, later)
    [resumed] = await store.claim("new", LEASE, later, limit=1)
    assert (resumed.id, resumed.attempts) == (successor.id, 1)  # handed back, not counted


async def test_a_lapsed_claim_ahead_does_not_count_as_an_attempt(
    store: JobStore, utcnow: Callable[[], datetime]
) -> None:
    batch = await store.create_batch(["a", "b"], {})
    start = utcnow()
    await store.claim("crashed", LEASE, start, limit=1)
    await store.claim_ahead("crashed", [batch.id], LEASE, start)

    assert await store.claim("next", LEASE, start + timedelta(seconds=29), limit=2) == []
    resumed = await store.claim("next", LEASE, start + timedelta(seconds=30), limit=2)

    # The first ran when its owner crashed; the one claimed ahead never started.
    assert [(t.index, t.attempts) for t in resumed] == [(0, 2), (1, 1)]


async def test_claimed_ahead_tasks_are_renewed_released_and_cancelled_like_running_ones(
    store: JobStore, utcnow: Callable[[], datetime]
) -> None:
    batch = await store.create_batch(["a", "b", "c", "d"], {})
    start = utcnow()
    [running] = await store.claim("w", LEASE, start, limit=1)
    [ahead] = await store.claim_ahead("w", [batch.id], LEASE, start)

    assert await store.renew([ahead.id], "w", LEASE, start + timedelta(seconds=20)) == {ahead.id}
    # At 45 s only the running task's lease has lapsed.
    taken = await store.claim("other", LEASE, start + timedelta(seconds=45), limit=2)
    assert [t.id for t in taken] == [running.id, f"{batch.id}_task_2"]
    assert await store.release([ahead.id], "w", start + timedelta(seconds=46)) == 1
    again = await store.claim_ahead("other", [batch.id], LEASE, start + timedelta(seconds=46))
    # Released, its claim ahead did not count: a first attempt again.
    assert [(t.id, t.attempts) for t in again] == [(ahead.id, 1), (f"{batch.id}_task_3", 1)]

    cancelled = await store.cancel_batch(batch.id)
    assert cancelled == {"batch_id": batch.id, "cancelled": 2, "running": 2}
    handed = await store.hand_over(
        running.id, ahead.id, "other", LEASE, start + timedelta(seconds=47), result={}
    )
    assert (handed.recorded, handed.started) == (True, False)  # cancelled: not to be run
