"""`JobWorker`: runs batch tasks from the store inside the proxy's event loop.

Lease and resume design:
- Each worker gets a fresh owner id (`host:pid:random`), so no two processes, and no two runs of
  one process, ever share an owner: a restarted process never mistakes its predecessor's tasks
  for its own, and a predecessor that is in fact still alive cannot record over the new owner.
- A lease is short (`lease_seconds`, 30 s by default); one renewal loop extends the leases of all
  running tasks every third of it, in one transaction. A task whose owner died is claimable again
  once its lease expires, by any worker, so after a crash work resumes at most `lease_seconds`
  (plus one poll) after the last renewal, and the new process needs no knowledge of the old one.
  Guessing that "same host, other pid" means "dead" would be faster but wrong in containers
  (pid 1 again, shared hostnames).
- A graceful `stop()` hands unfinished tasks back as pending, so the next process starts them at
  once: only a hard crash costs the lease wait.
- If a renewal finds a lease gone (this process stalled past it and another worker took the
  task), that run is cancelled: its result could no longer be recorded anyway.
- A task claimed more than `max_attempts` times (it keeps taking its worker down with it) is
  failed instead of run again; runs handed back by `stop()` do not count.

Claiming ahead, so that a slot goes from one task to the next without a store round trip:
- Next to the tasks it runs, the worker holds one task claimed ahead per running task of the same
  batch (see leases.py). When a task ends, a task claimed ahead in its batch starts at once, and
  one background transaction records the outcome and that start and claims ahead again. The
  batch's concurrency holds: the successor takes the place of a task the store still counts.
- Tasks claimed ahead are renewed with the running ones, handed back by `stop()`, and after a
  crash expire like any lease, without counting as an attempt. If a batch keeps none of our tasks
  running, its tasks claimed ahead are handed back at once.
- `cancel_batch` cancels the tasks claimed ahead too, and through this worker none of them
  starts. A worker in another process hears of it at its next renewal or hand-over; in the latter
  case that task has just started, and its run is stopped (nothing recorded) as soon as the
  hand-over's transaction reports it cancelled.
"""

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Collection, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from proxy.core.clock import Clock, SystemClock
from proxy.jobs.records import TaskInfo
from proxy.jobs.store import JobStore

logger = logging.getLogger(__name__)

_RunTask = Callable[[TaskInfo], Awaitable[dict[str, Any]]]

# Failure texts are shown to API clients; keep them short.
_MAX_ERROR_CHARS = 500


