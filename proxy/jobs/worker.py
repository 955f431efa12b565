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
"""

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
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
        self._running: dict[str, asyncio.Task[None]] = {}
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

    async def stop(self, grace_seconds: float = 0.0) -> None:
        """Stop claiming, give running tasks `grace_seconds` to finish, cancel the rest and hand
        them back as pending so the next process resumes them without waiting for a lease."""
        self._stopping = True
        self.wake()
        poll, renew = self._loops or (None, None)
        if poll is not None:
            await poll
        running = set(self._running.values())
        if running and grace_seconds > 0:
            await self._wait_some(asyncio.wait(running), grace_seconds)
        unfinished = [task_id for task_id, job in self._running.items() if not job.done()]
        for job in running:
            job.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        if renew is not None:
            renew.cancel()
            await asyncio.gather(renew, return_exceptions=True)
        if unfinished:
            await self._store.release(unfinished, self.owner_id, self._utcnow())

    async def _poll_loop(self) -> None:
        while not self._stopping:
            self._wakeup.clear()  # before claiming, so a wake() during the claim is not lost
            try:
                await self._fill_slots()
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
        now = self._utcnow()
        # Single requests have deadlines of minutes: sweeping once a lease is plenty, and keeps
        # a write transaction off the path between one task and the next.
        if self._clock.now() >= self._sweep_due:
            await self._store.fail_stale_singles(now)
            self._sweep_due = self._clock.now() + self._lease_seconds
        free = self._concurrency - len(self._running)
        if free <= 0:
            return
        for task in await self._store.claim(self.owner_id, self._lease_seconds, now, free):
            # Our own lease can lapse if the loop stalls; re-claiming it just renewed it.
            if task.id not in self._running:
                self._running[task.id] = asyncio.create_task(
                    self._execute(task), name=f"job-{task.id}"
                )
                self._holding.set()

    async def _renew_loop(self) -> None:
        """Every third of a lease, extend the leases of all running tasks in one transaction."""
        while True:
            if not self._running:
                # Idle: nothing to renew until a task starts (no wake-ups, no clock ticks).
                self._holding.clear()
                await self._holding.wait()
            await self._clock.sleep(self._lease_seconds / 3)
            held = list(self._running)
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
                # Gone from the store's view: taken over, or it has just been recorded.
                job = self._running.get(task_id)
                if job is not None:
                    self._lost.add(task_id)
                    job.cancel()

    async def _execute(self, task: TaskInfo) -> None:
        try:
            outcome = await self._attempt(task)
            if outcome is not None:
                await self._record(task, outcome)
        except Exception as exc:
            logger.error(
                "job worker %s: recording task %s failed: %s", self.owner_id, task.id, _kind(exc)
            )
        finally:
            self._running.pop(task.id, None)
            self._lost.discard(task.id)
            self.wake()  # a slot is free

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
            logger.warning("task %s: another worker took it over; outcome dropped", task.id)
