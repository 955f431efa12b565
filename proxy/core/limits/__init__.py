"""Rate and concurrency limits, pure and clock-driven; the app factory builds and wires them.

A request's path through them:

    decision = client_limiter.check(client_ip(peer, xff, trusted), model)  # Services.admit
    await call_with_retry(attempt, policy=..., clock=..., status_of=...)    # Upstream
    # where one attempt goes through the Router to the account's gate (gate.py):
    # async with pool.slot(): await pacer.wait_turn(); call upstream; pacer.record(status)
"""

from proxy.core.limits.client import ADMIT, ClientLimiter, Decision, client_ip
from proxy.core.limits.config import (
    ClientLimits,
    LimitsSettings,
    PacingSettings,
    PoolSettings,
    RetrySettings,
)
from proxy.core.limits.errors import LimitError, PoolFull, PoolTimeout
from proxy.core.limits.pacing import Pacer, PacingStats
from proxy.core.limits.pool import ConcurrencyPool, PoolStats, WaitEstimate
from proxy.core.limits.retry import Attempt, call_with_retry, next_delay, parse_retry_after
from proxy.core.limits.window import SlidingWindow

__all__ = [
    "ADMIT",
    "Attempt",
    "ClientLimiter",
    "ClientLimits",
    "ConcurrencyPool",
    "Decision",
    "LimitError",
    "LimitsSettings",
    "Pacer",
    "PacingSettings",
    "PacingStats",
    "PoolFull",
    "PoolSettings",
    "PoolStats",
    "PoolTimeout",
    "RetrySettings",
    "SlidingWindow",
    "WaitEstimate",
    "call_with_retry",
    "client_ip",
    "next_delay",
    "parse_retry_after",
]
