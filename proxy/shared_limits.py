"""Which limits an app gets: in this process, or shared by every replica through Redis when
`redis: url` is set (the composition root asks here). The shared ones, and the Redis client
with them, are imported only then."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING

from proxy.accounts.gate import AccountLimits
from proxy.core.admission import ClientLimits, InProcessLimits
from proxy.core.clock import Clock
from proxy.core.config import Settings
from proxy.core.limits import ClientLimiter
from proxy.core.metrics import Metrics

if TYPE_CHECKING:
    from proxy.core.shared.store import SharedStore


@dataclass(frozen=True)
class Limits:
    gate: AccountLimits
    clients: ClientLimits
    replica: str | None = None
    """This process among the replicas sharing the limits; None when they are not shared."""
    store: SharedStore | None = None
    """The Redis connection the limits share, when they are."""


def build_limits(
    settings: Settings, clock: Clock, metrics: Metrics, stack: AsyncExitStack
) -> Limits:
    """The account gate and the client limits; a Redis connection is closed with `stack`."""
    accounts = [a.name for a in settings.accounts]
    limits = settings.limits
    local_clients = ClientLimiter(limits.client, clock)
    if settings.redis.url is None:
        return Limits(
            AccountLimits(accounts, limits, clock, metrics), InProcessLimits(local_clients)
        )
    from proxy.accounts.shared_gate import SharedAccountLimits
    from proxy.core.shared.client import SharedClientLimiter
    from proxy.core.shared.store import SharedStore

    store = SharedStore(settings.redis)
    stack.push_async_callback(store.close)
    modes = settings.redis.fail_mode
    gate = SharedAccountLimits(
        store, accounts, limits, clock, metrics, fail_open=modes.accounts == "open"
    )
    stack.push_async_callback(gate.flush)  # before the connection closes
    fallback = local_clients if modes.clients == "open" else None
    clients = SharedClientLimiter(store, limits.client, fallback)
    return Limits(gate, clients, store.replica, store)
