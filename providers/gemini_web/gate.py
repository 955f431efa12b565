"""What stands between a request and an account: the proxy's per-account concurrency pool and
pacing, injected so the provider needs to know nothing of them."""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol


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
