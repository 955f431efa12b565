"""Leases, the worker's side of the store: claim, renew, finish and release tasks.

A task is done exactly once because every change after a claim is conditional on the claim still
standing (`state = 'processing' AND lease_owner = owner`): once a lease has expired and another
owner has claimed the task, the first owner's completion matches no row and is refused. Until
someone else claims it, a late owner may still renew or finish, which saves redoing the work.

Batch concurrency holds across processes because claims, renewals, outcomes and releases all
lock the batch rows first (`FOR UPDATE`): a claim counts the batch's live leases in a
new statement after taking the lock, so it sees every earlier claim, and a lapsed lease cannot be
revived by its owner while a claim is deciding to replace it. Batch rows are always locked before
task rows, and oldest batch first, so these transactions cannot deadlock. Task rows are then
picked with `FOR UPDATE SKIP LOCKED` (nothing else should hold them; if something does, the claim
moves on rather than wait) and updated by id in a second statement: `UPDATE ... WHERE id IN
(SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)` may run the subquery more than once and take more
than n rows on PostgreSQL.

Functions here run inside a write transaction opened by the caller.
"""

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, func, or_, select, update

from proxy.jobs.batches import settle_batch
from proxy.jobs.models import BATCHES, TASKS, BatchStatus, TaskKind, TaskState
from proxy.jobs.records import TaskInfo

_INFO_COLUMNS = (
    TASKS.c.id,
    TASKS.c.batch_id,
    TASKS.c.index,
    TASKS.c.kind,
    TASKS.c.prompt,
    TASKS.c.params,
    TASKS.c.attempts,
    TASKS.c.created_at,
)


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Waiting tasks, and started tasks whose owner stopped renewing (crashed or hung)."""
    expired = and_(TASKS.c.state == TaskState.PROCESSING, TASKS.c.lease_expires_at <= now)
    return or_(TASKS.c.state == TaskState.PENDING, expired)


def _live_leases(batch_id: Any, now: datetime) -> Any:
    return (
        select(func.count())
        .where(
            TASKS.c.batch_id == batch_id,
            TASKS.c.state == TaskState.PROCESSING,
            TASKS.c.lease_expires_at > now,
        )
        .scalar_subquery()
    )


def claim_tasks(
    conn: Connection, owner: str, lease_seconds: float, now: datetime, limit: int
) -> list[TaskInfo]:
    """Lease up to `limit` batch tasks to `owner`, oldest batch first, within batch concurrency."""
    open_batches = (
        select(BATCHES.c.id)
        .where(
            BATCHES.c.status == BatchStatus.PROCESSING,
            _live_leases(BATCHES.c.id, now) < BATCHES.c.concurrency,
            exists().where(TASKS.c.batch_id == BATCHES.c.id, _claimable(now)),
        )
        .order_by(BATCHES.c.created_at, BATCHES.c.id)
        .limit(limit)
        # Wait rather than skip: the holders are short (another claim, a renewal, an outcome),
        # and skipping would leave a free slot idle until the next poll.
        .with_for_update()
    )
    claimed: list[TaskInfo] = []
    for batch_id in conn.scalars(open_batches).all():
        wanted = limit - len(claimed)
        if wanted <= 0:
            break
        claimed += _claim_in_batch(conn, batch_id, owner, lease_seconds, now, wanted)
    return claimed


def _claim_in_batch(
    conn: Connection, batch_id: str, owner: str, lease_seconds: float, now: datetime, wanted: int
) -> list[TaskInfo]:
    # A new statement after the batch lock: it sees every claim committed before we got the lock.
    concurrency, live = conn.execute(
        select(BATCHES.c.concurrency, _live_leases(batch_id, now)).where(BATCHES.c.id == batch_id)
    ).one()
    free = min(wanted, concurrency - live)
    if free <= 0:
        return []
    ids = conn.scalars(
        select(TASKS.c.id)
        .where(TASKS.c.batch_id == batch_id, _claimable(now))
        .order_by(TASKS.c.index)
        .limit(free)
        .with_for_update(skip_locked=True)
    ).all()
    if not ids:
        return []
    rows = conn.execute(
        update(TASKS)
        .where(TASKS.c.id.in_(ids))
        .values(
            state=TaskState.PROCESSING,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=TASKS.c.attempts + 1,
            started_at=now,
            updated_at=now,
        )
        .returning(*_INFO_COLUMNS)
    ).all()
    return sorted((TaskInfo(**row._mapping) for row in rows), key=lambda task: task.index)


def _held_by(task_ids: Collection[str], owner: str) -> ColumnElement[bool]:
    return and_(
        TASKS.c.id.in_(task_ids),
        TASKS.c.state == TaskState.PROCESSING,
        TASKS.c.lease_owner == owner,
    )


def _lock_batches_of(conn: Connection, task_ids: Collection[str]) -> list[str]:
    """Lock the batches of these tasks, oldest first as a claim locks them; returns their ids."""
    return list(
        conn.scalars(
            select(BATCHES.c.id)
            .where(BATCHES.c.id.in_(select(TASKS.c.batch_id).where(TASKS.c.id.in_(task_ids))))
            .order_by(BATCHES.c.created_at, BATCHES.c.id)
            .with_for_update()
        )
    )


def renew_leases(
    conn: Connection, task_ids: Collection[str], owner: str, lease_seconds: float, now: datetime
) -> set[str]:
    """Extend `owner`'s leases; returns the ids still held (the others are no longer theirs)."""
    _lock_batches_of(conn, task_ids)
    renewed = conn.scalars(
        update(TASKS)
        .where(_held_by(task_ids, owner))
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now)
        .returning(TASKS.c.id)
    )
    return set(renewed)


