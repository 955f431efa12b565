"""`JobStore`: the durable record of batches and tasks, shared by the routes and the worker.

One sync SQLAlchemy engine (SQLite or PostgreSQL, see `engine.py`); every public method is a
coroutine that runs its transaction in a worker thread, so the event loop never waits on disk or
network. Record-keeping methods take their timestamps from the injected `utcnow`; the lease
methods take `now` from the caller, so a test can put a lease anywhere in time.
"""

import asyncio
import functools
import secrets
from collections.abc import Callable, Collection, Coroutine, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from proxy.jobs import batches, leases
from proxy.jobs.engine import Database
from proxy.jobs.models import (
    BATCHES,
    MAX_BATCH_CONCURRENCY,
    SHOWN_STATE,
    TASKS,
    Batch,
    Task,
    TaskKind,
    TaskState,
)
from proxy.jobs.records import HandOver, TaskInfo

# 8 hex digits can collide; a fresh id is drawn this many times before giving up.
_BATCH_ID_ATTEMPTS = 5


def _utcnow() -> datetime:
    return datetime.now(UTC)


P = ParamSpec("P")
R = TypeVar("R")


def _in_thread(
    method: Callable[Concatenate["JobStore", P], R],
) -> Callable[Concatenate["JobStore", P], Coroutine[Any, Any, R]]:
    """Turn a blocking store method into a coroutine that runs it in a worker thread."""

    @functools.wraps(method)
    async def run(self: "JobStore", *args: P.args, **kwargs: P.kwargs) -> R:
        return await asyncio.to_thread(method, self, *args, **kwargs)

    return run  # type: ignore[return-value]


