"""Durable image jobs: batches and tasks in SQLite or PostgreSQL, run by a background worker.

Public:
- `JobStore(url)`: batches (`create_batch`, `batch_status`, `list_batches`, `cancel_batch`),
  single requests (`create_single_task`, `finish_single`), `task_stats`, and the worker's leases
  (`claim`, `renew`, `complete`, `fail`, `release`).
- `JobWorker(store, run)`: runs tasks in the event loop; `start`, `wake`, `stop`.
- `TaskInfo`, what `run` receives; `object_name_seed(task)` to name stored images idempotently.
- `DatabaseConfig`, `JobsConfig`: the config sections.
- `Batch`, `Task` (tables), `TaskState`, `BatchStatus`, `TaskKind`, `MAX_BATCH_CONCURRENCY`.
"""

from proxy.jobs.config import DatabaseConfig, JobsConfig
from proxy.jobs.models import (
    MAX_BATCH_CONCURRENCY,
    Batch,
    BatchStatus,
    Task,
    TaskKind,
    TaskState,
)
from proxy.jobs.records import TaskInfo, object_name_seed
from proxy.jobs.store import JobStore
from proxy.jobs.worker import JobWorker

__all__ = [
    "MAX_BATCH_CONCURRENCY",
    "Batch",
    "BatchStatus",
    "DatabaseConfig",
    "JobStore",
    "JobWorker",
    "JobsConfig",
    "Task",
    "TaskInfo",
    "TaskKind",
    "TaskState",
    "object_name_seed",
]
