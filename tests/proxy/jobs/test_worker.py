"""The worker: runs tasks with the injected function, two at a time, and resumes after crashes."""

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from proxy.jobs import JobStore, TaskInfo
from tests.clocks import FakeClock
from tests.proxy.jobs.support import (
    LEASE,
    POLL,
    FrozenClock,
    batch_finished,
    claimed_ahead,
    eventually,
    make_worker,
)


async def test_runs_every_task_two_at_a_time(
    store: JobStore, clock: FakeClock, utcnow: Callable[[], datetime]
) -> None:
    batch = await store.create_batch([f"prompt {i}" for i in range(6)], {"model": "m"})
    in_flight, peak = 0, 0
    release = asyncio.Event()

    async def run(task: TaskInfo) -> dict[str, Any]:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await release.wait()
        in_flight -= 1
        return {"url": f"https://img/{task.index}.png", "prompt": task.prompt}

    worker = make_worker(store, run, clock, utcnow, concurrency=4)
    worker.start()

    async def two_running() -> bool:
        return in_flight == 2

    await eventually(two_running)
    polls = clock.sleeps.count(POLL)

    async def polled_again() -> bool:
        return clock.sleeps.count(POLL) > polls + 5

    await eventually(polled_again)  # the worker looked for work again and again...
    assert in_flight == 2  # ...but the batch's concurrency (2) held
    release.set()
    await eventually(lambda: batch_finished(store, batch.id))
    await worker.stop()

    assert peak == 2
    status = await store.batch_status(batch.id)
    assert status is not None
    assert (status["status"], status["progress"]) == ("completed", "6/6")
    assert status["results"][5] == {
        "task_id": f"{batch.id}_task_5",
        "url": "https://img/5.png",
        "prompt": "prompt 5",
    }


async def test_global_concurrency_caps_several_batches(
    store: JobStore, clock: FakeClock, utcnow: Callable[[], datetime]
) -> None:
    batches = [await store.create_batch(["a", "b", "c"], {}) for _ in range(3)]
    in_flight, peak = 0, 0

    async def run(task: TaskInfo) -> dict[str, Any]:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(20):
            await asyncio.sleep(0)
        in_flight -= 1
        return {"url": task.id}

    worker = make_worker(store, run, clock, utcnow, concurrency=3)
    worker.start()
    await eventually(lambda: batch_finished(store, *(batch.id for batch in batches)))
    await worker.stop()

    assert peak == 3  # 2 of the oldest batch (its own limit), then 1 of the next
    assert (await store.task_stats())["completed"] == 9


async def test_two_workers_share_one_batch_within_its_concurrency(
    store: JobStore, clock: FakeClock, utcnow: Callable[[], datetime]
) -> None:
    batch = await store.create_batch([f"p{i}" for i in range(8)], {})
    in_flight, peak = 0, 0
    ran_by: Counter[str] = Counter()

    def runner(name: str) -> Callable[[TaskInfo], Any]:
        async def run(task: TaskInfo) -> dict[str, Any]:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            ran_by[name] += 1
            for _ in range(20):
                await asyncio.sleep(0)
            in_flight -= 1
            return {"url": task.id}

        return run

    # Two processes, as far as the store can tell: separate owners, two slots each.
    workers = [make_worker(store, runner(name), clock, utcnow) for name in ("one", "two")]
    for worker in workers:
        worker.start()
    await eventually(lambda: batch_finished(store, batch.id))
    for worker in workers:
        await worker.stop()

    assert peak <= 2
    assert sum(ran_by.values()) == 8
    assert (await store.task_stats())["completed"] == 8


