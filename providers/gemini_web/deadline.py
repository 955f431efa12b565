"""Time limits that hold even when the library is slow to cancel, and that never hide an
upstream request still running.

Cancelling a `gemini_webapi` call mid-transfer waits for curl to finish the transfer (curl_cffi's
`Response.aclose` awaits it), so `asyncio.timeout` would answer late. The call runs as a task
instead; when time is up (or our caller is cancelled) it is cancelled and left to unwind while
the caller answers at once. Such abandoned calls are tracked: the account's slot must stay held
until they have really ended (`settle`), and one that will not end within a grace period is
ended by closing the account's session, which aborts its transfers.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

logger = logging.getLogger(__name__)


class Timer(Protocol):
    """Monotonic time and waiting, injected so tests move time instead of waiting for it
    (the proxy's `Clock` is one)."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class LoopTimer:
    """The event loop's own time."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def _forget(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so an abandoned failure is not reported as unhandled


class Inflight:
    """The upstream calls of one turn, including those its caller gave up on."""

    def __init__(self, grace: float, abort: Callable[[], Awaitable[None]], timer: Timer) -> None:
        self._grace = grace
        self._abort = abort
        self._timer = timer
        self._abandoned: set[asyncio.Future[Any]] = set()

    @property
    def settled(self) -> bool:
        return all(task.done() for task in self._abandoned)

    async def within(self, awaitable: Awaitable[T], seconds: float) -> T:
        """`await awaitable`, or raise `TimeoutError` after `seconds` without waiting for it."""
        task = asyncio.ensure_future(awaitable)
        alarm = asyncio.ensure_future(self._timer.sleep(max(seconds, 0)))
        try:
            await asyncio.wait({task, alarm}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            alarm.cancel()
            self._abandon(task, cancel=True)
            raise
        alarm.cancel()
        if not task.done():
            self._abandon(task, cancel=True)
            raise TimeoutError
        return task.result()

    def close_stream(self, stream: AsyncGenerator[Any, None]) -> None:
        """Close a library stream left unfinished, once any abandoned step of it has unwound
        (a generator cannot be closed while a step of it runs)."""
        steps = [task for task in self._abandoned if not task.done()]

        async def close() -> None:
            if steps:
                await asyncio.wait(steps)
            await stream.aclose()

        self._abandon(asyncio.ensure_future(close()), cancel=False)

    def _abandon(self, task: asyncio.Future[Any], *, cancel: bool) -> None:
        if cancel:
            task.cancel()
        task.add_done_callback(_forget)
        self._abandoned.add(task)

    async def settle(self) -> None:
        """Return once every abandoned call has ended; past the grace period, close the
        account's session so that its transfers end."""
        pending = {task for task in self._abandoned if not task.done()}
        if not pending:
            return
        _, pending = await asyncio.wait(pending, timeout=self._grace)
        if pending:
            logger.warning("an abandoned Gemini web call did not end: closing its session")
            with contextlib.suppress(Exception):
                await self._abort()
            _, pending = await asyncio.wait(pending, timeout=self._grace)
            if pending:  # should not happen: an aborted session ends its transfers
                logger.error("an abandoned Gemini web call survived its session's close")
