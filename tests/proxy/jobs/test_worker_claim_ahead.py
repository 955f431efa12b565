"""The worker claims ahead: a slot goes from one task to the next without a store round trip, and
the tasks it holds ahead are renewed, handed back, cancelled and never started twice."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from proxy.jobs import JobStore, TaskInfo
from proxy.jobs.records import HandOver
from tests.clocks import FakeClock, settle
from tests.proxy.jobs.support import (
    LEASE,
    FrozenClock,
    batch_finished,
    claimed_ahead,
    eventually,
    make_worker,
)


def watch_claims_ahead(store: JobStore, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The indexes of the tasks claimed ahead so far, as the worker receives them."""
    received: list[int] = []
    claim_ahead, hand_over = store.claim_ahead, store.hand_over

    async def watched_claim_ahead(*args: Any, **kwargs: Any) -> list[TaskInfo]:
        claimed = await claim_ahead(*args, **kwargs)
        received.extend(task.index for task in claimed)
        return claimed

    async def watched_hand_over(*args: Any, **kwargs: Any) -> HandOver:
        handed = await hand_over(*args, **kwargs)
        received.extend(task.index for task in handed.claimed_ahead)
        return handed

    monkeypatch.setattr(store, "claim_ahead", watched_claim_ahead)
    monkeypatch.setattr(store, "hand_over", watched_hand_over)
    return received