def outcome(result: dict[str, Any] | None, error: str | None, now: datetime) -> dict[str, Any]:
    """The columns of a task that has ended: completed with `result`, or failed with `error`."""
    return {
        "state": TaskState.COMPLETED if error is None else TaskState.FAILED,
        "result": result,
        "error": error,
        "lease_expires_at": None,
        "finished_at": now,
        "updated_at": now,
    }


def finish_task(
    conn: Connection,
    task_id: str,
    owner: str,
    now: datetime,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> bool:
    """Record the outcome (a result, or an error) if `owner` still holds the task.

    The owner stays recorded (who finished it); the lease itself is cleared.
    """
    batch_ids = _lock_batches_of(conn, [task_id])
    finished = conn.execute(
        update(TASKS).where(_held_by([task_id], owner)).values(**outcome(result, error, now))
    )
    if finished.rowcount != 1:
        return False
    for batch_id in batch_ids:
        settle_batch(conn, batch_id, now)
    return True


def release_tasks(conn: Connection, task_ids: Collection[str], owner: str, now: datetime) -> int:
    """Hand `owner`'s unfinished tasks back (state pending) so any worker can start them at once."""
    _lock_batches_of(conn, task_ids)
    released = conn.execute(
        update(TASKS)
        .where(_held_by(task_ids, owner))
        .values(
            state=TaskState.PENDING,
            lease_owner=None,
            lease_expires_at=None,
            # A run we stopped on purpose does not count towards giving the task up.
            attempts=TASKS.c.attempts - 1,
            updated_at=now,
        )
    )
    return released.rowcount


def fail_stale_singles(conn: Connection, now: datetime) -> int:
    """Fail single requests whose deadline passed unfinished: the process serving them is gone."""
    failed = conn.execute(
        update(TASKS)
        .where(
            TASKS.c.kind == TaskKind.SINGLE,
            TASKS.c.state == TaskState.PROCESSING,
            TASKS.c.lease_expires_at <= now,
        )
        .values(
            state=TaskState.FAILED,
            error="interrupted: the request did not finish (server restarted or timed out)",
            lease_expires_at=None,
            finished_at=now,
            updated_at=now,
        )
    )
    return failed.rowcount
