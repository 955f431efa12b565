"""Plain, detached records the store hands out, and the object-name seed for idempotent uploads."""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class TaskInfo:
    """A claimed task as the worker's run function sees it.

    `attempts` counts runs, this one included: 2 or more means an earlier run was interrupted
    (crash, restart, lost lease) and may already have stored its image.
    """

    id: str
    batch_id: str | None
    index: int
    kind: str
    prompt: str
    params: dict[str, Any]
    attempts: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class HandOver:
    """What `JobStore.hand_over` did with an ended task and the successor started in its place."""

    recorded: bool  # the ended task's outcome was recorded (False: another owner has the task)
    started: bool  # the successor counts as started (False: stop it, it is not ours to run)
    claimed_ahead: list[TaskInfo]  # tasks claimed ahead in the successor's batch meanwhile


def object_name_seed(task: TaskInfo) -> str:
    """A stable short hash of the task id, for the `{timestamp}_{keyword}_{hash}.png` object name.

    A task that runs again after a crash must store its image under the same name (overwriting
    the first copy) rather than a second object, so the name may depend only on the task: use
    this seed as the hash and `task.created_at` as the timestamp, never the time of the upload.
    12 hex digits keep names of one batch (same second, same keyword) from colliding.
    """
    return hashlib.sha256(task.id.encode()).hexdigest()[:12]
