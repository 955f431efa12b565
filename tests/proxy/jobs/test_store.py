"""Batches, single requests and statistics, on SQLite and PostgreSQL."""

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from proxy.jobs import JobStore, TaskState
from tests.clocks import FakeClock

CONTRACT_KEYS = {
    "batch_id",
    "total",
    "completed",
    "failed",
    "pending",
    "progress",
    "status",
    "results",
    "errors",
}


async def test_create_batch_records_a_batch_and_its_tasks(
    store: JobStore, utcnow: Callable[[], datetime]
) -> None:
    batch = await store.create_batch(
        ["a cat", "一只猫", "a dog"], {"model": "gemini-2.5-flash-image", "response_type": "url"}
    )

    assert re.fullmatch(r"batch_[0-9a-f]{8}", batch.id)
    assert (batch.total, batch.status, batch.concurrency) == (3, "processing", 2)
    assert batch.model == "gemini-2.5-flash-image"
    status = await store.batch_status(batch.id)
    assert status is not None
    assert status.keys() >= CONTRACT_KEYS
    assert status["pending"] == 3
    assert status["progress"] == "0/3"
    tasks = await store.claim("w", 30, utcnow(), limit=2)
    assert [task.id for task in tasks] == [f"{batch.id}_task_0", f"{batch.id}_task_1"]
    assert tasks[1].prompt == "一只猫"
    assert tasks[0].params == {"model": "gemini-2.5-flash-image", "response_type": "url"}


async def test_create_batch_refuses_bad_input(store: JobStore) -> None:
    with pytest.raises(ValueError, match="at least one prompt"):
        await store.create_batch([], {})
    with pytest.raises(ValueError, match="concurrency"):
        await store.create_batch(["x"], {}, concurrency=3)


async def test_status_shape_and_progress(store: JobStore, utcnow: Callable[[], datetime]) -> None:
    batch = await store.create_batch(["a", "b", "c"], {"response_type": "url"})
    first, second = await store.claim("w", 30, utcnow(), limit=2)
    assert await store.complete(first.id, "w", {"url": "https://img/0.png"}, utcnow())
    assert await store.complete(second.id, "w", {"url": "https://img/1.png"}, utcnow())

    status = await store.batch_status(batch.id)
    assert status is not None
    assert {key: status[key] for key in CONTRACT_KEYS} == {
        "batch_id": batch.id,
        "total": 3,
        "completed": 2,
        "failed": 0,
        "pending": 1,
        "progress": "2/3",
        "status": "processing",
        "results": [
            {"task_id": f"{batch.id}_task_0", "url": "https://img/0.png"},
            {"task_id": f"{batch.id}_task_1", "url": "https://img/1.png"},
        ],
        "errors": [],
    }


@pytest.mark.parametrize(("failures", "final"), [(0, "completed"), (1, "partial"), (3, "failed")])
async def test_final_status(
    store: JobStore, utcnow: Callable[[], datetime], failures: int, final: str
) -> None:
    batch = await store.create_batch(["a", "b", "c"], {})
    for _ in range(3):
        [task] = await store.claim("w", 30, utcnow(), limit=1)
        if task.index < failures:
            assert await store.fail(task.id, "w", f"refused prompt {task.index}", utcnow())
        else:
            assert await store.complete(task.id, "w", {"url": f"u{task.index}"}, utcnow())

    status = await store.batch_status(batch.id)
    assert status is not None
    assert (status["status"], status["progress"], status["pending"]) == (final, "3/3", 0)
    assert status["errors"] == [
        {"task_id": f"{batch.id}_task_{i}", "error": f"refused prompt {i}"} for i in range(failures)
    ]
    assert [r["task_id"] for r in status["results"]] == [
        f"{batch.id}_task_{i}" for i in range(failures, 3)
    ]
    [summary] = await store.list_batches()
    assert summary["status"] == final


async def test_unknown_batch(store: JobStore) -> None:
    assert await store.batch_status("batch_00000000") is None
    assert await store.cancel_batch("batch_00000000") is None