async def test_a_failing_task_is_recorded_and_the_rest_go_on(
    store: JobStore, clock: FakeClock, utcnow: Callable[[], datetime]
) -> None:
    batch = await store.create_batch(["ok", "refused", "ok too"], {})

    async def run(task: TaskInfo) -> dict[str, Any]:
        if task.prompt == "refused":
            raise RuntimeError("upstream refused the prompt")
        return {"url": task.id}

    worker = make_worker(store, run, clock, utcnow)
    worker.start()
    await eventually(lambda: batch_finished(store, batch.id))
    await worker.stop()

    status = await store.batch_status(batch.id)
    assert status is not None
    assert (status["status"], status["completed"], status["failed"]) == ("partial", 2, 1)
    assert status["errors"] == [
        {"task_id": f"{batch.id}_task_1", "error": "upstream refused the prompt"}
    ]


async def test_resumes_a_crashed_process_work_once_its_lease_expires(
    store: JobStore, clock: FakeClock, utcnow: Callable[[], datetime]
) -> None:
    batch = await store.create_batch(["a", "b", "c"], {})
    # A previous process claimed two tasks, and the third ahead, and died without finishing them.
    orphans = await store.claim("dead-host:1:0ld", LEASE, utcnow(), limit=2)
    [unstarted] = await store.claim_ahead("dead-host:1:0ld", [batch.id], LEASE, utcnow())
    started_at = clock.now()
    runs: Counter[str] = Counter()
    seen: dict[str, tuple[int, float]] = {}

    async def run(task: TaskInfo) -> dict[str, Any]:
        runs[task.id] += 1
        seen[task.id] = (task.attempts, clock.now() - started_at)
        return {"url": task.id}

    worker = make_worker(store, run, clock, utcnow)
    worker.start()

    async def polled_a_while() -> bool:
        return clock.sleeps.count(POLL) >= 5

    await eventually(polled_a_while)
    assert not runs  # the dead process's leases still run
    clock.advance(LEASE)
    await eventually(lambda: batch_finished(store, batch.id))
    await worker.stop()

    assert runs == Counter({f"{batch.id}_task_{i}": 1 for i in range(3)})
    for orphan in orphans:
        assert seen[orphan.id] == (2, LEASE)  # second attempt, once the lease ran out
        assert not await store.complete(orphan.id, "dead-host:1:0ld", {"url": "late"}, utcnow())
    assert seen[unstarted.id] == (1, LEASE)  # it never started: still a first attempt
    status = await store.batch_status(batch.id)
    assert status is not None
    assert status["status"] == "completed"
    assert [r["url"] for r in status["results"]] == [f"{batch.id}_task_{i}" for i in range(3)]


async def test_stop_hands_running_tasks_to_the_next_process_at_once(
    store: JobStore, clock: FakeClock, utcnow: Callable[[], datetime]
) -> None:
    batch = await store.create_batch(["a", "b", "c"], {})
    cancelled: list[str] = []

    async def hang(task: TaskInfo) -> dict[str, Any]:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(task.id)
            raise
        raise AssertionError("unreachable")

    first = make_worker(store, hang, clock, utcnow)
    first.start()

    async def two_running_one_claimed_ahead() -> bool:
        status = await store.batch_status(batch.id)
        ran = first.in_flight == 2 and status is not None and status["processing"] == 2
        return ran and await claimed_ahead(store, batch.id) == 1

    await eventually(two_running_one_claimed_ahead)
    await first.stop()
    assert sorted(cancelled) == [f"{batch.id}_task_0", f"{batch.id}_task_1"]
    assert (await store.task_stats())["pending"] == 3  # the one claimed ahead too

    restarted_at = clock.now()
    picked_up: list[float] = []
    attempts: set[int] = set()

    async def run(task: TaskInfo) -> dict[str, Any]:
        picked_up.append(clock.now() - restarted_at)
        attempts.add(task.attempts)
        return {"url": task.id}

    second = make_worker(store, run, clock, utcnow)
    second.start()
    await eventually(lambda: batch_finished(store, batch.id))
    await second.stop()
    assert max(picked_up) < LEASE  # no lease to wait out after a graceful stop
    assert attempts == {1}  # and the stopped runs (or claims ahead) do not count as attempts


