"""Leases, the worker's side of the store: claim, renew, finish and release tasks.

A task is done exactly once because every change after a claim is conditional on the claim still
standing (`state = 'processing' AND lease_owner = owner`): once a lease has expired and another
owner has claimed the task, the first owner's completion matches no row and is refused. Until
someone else claims it, a late owner may still renew or finish, which saves redoing the work.

Batch concurrency holds across processes because claims, renewals and outcomes all lock the
batch row first (`lock_batch`; claims skip a locked batch): a claim counts the batch's live leases
in a new statement after taking the lock, so it sees every earlier claim, and a lapsed lease
cannot be revived by its owner while a claim is deciding to replace it. Task rows are picked with
`FOR UPDATE SKIP LOCKED` and updated by id in a second statement: `UPDATE ... WHERE id IN
(SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)` may run the subquery more than once and take more
than n rows on PostgreSQL.

Functions here run inside a write transaction opened by the caller.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, func, or_, select, update

from proxy.jobs.batches import lock_batch, settle_batch
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
        .with_for_update(skip_locked=True)
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


def _held_by(task_id: str, owner: str) -> ColumnElement[bool]:
    return and_(
        TASKS.c.id == task_id, TASKS.c.state == TaskState.PROCESSING, TASKS.c.lease_owner == owner
    )


def _lock_batch_of(conn: Connection, task_id: str) -> str | None:
    batch_id = conn.scalar(select(TASKS.c.batch_id).where(TASKS.c.id == task_id))
    if batch_id is not None:
        lock_batch(conn, batch_id)
    return batch_id


def renew_lease(
    conn: Connection, task_id: str, owner: str, lease_seconds: float, now: datetime
) -> bool:
    """Extend `owner`'s lease; False if the task is no longer theirs."""
    _lock_batch_of(conn, task_id)
    renewed = conn.execute(
        update(TASKS)
        .where(_held_by(task_id, owner))
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now)
    )
    return renewed.rowcount == 1


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
    batch_id = _lock_batch_of(conn, task_id)
    finished = conn.execute(
        update(TASKS)
        .where(_held_by(task_id, owner))
        .values(
            state=TaskState.COMPLETED if error is None else TaskState.FAILED,
            result=result,
            error=error,
            lease_expires_at=None,
            finished_at=now,
            updated_at=now,
        )
    )
    if finished.rowcount != 1:
        return False
    if batch_id is not None:
        settle_batch(conn, batch_id, now)
    return True


def release_tasks(conn: Connection, task_ids: list[str], owner: str, now: datetime) -> int:
    """Hand `owner`'s unfinished tasks back (state pending) so any worker can start them at once."""
    released = conn.execute(
        update(TASKS)
        .where(
            TASKS.c.id.in_(task_ids),
            TASKS.c.state == TaskState.PROCESSING,
            TASKS.c.lease_owner == owner,
        )
        .values(state=TaskState.PENDING, lease_owner=None, lease_expires_at=None, updated_at=now)
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
