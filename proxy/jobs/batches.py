"""Batch bookkeeping: creating a batch with its tasks, settling, cancelling, and reporting.

Functions take a connection inside a transaction opened by the caller; the reports are shaped as
the contract's `GET /v1/batch/{batch_id}/status`.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update

from proxy.jobs.models import (
    BATCHES,
    CLAIMED_AHEAD,
    SHOWN_STATE,
    TASKS,
    Batch,
    BatchStatus,
    Task,
    TaskKind,
    TaskState,
)

# Columns of a batch that every report shows.
_BATCH_COLUMNS = (
    BATCHES.c.id,
    BATCHES.c.total,
    BATCHES.c.status,
    BATCHES.c.model,
    BATCHES.c.created_at,
)


def insert_batch(
    conn: Connection,
    batch_id: str,
    prompts: Sequence[str],
    params: Mapping[str, Any],
    concurrency: int,
    now: datetime,
) -> Batch:
    """Insert a batch and its tasks `{batch_id}_task_{i}`, all pending."""
    batch = Batch(
        id=batch_id,
        created_at=now,
        updated_at=now,
        total=len(prompts),
        model=params.get("model"),
        response_type=params.get("response_type", "url"),
        concurrency=concurrency,
        message=f"queued {len(prompts)} prompts",
    )
    conn.execute(insert(BATCHES).values(batch.model_dump()))
    tasks = [
        Task(
            id=f"{batch_id}_task_{index}",
            batch_id=batch_id,
            index=index,
            kind=TaskKind.BATCH,
            prompt=prompt,
            params=dict(params),
            created_at=now,
            updated_at=now,
        ).model_dump()
        for index, prompt in enumerate(prompts)
    ]
    conn.execute(insert(TASKS), tasks)
    return batch


def _state_counts(conn: Connection, batch_id: str) -> Counter[str]:
    rows = conn.execute(
        select(TASKS.c.state, func.count())
        .where(TASKS.c.batch_id == batch_id)
        .group_by(TASKS.c.state)
    ).all()
    return Counter({state: count for state, count in rows})


def _final_status(counts: Counter[str]) -> BatchStatus:
    if counts[TaskState.CANCELLED]:
        return BatchStatus.CANCELLED
    if not counts[TaskState.FAILED]:
        return BatchStatus.COMPLETED
    if not counts[TaskState.COMPLETED]:
        return BatchStatus.FAILED
    return BatchStatus.PARTIAL


def lock_batch(conn: Connection, batch_id: str) -> str | None:
    """Lock a batch row until the transaction ends; returns its status, None if there is none.

    Every change to a batch's tasks after creation holds its batch's lock (see leases.py), so on
    PostgreSQL such changes are serialised per batch. SQLite serialises all writers anyway
    (FOR UPDATE renders as nothing there).
    """
    return conn.scalar(select(BATCHES.c.status).where(BATCHES.c.id == batch_id).with_for_update())


def settle_batch(conn: Connection, batch_id: str, now: datetime) -> Counter[str]:
    """Give the batch its final status if none of its tasks is left to run; returns the
    batch's tasks by state.

    The caller holds the batch row's lock: otherwise two tasks finishing at once on PostgreSQL
    could each still see the other running, and nobody would settle the batch.
    """
    counts = _state_counts(conn, batch_id)
    if counts[TaskState.PENDING] or counts[TaskState.PROCESSING]:
        return counts
    ended = ", ".join(f"{counts[state]} {state}" for state in TaskState if counts[state])
    conn.execute(
        update(BATCHES)
        .where(BATCHES.c.id == batch_id, BATCHES.c.status == BatchStatus.PROCESSING)
        .values(status=_final_status(counts), finished_at=now, updated_at=now, message=ended)
    )
    return counts


def cancel_batch(conn: Connection, batch_id: str, now: datetime) -> dict[str, Any] | None:
    """Cancel the tasks that have not started, claimed ahead ones too; running ones finish.
    None if no such batch."""
    status = lock_batch(conn, batch_id)
    if status is None:
        return None
    cancelled = conn.execute(
        update(TASKS)
        .where(TASKS.c.batch_id == batch_id, or_(TASKS.c.state == TaskState.PENDING, CLAIMED_AHEAD))
        .values(state=TaskState.CANCELLED, finished_at=now, updated_at=now)
    ).rowcount
    if status == BatchStatus.PROCESSING:
        conn.execute(
            update(BATCHES)
            .where(BATCHES.c.id == batch_id)
            .values(cancelled=True, updated_at=now, message=f"cancelled {cancelled} tasks")
        )
    running = settle_batch(conn, batch_id, now)[TaskState.PROCESSING]
    return {"batch_id": batch_id, "cancelled": cancelled, "running": running}


def _summary(batch: Any, counts: Counter[str]) -> dict[str, Any]:
    done = counts[TaskState.COMPLETED] + counts[TaskState.FAILED]
    return {
        "batch_id": batch.id,
        "total": batch.total,
        "completed": counts[TaskState.COMPLETED],
        "failed": counts[TaskState.FAILED],
        "pending": counts[TaskState.PENDING] + counts[TaskState.PROCESSING],
        # "progress" counts tasks that ran to an end, cancelled ones excluded.
        "progress": f"{done}/{batch.total}",
        "status": batch.status,
        "processing": counts[TaskState.PROCESSING],
        "cancelled": counts[TaskState.CANCELLED],
        "model": batch.model,
        "created_at": batch.created_at.isoformat(),
    }


def batch_report(conn: Connection, batch_id: str) -> dict[str, Any] | None:
    """The status document of one batch, results and errors in task order."""
    batch = conn.execute(select(*_BATCH_COLUMNS).where(BATCHES.c.id == batch_id)).first()
    if batch is None:
        return None
    tasks = conn.execute(
        select(TASKS.c.id, SHOWN_STATE, TASKS.c.result, TASKS.c.error)
        .where(TASKS.c.batch_id == batch_id)
        .order_by(TASKS.c.index)
    ).all()
    report = _summary(batch, Counter(task.state for task in tasks))
    report["results"] = [
        {"task_id": task.id} | {k: v for k, v in (task.result or {}).items() if k != "task_id"}
        for task in tasks
        if task.state == TaskState.COMPLETED
    ]
    report["errors"] = [
        {"task_id": task.id, "error": task.error}
        for task in tasks
        if task.state == TaskState.FAILED
    ]
    return report


def recent_batches(conn: Connection, limit: int) -> list[dict[str, Any]]:
    """Summaries (no results) of the `limit` newest batches, newest first."""
    batches = conn.execute(
        select(*_BATCH_COLUMNS).order_by(BATCHES.c.created_at.desc(), BATCHES.c.id).limit(limit)
    ).all()
    counts: dict[str, Counter[str]] = {batch.id: Counter() for batch in batches}
    rows = conn.execute(
        select(TASKS.c.batch_id, SHOWN_STATE, func.count())
        .where(TASKS.c.batch_id.in_(counts))
        .group_by(TASKS.c.batch_id, SHOWN_STATE)
    ).all()
    for batch_id, state, count in rows:
        counts[batch_id][state] = count
    return [_summary(batch, counts[batch.id]) for batch in batches]
