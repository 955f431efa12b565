"""Durable image jobs: batches and tasks in SQLite or PostgreSQL, run by a background worker.

Public:
- `JobStore(url)`: batches (`create_batch`, `batch_status`, `list_batches`, `cancel_batch`),
  single requests (`create_single_task`, `finish_single`), `task_stats`, and the worker's leases
  (`claim`, `claim_ahead`, `renew`, `complete`, `fail`, `hand_over`, `release`).
- `JobWorker(store, run)`: runs tasks in the event loop; `start`, `wake`, `cancel_batch`, `stop`.
- `TaskInfo`, what `run` receives; `object_name_seed(task)` to name stored images idempotently.
- `DatabaseConfig`, `JobsConfig`: the config sections.
- `Batch`, `Task` (tables), `TaskState`, `BatchStatus`, `TaskKind`, `MAX_BATCH_CONCURRENCY`.
"""

import importlib
from typing import TYPE_CHECKING, Any

from proxy.jobs.config import DatabaseConfig, JobsConfig

if TYPE_CHECKING:
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

# The store and worker pull in SQLModel and SQLAlchemy; config validation only needs the
# settings, so everything else is imported on first use (PEP 562).
_LAZY = {
    "MAX_BATCH_CONCURRENCY": "models",
    "Batch": "models",
    "BatchStatus": "models",
    "Task": "models",
    "TaskKind": "models",
    "TaskState": "models",
    "TaskInfo": "records",
    "object_name_seed": "records",
    "JobStore": "store",
    "JobWorker": "worker",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)


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