def holds(received: list[int], index: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return index in received

    return check


async def test_a_slot_starts_its_next_task_without_waiting_for_the_store(
    store: JobStore, utcnow: Callable[[], datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = await store.create_batch(["a", "b", "c"], {}, concurrency=1)
    ahead = watch_claims_ahead(store, monkeypatch)
    claims = 0
    hand_overs_held = asyncio.Event()
    claim, hand_over = store.claim, store.hand_over

    async def counted_claim(*args: Any, **kwargs: Any) -> Any:
        nonlocal claims
        claims += 1
        return await claim(*args, **kwargs)

    async def held_hand_over(*args: Any, **kwargs: Any) -> Any:
        await hand_overs_held.wait()
        return await hand_over(*args, **kwargs)

    monkeypatch.setattr(store, "claim", counted_claim)
    monkeypatch.setattr(store, "hand_over", held_hand_over)
    started: list[tuple[int, int]] = []
    finish = [asyncio.Event() for _ in range(3)]

    async def run(task: TaskInfo) -> dict[str, Any]:
        started.append((task.index, claims))
        await finish[task.index].wait()
        return {"url": task.id}

    # Time stands still: the worker polls once at start and then only when woken.
    worker = make_worker(store, run, FrozenClock(), utcnow)
    worker.start()
    await eventually(holds(ahead, 1))  # the first runs, the second is claimed ahead
    finish[0].set()

    async def second_started() -> bool:
        return len(started) == 2

    await eventually(second_started)
    status = await store.batch_status(batch.id)
    assert status is not None
    assert status["completed"] == 0  # the first's outcome is still on its way to the store
    hand_overs_held.set()
    await eventually(holds(ahead, 2))
    finish[1].set()

    async def third_started() -> bool:
        return len(started) == 3

    await eventually(third_started)
    finish[2].set()
    await eventually(lambda: batch_finished(store, batch.id))
    await worker.stop()

    assert started == [(0, 1), (1, 1), (2, 1)]  # one claim, then none between tasks
    status = await store.batch_status(batch.id)
    assert status is not None
    assert [r["task_id"] for r in status["results"]] == [f"{batch.id}_task_{i}" for i in range(3)]


async def test_tasks_claimed_ahead_are_renewed_with_the_running_ones(
    store: JobStore,
    clock: FakeClock,
    utcnow: Callable[[], datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batch = await store.create_batch(["a", "b", "c"], {})
    ahead = watch_claims_ahead(store, monkeypatch)
    renewed_at: list[datetime] = []
    renew = store.renew

    async def recorded_renew(task_ids: Any, owner: str, lease: float, now: datetime) -> set[str]:
        renewed_at.append(now)
        return await renew(task_ids, owner, lease, now)

    monkeypatch.setattr(store, "renew", recorded_renew)

    async def hang(task: TaskInfo) -> dict[str, Any]:
        await asyncio.Event().wait()
        raise AssertionError("cancelled by stop()")

    # One slot: the batch (concurrency 2) has room for another worker beside it.
    worker = make_worker(store, hang, clock, utcnow, concurrency=1)
    worker.start()
    await eventually(holds(ahead, 1))
    for _ in range(4):  # two leases' time, renewed all along
        clock.advance(LEASE / 2)
        now = utcnow()

        async def renewed_since(now: datetime = now) -> bool:
            return bool(renewed_at) and renewed_at[-1] >= now

        await eventually(renewed_since)

    taken = await store.claim("other", LEASE, utcnow(), limit=2)
    await worker.stop()

    # Task 0 runs and task 1 is claimed ahead, both still ours: the other worker gets task 2.
    assert [task.id for task in taken] == [f"{batch.id}_task_2"]


async def test_cancel_through_the_worker_starts_nothing_claimed_ahead(
    store: JobStore, utcnow: Callable[[], datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = await store.create_batch(["a", "b", "c"], {}, concurrency=1)
    ahead = watch_claims_ahead(store, monkeypatch)
    started: list[int] = []
    finish = asyncio.Event()

    async def run(task: TaskInfo) -> dict[str, Any]:
        started.append(task.index)
        await finish.wait()
        return {"url": task.id}

    # Time stands still: no renewal tells the worker of the cancel, only cancel_batch itself.
    worker = make_worker(store, run, FrozenClock(), utcnow)
    worker.start()
    await eventually(holds(ahead, 1))

    cancelled = await worker.cancel_batch(batch.id)
    finish.set()
    await eventually(lambda: batch_finished(store, batch.id))
    await worker.stop()

    assert cancelled == {"batch_id": batch.id, "cancelled": 2, "running": 1}
    assert started == [0]
    status = await store.batch_status(batch.id)
    assert status is not None
    assert (status["status"], status["completed"], status["cancelled"]) == ("cancelled", 1, 2)


async def test_a_task_claimed_ahead_and_cancelled_elsewhere_is_stopped_at_once(
    store: JobStore, utcnow: Callable[[], datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = await store.create_batch(["a", "b", "c"], {}, concurrency=1)
    ahead = watch_claims_ahead(store, monkeypatch)
    stopped: list[int] = []
    finish = asyncio.Event()

    async def run(task: TaskInfo) -> dict[str, Any]:
        try:
            await (finish.wait() if task.index == 0 else asyncio.Event().wait())
        except asyncio.CancelledError:
            stopped.append(task.index)
            raise
        return {"url": task.id}

    # Time stands still: no renewal tells the worker of the cancel before its next hand-over.
    worker = make_worker(store, run, FrozenClock(), utcnow)
    worker.start()
    await eventually(holds(ahead, 1))
    # Another replica cancels: this worker only hears of it when it hands over to task 1.
    assert await store.cancel_batch(batch.id) == {
        "batch_id": batch.id,
        "cancelled": 2,
        "running": 1,
    }
    finish.set()
    await eventually(lambda: batch_finished(store, batch.id))

    async def run_stopped() -> bool:
        return stopped == [1]

    await eventually(run_stopped)
    await worker.stop()
    status = await store.batch_status(batch.id)
    assert status is not None
    assert (status["status"], status["completed"], status["cancelled"]) == ("cancelled", 1, 2)
    assert status["results"] == [{"task_id": f"{batch.id}_task_0", "url": f"{batch.id}_task_0"}]


async def test_after_a_lost_lease_the_task_claimed_ahead_is_handed_back_and_run(
    store: JobStore,
    clock: FakeClock,
    utcnow: Callable[[], datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batch = await store.create_batch(["a", "b"], {})
    ahead = watch_claims_ahead(store, monkeypatch)
    runs: list[tuple[int, int]] = []

    async def run(task: TaskInfo) -> dict[str, Any]:
        runs.append((task.index, task.attempts))
        if task.index == 0:
            await asyncio.Event().wait()  # until its lease is lost
        return {"url": task.id}

    worker = make_worker(store, run, clock, utcnow, concurrency=1)
    worker.start()
    await eventually(holds(ahead, 1))
    # This process stalled past its leases and another one took task 0 over; task 1, claimed
    # ahead here, no longer has a task of ours to follow.
    later = utcnow() + timedelta(days=1)
    [taken] = await store.claim("other-process", LEASE, later, limit=1)

    async def second_ran() -> bool:
        return len(runs) == 2

    await eventually(second_ran)
    assert await store.complete(taken.id, "other-process", {"url": "theirs"}, later)
    await eventually(lambda: batch_finished(store, batch.id))
    await worker.stop()

    assert runs == [(0, 1), (1, 1)]  # handed back, then claimed and run: a first attempt
    status = await store.batch_status(batch.id)
    assert status is not None
    assert [r["url"] for r in status["results"]] == ["theirs", f"{batch.id}_task_1"]


async def test_tasks_claimed_ahead_too_late_are_handed_back_and_run_at_once(
    store: JobStore, utcnow: Callable[[], datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = await store.create_batch(["a", "b", "c", "d"], {})
    first_claim_ahead_back = asyncio.Event()
    claim_ahead, claim = store.claim_ahead, store.claim
    claims_started, claims_returned = 0, 0

    async def late_claim_ahead(*args: Any, **kwargs: Any) -> list[TaskInfo]:
        claimed = await claim_ahead(*args, **kwargs)
        if not first_claim_ahead_back.is_set():
            await first_claim_ahead_back.wait()
        return claimed

    async def counted_claim(*args: Any, **kwargs: Any) -> list[TaskInfo]:
        nonlocal claims_started, claims_returned
        claims_started += 1
        claimed = await claim(*args, **kwargs)
        claims_returned += 1
        return claimed

    monkeypatch.setattr(store, "claim_ahead", late_claim_ahead)
    monkeypatch.setattr(store, "claim", counted_claim)
    go = asyncio.Event()
    ran: list[int] = []

    async def run(task: TaskInfo) -> dict[str, Any]:
        await go.wait()
        ran.append(task.index)
        return {"url": task.id}

    # Time stands still: only wake-ups make the worker poll.
    worker = make_worker(store, run, FrozenClock(), utcnow)
    worker.start()

    async def two_running_two_claimed_ahead() -> bool:
        status = await store.batch_status(batch.id)
        ran = status is not None and status["processing"] == 2
        return ran and await claimed_ahead(store, batch.id) == 2

    await eventually(two_running_two_claimed_ahead)
    go.set()  # tasks 0 and 1 end before the worker hears of 2 and 3

    async def ended_and_polled_in_vain() -> bool:
        await settle()
        status = await store.batch_status(batch.id)
        return (
            status is not None
            and status["completed"] == 2
            and claims_started == claims_returned >= 2
        )

    await eventually(ended_and_polled_in_vain)
    assert ran == [0, 1]
    first_claim_ahead_back.set()  # 2 and 3 arrive with no run of their batch left to follow
    await eventually(lambda: batch_finished(store, batch.id))
    await worker.stop()

    assert sorted(ran) == [0, 1, 2, 3]
