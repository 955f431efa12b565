"""The two job tables, `Batch` and `Task`, and the states they move through.

Schema changes: the store only runs `create_all`, which creates missing tables and never alters
existing ones. Adding or changing a column later needs a migration (e.g. Alembic) first.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Index, Table, Text, and_, case
from sqlmodel import Field, SQLModel

from proxy.jobs.columns import JSONType, UTCDateTime

# The contract caps a batch's own concurrency at 2 (and defaults to it).
MAX_BATCH_CONCURRENCY = 2


class TaskState(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class TaskKind(StrEnum):
    BATCH = "batch"
    SINGLE = "single"


class BatchStatus(StrEnum):
    """`processing` until the last task ends; `cancelled` is our addition to the contract's four."""

    PROCESSING = "processing"
    COMPLETED = "completed"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Batch(SQLModel, table=True):
    """One `POST /v1/batch/images` request."""

    __tablename__ = "jobs_batch"
    __table_args__ = (
        Index("ix_jobs_batch_status_created", "status", "created_at"),  # claiming: open batches
        Index("ix_jobs_batch_created", "created_at"),  # listing: newest first
    )

    id: str = Field(primary_key=True, max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default=BatchStatus.PROCESSING, max_length=16)
    total: int
    model: str | None = Field(default=None, max_length=128)
    response_type: str = Field(default="url", max_length=16)
    concurrency: int = Field(default=MAX_BATCH_CONCURRENCY)
    cancelled: bool = False
    message: str = Field(default="", sa_type=Text)


class Task(SQLModel, table=True):
    """One image to make: a task of a batch, or a single request recorded for `task_stats`."""

    __tablename__ = "jobs_task"
    __table_args__ = (
        # Claiming scans pending / expired-processing tasks of a batch in index order.
        Index("ix_jobs_task_batch_state", "batch_id", "state", "index"),
        # task_stats, reaping stale singles and finding expired leases.
        Index("ix_jobs_task_state_lease", "state", "lease_expires_at"),
    )

    id: str = Field(primary_key=True, max_length=64)
    batch_id: str | None = Field(
        default=None, max_length=32, foreign_key="jobs_batch.id", ondelete="CASCADE"
    )
    index: int = 0
    kind: str = Field(default=TaskKind.BATCH, max_length=16)
    prompt: str = Field(sa_type=Text)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    state: str = Field(default=TaskState.PENDING, max_length=16)
    attempts: int = 0
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    result: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# The tables as typed Core objects: queries use `TASKS.c.state`, which type checkers understand
# (SQLModel class attributes read as plain values to them).
BATCHES: Table = Batch.__table__  # type: ignore[attr-defined]
TASKS: Table = Task.__table__  # type: ignore[attr-defined]

# A batch task leased to run next, started by its owner the moment one of its tasks in the same
# batch ends (see leases.py): processing, but not started yet.
CLAIMED_AHEAD: ColumnElement[bool] = and_(
    TASKS.c.state == TaskState.PROCESSING, TASKS.c.started_at.is_(None)
)

# The state clients and /health see: a task claimed ahead is still waiting, so a batch of
# concurrency 2 never shows more than 2 processing.
SHOWN_STATE: ColumnElement[str] = case(
    (CLAIMED_AHEAD, TaskState.PENDING.value), else_=TASKS.c.state
).label("state")