async def test_list_batches_newest_first(store: JobStore, clock: FakeClock) -> None:
    ids = []
    for prompts in (["a"], ["b", "c"], ["d", "e", "f"]):
        ids.append((await store.create_batch(prompts, {"model": "m"})).id)
        clock.advance(1)

    recent = await store.list_batches(limit=2)

    assert [b["batch_id"] for b in recent] == [ids[2], ids[1]]
    assert [(b["total"], b["pending"], b["progress"]) for b in recent] == [
        (3, 3, "0/3"),
        (2, 2, "0/2"),
    ]
    assert "results" not in recent[0]


async def test_cancel_stops_what_has_not_started(
    store: JobStore, utcnow: Callable[[], datetime]
) -> None:
    batch = await store.create_batch(["a", "b", "c", "d"], {})
    [running] = await store.claim("w", 30, utcnow(), limit=1)

    assert await store.cancel_batch(batch.id) == {
        "batch_id": batch.id,
        "cancelled": 3,
        "running": 1,
    }
    assert await store.claim("w", 30, utcnow(), limit=4) == []
    status = await store.batch_status(batch.id)
    assert status is not None
    assert (status["status"], status["pending"], status["cancelled"]) == ("processing", 1, 3)

    assert await store.complete(running.id, "w", {"url": "u"}, utcnow())
    status = await store.batch_status(batch.id)
    assert status is not None
    assert (status["status"], status["progress"], len(status["results"])) == ("cancelled", "1/4", 1)
    again = await store.cancel_batch(batch.id)
    assert again is not None and again["cancelled"] == 0


async def test_single_requests_count_in_task_stats(
    store: JobStore, clock: FakeClock, utcnow: Callable[[], datetime]
) -> None:
    await store.create_batch(["a", "b"], {})
    served = await store.create_single_task("a fox", {"model": "gemini-2.5-flash-image"})
    broken = await store.create_single_task("a hen", {})
    abandoned = await store.create_single_task("an owl", {})
    assert await store.task_stats() == {
        "pending": 2,
        "processing": 3,
        "completed": 0,
        "failed": 0,
        "cancelled": 0,
        "total": 5,
    }

    assert await store.finish_single(served, result={"images": 1})
    assert not await store.finish_single(served, result={"images": 1})
    assert await store.finish_single(broken, error="cookies expired")
    clock.advance(899)
    assert await store.fail_stale_singles(utcnow()) == 0
    clock.advance(2)
    assert await store.fail_stale_singles(utcnow()) == 1
    assert not await store.finish_single(abandoned, result={"images": 1})

    stats = await store.task_stats()
    counts = (stats["processing"], stats["completed"], stats["failed"], stats["total"])
    assert counts == (0, 1, 2, 5)


async def test_singles_are_never_claimed(store: JobStore, utcnow: Callable[[], datetime]) -> None:
    await store.create_single_task("a fox", {})
    assert await store.claim("w", 30, utcnow() + timedelta(days=1), limit=5) == []


async def test_states_are_the_documented_ones(store: JobStore) -> None:
    stats = await store.task_stats()
    assert set(stats) == {state.value for state in TaskState} | {"total"}


async def test_retention_forgets_what_ended_before_the_cutoff_and_nothing_else(
    store: JobStore, clock: FakeClock, utcnow: Callable[[], datetime]
) -> None:
    old = await store.create_batch(["a"], {})
    (task,) = await store.claim("w", 30, utcnow(), limit=1)
    assert await store.complete(task.id, "w", {"url": "u"}, utcnow())
    old_single = await store.create_single_task("a fox", {})
    assert await store.finish_single(old_single, result={"images": 1})
    clock.advance(3 * 86400)
    running = await store.create_batch(["b", "c"], {})
    recent = await store.create_batch(["d"], {})
    for claimed in await store.claim("w", 30, utcnow(), limit=3):
        if claimed.batch_id == recent.id:
            assert await store.complete(claimed.id, "w", {"url": "u"}, utcnow())

    assert await store.forget_finished(utcnow() - timedelta(days=1)) == 3  # task, batch, single
    assert await store.batch_status(old.id) is None
    assert await store.batch_status(running.id) is not None
    assert await store.batch_status(recent.id) is not None
    stats = await store.task_stats()
    assert stats["total"] == 3 and stats["completed"] == 1  # b and c still running, d done
