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

Claiming ahead: in a batch where an owner runs tasks, it may also lease one task per task it runs
there without starting it (`started_at` stays NULL), and start it the moment one of its tasks in
that batch ends, with no claim in between; the start is recorded together with the ended task's
outcome (`hand_over`). Such tasks do not count against the batch's concurrency: one only starts
in place of an ended task of the same owner and batch, which the store counts until its outcome
is recorded, so the count never falls below the tasks really running. Their attempt is counted
when they are claimed ahead, and not again if that lease lapses before they started (a crash):
only runs count towards giving a task up.

Functions here run inside a write transaction opened by the caller.
"""

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, exists, func, or_, select, update

from proxy.jobs.batches import settle_batch
from proxy.jobs.models import BATCHES, CLAIMED_AHEAD, TASKS, BatchStatus, TaskKind, TaskState
from proxy.jobs.records import HandOver, TaskInfo

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
            TASKS.c.started_at.is_not(None),  # claimed ahead counts once started
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
    return _lease(conn, _pick(conn, batch_id, now, free), owner, lease_seconds, now, started=True)


def _pick(conn: Connection, batch_id: str, now: datetime, wanted: int) -> list[str]:
    """Ids of up to `wanted` claimable tasks of the batch, in task order, locked."""
    if wanted <= 0:
        return []
    return list(
        conn.scalars(
            select(TASKS.c.id)
            .where(TASKS.c.batch_id == batch_id, _claimable(now))
            .order_by(TASKS.c.index)
            .limit(wanted)
            .with_for_update(skip_locked=True)
        )
    )


def _lease(
    conn: Connection,
    ids: list[str],
    owner: str,
    lease_seconds: float,
    now: datetime,
    *,
    started: bool,
) -> list[TaskInfo]:
    """Lease these tasks to `owner`, started now or claimed ahead (`started_at` NULL)."""
    if not ids:
        return []
    rows = conn.execute(
        update(TASKS)
        .where(TASKS.c.id.in_(ids))
        .values(
            state=TaskState.PROCESSING,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            # A lapsed claim ahead never ran: its attempt, counted then, stands for this one.
            attempts=TASKS.c.attempts + case((CLAIMED_AHEAD, 0), else_=1),
            started_at=now if started else None,
            updated_at=now,
        )
        .returning(*_INFO_COLUMNS)
    ).all()
    return sorted((TaskInfo(**row._mapping) for row in rows), key=lambda task: task.index)


def claim_ahead(
    conn: Connection, owner: str, batch_ids: Collection[str], lease_seconds: float, now: datetime
) -> list[TaskInfo]:
    """Claim ahead for `owner`, in each of these batches, one task per task it runs there, less
    those it holds ahead already (see the module docstring)."""
    claimed: list[TaskInfo] = []
    for batch_id in _lock_batches(conn, BATCHES.c.id.in_(batch_ids)):
        claimed += _claim_ahead_in_batch(conn, owner, batch_id, lease_seconds, now)
    return claimed


def _claim_ahead_in_batch(
    conn: Connection, owner: str, batch_id: str, lease_seconds: float, now: datetime
) -> list[TaskInfo]:
    running, ahead = conn.execute(
        select(
            func.count().filter(TASKS.c.started_at.is_not(None)),
            func.count().filter(TASKS.c.started_at.is_(None)),
        ).where(
            TASKS.c.batch_id == batch_id,
            TASKS.c.state == TaskState.PROCESSING,
            TASKS.c.lease_owner == owner,
        )
    ).one()
    ids = _pick(conn, batch_id, now, running - ahead)
    return _lease(conn, ids, owner, lease_seconds, now, started=False)


def _held_by(task_ids: Collection[str], owner: str) -> ColumnElement[bool]:
    return and_(
        TASKS.c.id.in_(task_ids),
        TASKS.c.state == TaskState.PROCESSING,
        TASKS.c.lease_owner == owner,
    )


def _lock_batches(conn: Connection, which: ColumnElement[bool]) -> list[str]:
    """Lock these batches, oldest first as a claim locks them; returns their ids."""
    return list(
        conn.scalars(
            select(BATCHES.c.id)
            .where(which)
            .order_by(BATCHES.c.created_at, BATCHES.c.id)
            .with_for_update()
        )
    )


def _lock_batches_of(conn: Connection, task_ids: Collection[str]) -> list[str]:
    """Lock the batches of these tasks (see `_lock_batches`); returns their ids."""
    of_tasks = select(TASKS.c.batch_id).where(TASKS.c.id.in_(task_ids))
    return _lock_batches(conn, BATCHES.c.id.in_(of_tasks))


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
    _lock_batches_of(conn, [task_id])
    return _finish_locked(conn, task_id, owner, now, result, error)


def _finish_locked(
    conn: Connection,
    task_id: str,
    owner: str,
    now: datetime,
    result: dict[str, Any] | None,
    error: str | None,
) -> bool:
    batch_id = conn.scalar(
        update(TASKS)
        .where(_held_by([task_id], owner))
        .values(**outcome(result, error, now))
        .returning(TASKS.c.batch_id)
    )
    if batch_id is None:
        return False
    settle_batch(conn, batch_id, now)
    return True


def hand_over(
    conn: Connection,
    ended_id: str,
    successor_id: str,
    owner: str,
    lease_seconds: float,
    now: datetime,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> HandOver:
    """Record the ended task's outcome (as `finish_task`) and the start of `successor_id`, which
    `owner` claimed ahead in the same batch and started in its place; then claim ahead again.
    If the ended task is no longer `owner`'s, the successor is handed back instead."""
    if len(_lock_batches_of(conn, [ended_id, successor_id])) > 1:
        # Only then does the batch's count of running tasks stay true (see the module docstring).
        raise ValueError("a task hands over only to a task claimed ahead in its own batch")
    if not _finish_locked(conn, ended_id, owner, now, result, error):
        # Another owner runs the ended task: the successor would take the place of nothing.
        release_tasks(conn, [successor_id], owner, now)
        return HandOver(recorded=False, started=False, claimed_ahead=[])
    batch_id = conn.scalar(
        update(TASKS)
        .where(_held_by([successor_id], owner), CLAIMED_AHEAD)
        .values(started_at=now, updated_at=now)
        .returning(TASKS.c.batch_id)
    )
    if batch_id is None:  # cancelled, or its lease lapsed and another owner has it
        return HandOver(recorded=True, started=False, claimed_ahead=[])
    ahead = _claim_ahead_in_batch(conn, owner, batch_id, lease_seconds, now)
    return HandOver(recorded=True, started=True, claimed_ahead=ahead)


def release_tasks(conn: Connection, task_ids: Collection[str], owner: str, now: datetime) -> int:
    """Hand `owner`'s unfinished and claimed-ahead tasks back (state pending) so any worker can
    start them at once."""
    _lock_batches_of(conn, task_ids)
    released = conn.execute(
        update(TASKS)
        .where(_held_by(task_ids, owner))
        .values(
            state=TaskState.PENDING,
            lease_owner=None,
            lease_expires_at=None,
            # A run we stopped on purpose (or never started) does not count towards giving the
            # task up.
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