async def test_stop_grants_grace_to_running_tasks(
    store: JobStore, utcnow: Callable[[], datetime]
) -> None:
    batch = await store.create_batch(["a"], {})
    started = asyncio.Event()

    async def run(task: TaskInfo) -> dict[str, Any]:
        started.set()
        for _ in range(10):
            await asyncio.sleep(0)
        return {"url": task.id}

    # With a frozen clock the grace period never runs out: stop() returns once the task is done.
    worker = make_worker(store, run, FrozenClock(), utcnow)
    worker.start()
    await started.wait()
    await worker.stop(grace_seconds=3600)

    assert await batch_finished(store, batch.id)


async def test_wake_starts_a_new_batch_without_waiting_for_the_poll(
    store: JobStore, utcnow: Callable[[], datetime]
) -> None:
    done = asyncio.Event()

    async def run(task: TaskInfo) -> dict[str, Any]:
        done.set()
        return {"url": task.id}

    # Time stands still, so the poll never comes round: only wake() makes the worker look.
    worker = make_worker(store, run, FrozenClock(), utcnow)
    worker.start()
    await asyncio.sleep(0)
    await store.create_batch(["a"], {})
    worker.wake()
    await done.wait()
    await worker.stop()


async def test_losing_the_lease_cancels_the_run_and_drops_its_result(
    store: JobStore, clock: FakeClock, utcnow: Callable[[], datetime]
) -> None:
    batch = await store.create_batch(["a"], {})
    started = asyncio.Event()
    outcome: list[str] = []

    async def run(task: TaskInfo) -> dict[str, Any]:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise
        return {"url": "never"}

    worker = make_worker(store, run, clock, utcnow)
    worker.start()
    await started.wait()
    # This process stalled past its lease and another one took the task over: "later" is far
    # enough ahead that no renewal of ours can still be running then.
    later = utcnow() + timedelta(days=1)
    [taken] = await store.claim("other-process", LEASE, later, limit=1)

    async def run_cancelled() -> bool:
        return outcome == ["cancelled"]

    await eventually(run_cancelled)
    assert await store.complete(taken.id, "other-process", {"url": "theirs"}, later)
    await worker.stop()
    status = await store.batch_status(batch.id)
    assert status is not None
    assert status["results"] == [{"task_id": taken.id, "url": "theirs"}]


async def test_a_task_that_keeps_dying_is_given_up(
    store: JobStore, clock: FakeClock, utcnow: Callable[[], datetime]
) -> None:
    batch = await store.create_batch(["poison", "innocent"], {}, concurrency=1)
    for crash in range(3):
        # Each process ran the poison task and had claimed the next one ahead when it died.
        await store.claim(f"crashed-{crash}", LEASE, utcnow(), limit=1)
        await store.claim_ahead(f"crashed-{crash}", [batch.id], LEASE, utcnow())
        clock.advance(LEASE)
    ran: list[tuple[str, int]] = []

    async def run(task: TaskInfo) -> dict[str, Any]:
        ran.append((task.prompt, task.attempts))
        return {}

    worker = make_worker(store, run, clock, utcnow, max_attempts=3)
    worker.start()
    await eventually(lambda: batch_finished(store, batch.id))
    await worker.stop()

    assert ran == [("innocent", 1)]  # claimed ahead three times, it never ran: no attempt lost
    status = await store.batch_status(batch.id)
    assert status is not None
    assert status["status"] == "partial"
    assert status["errors"][0]["error"] == "gave up after 3 interrupted attempts"


async def test_sweeps_single_requests_left_by_a_dead_process(
    store: JobStore, clock: FakeClock, utcnow: Callable[[], datetime]
) -> None:
    await store.create_single_task("a fox", {})
    clock.advance(901)

    async def run(task: TaskInfo) -> dict[str, Any]:
        return {}

    worker = make_worker(store, run, clock, utcnow)
    worker.start()

    async def swept() -> bool:
        return (await store.task_stats())["failed"] == 1

    await eventually(swept)
    await worker.stop()
