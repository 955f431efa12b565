"""What stands between a request and an account: the proxy's per-account concurrency pool and
pacing, injected so the provider needs to know nothing of them."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

from .errors import GeminiWebError


class AccountGate(Protocol):
    def hold(self, account: str) -> AbstractAsyncContextManager[None]:
        """Wait for the account's turn and keep its slot for the block (a stream's lifetime).
        May raise a `GeminiWebError` (e.g. 429 when the queue is full). An exception leaving
        the block tells the gate how the upstream call went (its `status_code`)."""
        ...


class OpenGate:
    """No limits: every call goes at once."""

    @asynccontextmanager
    async def hold(self, account: str) -> AsyncIterator[None]:
        yield


async def enter_gate(
    gate: AbstractAsyncContextManager[None], exit_signal: asyncio.Event, seconds: float
) -> None:
    """Enter `gate` (wait for the account's turn) unless the account leaves rotation meanwhile
    (`exit_signal`) or `seconds` pass first: then the wait ends at once with a
    `GeminiWebError`, so that queued requests move on rather than call an account that can no
    longer serve them, or wait past their time."""
    entering = asyncio.ensure_future(gate.__aenter__())
    exiting = asyncio.ensure_future(exit_signal.wait())
    try:
        await asyncio.wait(
            {entering, exiting},
            timeout=max(0.0, seconds),
            return_when=asyncio.FIRST_COMPLETED,
        )
    except BaseException:
        await _give_up(gate, entering, exiting)
        raise
    if entering.done() and not exit_signal.is_set():
        exiting.cancel()
        entering.result()  # the gate's own refusal, e.g. 429 when its queue is full
        return
    await _give_up(gate, entering, exiting)
    if exit_signal.is_set():
        raise GeminiWebError(
            503, "The account left rotation while the request waited", reason="account_left"
        )
    raise GeminiWebError(
        504, "The request's time ran out while it waited for the account", reason="queued"
    )


async def _give_up(
    gate: AbstractAsyncContextManager[None],
    entering: asyncio.Future[None],
    exiting: asyncio.Future[Any],
) -> None:
    """Stop waiting for a turn; one granted meanwhile is given back unused."""
    exiting.cancel()
    entering.cancel()  # no effect once it has entered
    await asyncio.wait({entering})
    if not entering.cancelled() and entering.exception() is None:
        # Left as a cancellation, which the gate does not take for an upstream call's outcome.
        cancelled = asyncio.CancelledError()
        await gate.__aexit__(type(cancelled), cancelled, None)