def new_owner_id() -> str:
    """A lease owner id unique to this worker: host and pid for people, random for uniqueness."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _kind(exc: BaseException) -> str:
    # No tracebacks or driver messages in the log: they can carry connection strings.
    return type(exc).__name__


def _reason(exc: BaseException) -> str:
    # The run function words its exceptions for clients (no cookies, no upstream bodies);
    # we add nothing from the traceback.
    return (str(exc) or type(exc).__name__)[:_MAX_ERROR_CHARS]


@dataclass(frozen=True, slots=True)
class _Outcome:
    result: dict[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _Run:
    task: TaskInfo
    job: asyncio.Task[None]


class JobWorker:
    """Claims batch tasks, runs them with `run`, and records each outcome exactly once.

    `run(task)` does the work and returns the result stored for the task (e.g. `{"url": ...}`);
    an exception fails the task with `str(exc)` as the reason. It must name anything it stores
    after the task (see `object_name_seed`), since a task can run again after a crash.
    """

    def __init__(
        self,
        store: JobStore,
        run: _RunTask,
        *,
        concurrency: int = 2,
        lease_seconds: float = 30.0,
        poll_interval: float = 2.0,
        max_attempts: int = 3,
        clock: Clock | None = None,
        utcnow: Callable[[], datetime] | None = None,
    ) -> None:
        self._store = store
        self._run = run
        self._concurrency = concurrency
        self._lease_seconds = lease_seconds
        self._poll_interval = poll_interval
        self._max_attempts = max_attempts
        self._clock = clock or SystemClock()
        self._utcnow = utcnow or (lambda: datetime.now(UTC))
        self.owner_id = new_owner_id()
        self._running: dict[str, _Run] = {}
        self._ahead: dict[str, TaskInfo] = {}  # to start when a run of their batch ends
        self._cancelling: set[str] = set()  # batches being cancelled: start none of their tasks
        self._writes: set[asyncio.Task[None]] = set()  # hand-overs and claims ahead under way
        self._lost: set[str] = set()  # running tasks whose lease another owner now holds
        self._wakeup = asyncio.Event()
        self._holding = asyncio.Event()  # set while tasks run: only then are leases renewed
        self._stopping = False
        self._loops: list[asyncio.Task[None]] = []
        self._sweep_due = float("-inf")

    @property
    def in_flight(self) -> int:
        """Tasks being run right now."""
        return len(self._running)

    def start(self) -> None:
        """Start polling (from inside the running event loop); unfinished work resumes at once."""
        if not self._loops:
            self._loops = [
                asyncio.create_task(self._poll_loop(), name="job-worker-poll"),
                asyncio.create_task(self._renew_loop(), name="job-worker-renew"),
            ]

    def wake(self) -> None:
        """Look for work now rather than at the next poll (e.g. a batch was just created)."""
        self._wakeup.set()

    async def cancel_batch(self, batch_id: str) -> dict[str, Any] | None:
        """`JobStore.cancel_batch`, starting none of the tasks this worker claimed ahead there."""
        self._cancelling.add(batch_id)
        try:
            cancelled = await self._store.cancel_batch(batch_id)
        finally:
            self._cancelling.discard(batch_id)
        for task_id in [t.id for t in self._ahead.values() if t.batch_id == batch_id]:
            del self._ahead[task_id]  # cancelled with the rest: nothing to hand back
        return cancelled

    async def stop(self, grace_seconds: float = 0.0) -> None:
        """Stop claiming, give running tasks `grace_seconds` to finish, cancel the rest and hand
        them back as pending, with the tasks claimed ahead, so the next process resumes them
        without waiting for a lease."""
        self._stopping = True
        self.wake()
        poll, renew = self._loops or (None, None)
        if poll is not None:
            await poll
        running = {run.job for run in self._running.values()}
        if running and grace_seconds > 0:
            await self._wait_some(asyncio.wait(running), grace_seconds)
        unfinished = [task_id for task_id, run in self._running.items() if not run.job.done()]
        for job in running:
            job.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        # Hand-overs under way record their outcomes, and may bring tasks claimed ahead.
        await asyncio.gather(*self._writes, return_exceptions=True)
        if renew is not None:
            renew.cancel()
            await asyncio.gather(renew, return_exceptions=True)
        handed_back = unfinished + list(self._ahead)
        self._ahead.clear()
        if handed_back:
            await self._store.release(handed_back, self.owner_id, self._utcnow())

    async def _poll_loop(self) -> None:
        while not self._stopping:
            self._wakeup.clear()  # before claiming, so a wake() during the claim is not lost
            try:
                await self._fill_slots()
                await self._sweep_singles()
            except Exception as exc:
                # The database may be briefly unreachable; the next poll tries again.
                logger.error(
                    "job worker %s: polling the job store failed: %s", self.owner_id, _kind(exc)
                )
            await self._wait_some(self._wakeup.wait(), self._poll_interval)

    async def _wait_some(self, awaitable: Awaitable[Any], seconds: float) -> None:
        """Wait for `awaitable` or `seconds` on the clock, whichever comes first."""
        waiter = asyncio.ensure_future(awaitable)
        timer = asyncio.ensure_future(self._clock.sleep(seconds))
        await asyncio.wait({waiter, timer}, return_when=asyncio.FIRST_COMPLETED)
        timer.cancel()
        if not waiter.done():
            waiter.cancel()

    async def _fill_slots(self) -> None:
        free = self._concurrency - len(self._running)
        if free <= 0:
            return
        now = self._utcnow()
        # Our own lease can lapse if the loop stalls; re-claiming it just renewed it.
        claimed = [
            task
            for task in await self._store.claim(self.owner_id, self._lease_seconds, now, free)
            if task.id not in self._running
        ]
        for task in claimed:
            self._ahead.pop(task.id, None)  # a lapsed claim ahead: started by this claim
            self._start(task)
        if claimed:
            self._write(self._claim_ahead({task.batch_id for task in claimed if task.batch_id}))

    async def _sweep_singles(self) -> None:
        # Single requests have deadlines of minutes: sweeping once a lease is plenty, and keeps
        # a write transaction off the path between one task and the next (and before the first).
        if self._clock.now() >= self._sweep_due:
            await self._store.fail_stale_singles(self._utcnow())
            self._sweep_due = self._clock.now() + self._lease_seconds

    def _start(self, task: TaskInfo) -> None:
        job = asyncio.create_task(self._execute(task), name=f"job-{task.id}")
        self._running[task.id] = _Run(task, job)
        self._holding.set()

    def _write(self, write: Coroutine[Any, Any, None]) -> None:
        """Run a store write in the background; stop() waits for it. Tasks created before it
        (the runs just started) take their first step first: its thread may hold the GIL a while."""
        job = asyncio.create_task(write)
        self._writes.add(job)
        job.add_done_callback(self._writes.discard)

    async def _renew_loop(self) -> None:
        """Every third of a lease, extend the leases of all running tasks in one transaction."""
        while True:
            if not self._running:
                # Idle: nothing to renew until a task starts (no wake-ups, no clock ticks).
                self._holding.clear()
                await self._holding.wait()
            await self._clock.sleep(self._lease_seconds / 3)
            held = [*self._running, *self._ahead]
            if not held:
                continue
            try:
                kept = await self._store.renew(
                    held, self.owner_id, self._lease_seconds, self._utcnow()
                )
            except Exception as exc:
                logger.error("job worker %s: renewing leases failed: %s", self.owner_id, _kind(exc))
                continue
            for task_id in set(held) - kept:
                # Gone from the store's view: taken over, cancelled, or just recorded.
                self._lose(task_id)

    def _lose(self, task_id: str) -> None:
        """Another owner has the task now (or it is cancelled): forget it, or stop running it."""
        self._ahead.pop(task_id, None)
        run = self._running.get(task_id)
        if run is not None:
            self._lost.add(task_id)
            run.job.cancel()

    async def _execute(self, task: TaskInfo) -> None:
        successor: TaskInfo | None = None
        try:
            outcome = await self._attempt(task)
            if outcome is None:
                return
            successor = self._successor(task)
            if successor is None:
                await self._record(task, outcome)
            else:
                self._start(successor)
                self._write(self._hand_over(task, outcome, successor))
        except Exception as exc:
            logger.error(
                "job worker %s: recording task %s failed: %s", self.owner_id, task.id, _kind(exc)
            )
        finally:
            self._running.pop(task.id, None)
            self._lost.discard(task.id)
            if successor is None:
                self.wake()  # a slot is free
                if not self._stopping:  # stop() hands back what is left
                    self._write(self._release_stranded())

    def _successor(self, ended: TaskInfo) -> TaskInfo | None:
        """Take a task claimed ahead in the ended task's batch, to start in its place."""
        if self._stopping or ended.batch_id in self._cancelling:
            return None
        for task_id, task in self._ahead.items():
            if task.batch_id == ended.batch_id:
                return self._ahead.pop(task_id)
        return None

    async def _attempt(self, task: TaskInfo) -> _Outcome | None:
        """Run the task; None if its lease was lost meanwhile (nothing to record)."""
        if task.attempts > self._max_attempts:
            return _Outcome(error=f"gave up after {task.attempts - 1} interrupted attempts")
        try:
            return _Outcome(result=await self._run(task))
        except asyncio.CancelledError:
            if task.id not in self._lost:
                raise  # stop() cancels; it hands the task back itself
            logger.warning("job worker %s: lost the lease on %s", self.owner_id, task.id)
            return None
        except Exception as exc:
            logger.warning("task %s failed: %s", task.id, _reason(exc))
            return _Outcome(error=_reason(exc))

    async def _record(self, task: TaskInfo, outcome: _Outcome) -> None:
        now = self._utcnow()
        if outcome.error is None:
            assert outcome.result is not None
            recorded = await self._store.complete(task.id, self.owner_id, outcome.result, now)
        else:
            recorded = await self._store.fail(task.id, self.owner_id, outcome.error, now)
        if not recorded:
            _warn_taken_over(task)

    async def _hand_over(self, ended: TaskInfo, outcome: _Outcome, successor: TaskInfo) -> None:
        """Record the ended task's outcome and its successor's start; claim ahead again."""
        try:
            handed = await self._store.hand_over(
                ended.id, successor.id, self.owner_id, self._lease_seconds, self._utcnow(),
                result=outcome.result, error=outcome.error,
            )  # fmt: skip
        except Exception as exc:
            logger.error(
                "job worker %s: recording task %s failed: %s", self.owner_id, ended.id, _kind(exc)
            )
            return
        if not handed.recorded:
            _warn_taken_over(ended)
        if not handed.started:
            self._lose(successor.id)
        await self._hold_ahead(handed.claimed_ahead)

    async def _claim_ahead(self, batch_ids: Collection[str]) -> None:
        try:
            claimed = await self._store.claim_ahead(
                self.owner_id, batch_ids, self._lease_seconds, self._utcnow()
            )
        except Exception as exc:
            # Each task then waits for a poll to start, as without claiming ahead.
            logger.error("job worker %s: claiming ahead failed: %s", self.owner_id, _kind(exc))
            return
        await self._hold_ahead(claimed)

    async def _hold_ahead(self, claimed: list[TaskInfo]) -> None:
        # A task of ours whose lease lapsed can come back claimed ahead while it still runs.
        self._ahead.update((task.id, task) for task in claimed if task.id not in self._running)
        await self._release_stranded()

    async def _release_stranded(self) -> None:
        """Hand back tasks claimed ahead in batches where nothing of ours runs any more (a lost
        lease, or a claim ahead that came back late): no run there will end to start them."""
        running = {run.task.batch_id for run in self._running.values()}
        stranded = [task.id for task in self._ahead.values() if task.batch_id not in running]
        if not stranded:
            return
        for task_id in stranded:
            del self._ahead[task_id]
        try:
            await self._store.release(stranded, self.owner_id, self._utcnow())
        except Exception as exc:
            # Their leases lapse unrenewed, and any worker claims them then.
            logger.error("job worker %s: handing back failed: %s", self.owner_id, _kind(exc))
            return
        self.wake()  # a free slot may take them now


def _warn_taken_over(task: TaskInfo) -> None:
    logger.warning("task %s: another worker took it over; outcome dropped", task.id)
