"""The retry policy: exponential backoff on 429 and 5xx, honouring the upstream's Retry-After.

Streaming: retry only what comes before the first content, never a stream that has sent some.
Wrap the opening of the stream up to its first chunk, and stream the rest outside the retry:

    async def first_chunk():
        stream = open_upstream_stream()
        return await anext(stream), stream   # an upstream error shows up here

    first, stream = await call_with_retry(first_chunk, policy=..., clock=..., status_of=...)
"""

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from proxy.core.clock import Clock
from proxy.core.limits.config import RetrySettings

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Attempt:
    """One failed attempt, as logged for metrics and tests."""

    number: int
    """1 for the first call, 2 for the first retry, ..."""
    status: int | None
    error: str
    """The exception's class name."""
    retry_after: float | None
    """What the upstream asked for, if anything."""
    delay: float | None
    """Seconds waited before the next attempt; None: given up, the error was raised."""


def next_delay(
    policy: RetrySettings, retries_done: int, status: int | None, retry_after: float | None
) -> float | None:
    """Seconds to wait before retrying, or None to give up.

    The backoff is `base * factor**retries_done`, capped at `max_delay`. An upstream
    Retry-After is a floor, never shortened: we wait the longer of the two. One longer than
    `max_retry_after` is not waited out at all: the error goes back to the caller (with the
    upstream's wait, for its own Retry-After) rather than holding the request open.
    """
    if status not in policy.retry_on or retries_done >= policy.max_retries:
        return None
    if retry_after is not None and retry_after > policy.max_retry_after:
        return None
    backoff = min(policy.base * policy.factor**retries_done, policy.max_delay)
    return backoff if retry_after is None else max(backoff, retry_after)


def parse_retry_after(value: str | None) -> float | None:
    """A `Retry-After` header in seconds; None when absent or not a number of seconds.

    HTTP-date values are ignored: they would need the wall clock, and upstreams send seconds.
    """
    try:
        seconds = float(value) if value is not None else math.nan
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _no_retry_after(_: Exception) -> float | None:
    return None


async def call_with_retry(
    fn: Callable[[], Awaitable[T]],
    *,
    policy: RetrySettings,
    clock: Clock,
    status_of: Callable[[Exception], int | None],
    retry_after_of: Callable[[Exception], float | None] = _no_retry_after,
    attempts: list[Attempt] | None = None,
    deadline: float | None = None,
) -> T:
    """Await `fn()` until it succeeds or `next_delay` gives up; then its last error is raised.

    `status_of` maps an error to an HTTP status (None: not an HTTP error, never retried);
    `retry_after_of` reads its Retry-After in seconds. Each failure is appended to `attempts`.
    Cancellation is never retried. With a `deadline` (on `clock`), a retry starts only if it
    can finish before it: its delay plus as long as the attempt that just failed took.
    """
    retries_done = 0
    while True:
        started = clock.now()
        try:
            return await fn()
        except Exception as error:
            status = status_of(error)
            retry_after = retry_after_of(error)
            delay = next_delay(policy, retries_done, status, retry_after)
            took = clock.now() - started
            if delay is not None and deadline is not None and clock.now() + delay + took > deadline:
                delay = None
            if attempts is not None:
                attempts.append(
                    Attempt(retries_done + 1, status, type(error).__name__, retry_after, delay)
                )
            if delay is None:
                raise
        await clock.sleep(delay)
        retries_done += 1
