"""Time limits that hold even when the library is slow to cancel.

Cancelling a `gemini_webapi` call mid-transfer waits for curl to give up (the library's own
timeout plus a fixed 5 s), so `asyncio.timeout` would answer late. The call runs as a task
instead; when time is up it is cancelled and left to finish unwinding on its own.
"""

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


def _forget(task: asyncio.Task[object]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so an abandoned failure is not reported as unhandled


async def within(awaitable: Awaitable[T], seconds: float) -> T:
    """`await awaitable`, or raise `TimeoutError` after `seconds` without waiting for it."""
    task = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait({task}, timeout=max(seconds, 0))
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        task.cancel()
        task.add_done_callback(_forget)
        raise TimeoutError
    return task.result()