class JobStore:
    """Batches and tasks in a SQL database (`sqlite:///path` or `postgresql://...`).

    Call `create_schema()` once at start-up and `close()` at shutdown.
    """

    def __init__(
        self,
        url: str,
        *,
        utcnow: Callable[[], datetime] = _utcnow,
        single_timeout_seconds: float = 900.0,
    ) -> None:
        self._db = Database(url)
        self._utcnow = utcnow
        self._single_timeout = timedelta(seconds=single_timeout_seconds)

    @property
    def database(self) -> Database:
        """The engine, for other tables that live in the same database (stored responses)."""
        return self._db

    @_in_thread
    def create_schema(self) -> None:
        self._db.create_tables(Batch.metadata, [BATCHES, TASKS])

    @_in_thread
    def close(self) -> None:
        """Close the pooled connections."""
        self._db.engine.dispose()

    # Batches -------------------------------------------------------------------------------

    @_in_thread
    def create_batch(
        self,
        prompts: Sequence[str],
        params: Mapping[str, Any],
        *,
        concurrency: int = MAX_BATCH_CONCURRENCY,
    ) -> Batch:
        """Record a batch and one pending task per prompt, in one transaction.

        `params` (model, response_type, ...) is copied to every task for the run function.
        """
        if not prompts:
            raise ValueError("a batch needs at least one prompt")
        if not 1 <= concurrency <= MAX_BATCH_CONCURRENCY:
            raise ValueError(f"batch concurrency must be 1..{MAX_BATCH_CONCURRENCY}")
        attempts_left = _BATCH_ID_ATTEMPTS
        while True:
            batch_id = f"batch_{secrets.token_hex(4)}"
            try:
                with self._db.write() as conn:
                    return batches.insert_batch(
                        conn, batch_id, prompts, params, concurrency, self._utcnow()
                    )
            except IntegrityError:  # the id is taken: draw another
                attempts_left -= 1
                if not attempts_left:
                    raise

    @_in_thread
    def batch_status(self, batch_id: str) -> dict[str, Any] | None:
        """The contract's status document, or None for an unknown batch."""
        with self._db.read() as conn:
            return batches.batch_report(conn, batch_id)

    @_in_thread
    def list_batches(self, limit: int = 20) -> list[dict[str, Any]]:
        """Summaries of recent batches, newest first."""
        with self._db.read() as conn:
            return batches.recent_batches(conn, limit)

    @_in_thread
    def cancel_batch(self, batch_id: str) -> dict[str, Any] | None:
        """Cancel what has not started: `{"batch_id", "cancelled", "running"}`, None if unknown."""
        with self._db.write() as conn:
            return batches.cancel_batch(conn, batch_id, self._utcnow())

    # Single requests -----------------------------------------------------------------------

    @_in_thread
    def create_single_task(self, prompt: str, params: Mapping[str, Any]) -> str:
        """Record a single image request being served now; returns its task id.

        It starts as processing with a deadline (`single_timeout_seconds`): if the serving
        process dies, the worker's sweep fails it after the deadline. It is never re-run.
        """
        now = self._utcnow()
        task = Task(
            id=f"single_{secrets.token_hex(8)}",
            kind=TaskKind.SINGLE,
            prompt=prompt,
            params=dict(params),
            state=TaskState.PROCESSING,
            attempts=1,
            lease_expires_at=now + self._single_timeout,
            created_at=now,
            updated_at=now,
            started_at=now,
        )
        with self._db.write() as conn:
            conn.execute(insert(TASKS).values(task.model_dump()))
        return task.id

    @_in_thread
    def finish_single(
        self,
        task_id: str,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> bool:
        """Record a single request's outcome (`error` for a failure); False if already ended."""
        now = self._utcnow()
        with self._db.write() as conn:
            finished = conn.execute(
                update(TASKS)
                .where(
                    TASKS.c.id == task_id,
                    TASKS.c.kind == TaskKind.SINGLE,
                    TASKS.c.state == TaskState.PROCESSING,
                )
                .values(**leases.outcome(result, error, now))
            )
        return finished.rowcount == 1

    @_in_thread
    def recent_singles(self, limit: int = 20) -> list[dict[str, Any]]:
        """Single image requests, newest first: id, prompt, params, state, result, error and
        when each was created and finished."""
        columns = (TASKS.c.id, TASKS.c.prompt, TASKS.c.params, TASKS.c.state, TASKS.c.result,
                   TASKS.c.error, TASKS.c.created_at, TASKS.c.finished_at)  # fmt: skip
        query = (
            select(*columns)
            .where(TASKS.c.kind == TaskKind.SINGLE)
            .order_by(TASKS.c.created_at.desc())
            .limit(limit)
        )
        with self._db.read() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    @_in_thread
    def task_stats(self) -> dict[str, int]:
        """Tasks of every kind by state, for /health: pending, processing, completed, failed,
        cancelled (our addition) and total."""
        with self._db.read() as conn:
            rows = conn.execute(select(SHOWN_STATE, func.count()).group_by(SHOWN_STATE)).all()
        counts = {state.value: 0 for state in TaskState}
        counts.update({state: count for state, count in rows})
        return counts | {"total": sum(counts.values())}

    @_in_thread
    def forget_finished(self, before: datetime) -> int:
        """Delete batches that ended before `before` (their tasks with them) and single
        requests that ended before it; returns the rows deleted."""
        old_batches = select(BATCHES.c.id).where(BATCHES.c.finished_at < before)
        with self._db.write() as conn:
            tasks = conn.execute(delete(TASKS).where(TASKS.c.batch_id.in_(old_batches))).rowcount
            batches = conn.execute(delete(BATCHES).where(BATCHES.c.finished_at < before)).rowcount
            singles = conn.execute(
                delete(TASKS).where(TASKS.c.kind == TaskKind.SINGLE, TASKS.c.finished_at < before)
            ).rowcount
        return tasks + batches + singles

    # Leases (the worker's side, see leases.py) ---------------------------------------------

    @_in_thread
    def claim(
        self, owner: str, lease_seconds: float, now: datetime, limit: int = 1
    ) -> list[TaskInfo]:
        """Atomically lease up to `limit` pending (or lease-expired) batch tasks to `owner`."""
        with self._db.write() as conn:
            return leases.claim_tasks(conn, owner, lease_seconds, now, limit)

    @_in_thread
    def claim_ahead(
        self, owner: str, batch_ids: Collection[str], lease_seconds: float, now: datetime
    ) -> list[TaskInfo]:
        """Lease to `owner`, in each of these batches, one task per task it runs there (less those
        it holds ahead already), to start the moment one of those ends (`hand_over`)."""
        with self._db.write() as conn:
            return leases.claim_ahead(conn, owner, batch_ids, lease_seconds, now)

    @_in_thread
    def hand_over(
        self,
        ended_id: str,
        successor_id: str,
        owner: str,
        lease_seconds: float,
        now: datetime,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> HandOver:
        """In one transaction: record the ended task's `result` (or `error`) as `complete` (or
        `fail`) would, count `successor_id`, claimed ahead in its batch, as started in its place,
        and claim ahead again. If the ended task is no longer `owner`'s, the successor is handed
        back instead."""
        with self._db.write() as conn:
            return leases.hand_over(
                conn, ended_id, successor_id, owner, lease_seconds, now, result=result, error=error
            )

    @_in_thread
    def renew(
        self, task_ids: Collection[str], owner: str, lease_seconds: float, now: datetime
    ) -> set[str]:
        """Extend `owner`'s leases; returns the ids still held. A missing id is no longer
        `owner`'s (another owner claimed it, or it ended): stop working on it."""
        with self._db.write() as conn:
            return leases.renew_leases(conn, task_ids, owner, lease_seconds, now)

    @_in_thread
    def complete(self, task_id: str, owner: str, result: dict[str, Any], now: datetime) -> bool:
        """Record the result if `owner` still holds the task; False means someone else has it."""
        with self._db.write() as conn:
            return leases.finish_task(conn, task_id, owner, now, result=result)

    @_in_thread
    def fail(self, task_id: str, owner: str, error: str, now: datetime) -> bool:
        """Record the failure if `owner` still holds the task; False means someone else has it."""
        with self._db.write() as conn:
            return leases.finish_task(conn, task_id, owner, now, error=error)

    @_in_thread
    def release(self, task_ids: Collection[str], owner: str, now: datetime) -> int:
        """Return `owner`'s unfinished and claimed-ahead tasks to pending (graceful stop);
        returns how many."""
        with self._db.write() as conn:
            return leases.release_tasks(conn, task_ids, owner, now)

    @_in_thread
    def fail_stale_singles(self, now: datetime) -> int:
        """Fail single requests past their deadline (their process died); returns how many."""
        with self._db.write() as conn:
            return leases.fail_stale_singles(conn, now)
