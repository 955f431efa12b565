"""The state of one account: in rotation or not, why, and since when.

    ready     serves requests
    cooling   out of rotation until `until`: a usage limit (1037), a block (1060, an HTTP 429,
              a redirect to Google's "sorry" page) or rate limiting; blocks in a row back off
              longer each time
    expired   Google rejected the cookies: out of rotation until they are replaced
    disabled  taken out by the operator

Times are wall-clock seconds (they are shown to operators); `now` is passed in, so tests move
time without sleeping.
"""

from dataclasses import dataclass
from enum import StrEnum

from .errors import GeminiWebError

# Failure reasons (see errors.py) that take an account out of rotation; the request that met
# them moves on to another account.
COOLING_REASONS = frozenset({"usage_limit", "blocked", "rate_limited", "cooldown"})
"""`cooldown`: another replica saw a usage limit or block; it says how long is left."""
EXPIRED_REASONS = frozenset({"auth"})
FAILOVER_REASONS = COOLING_REASONS | EXPIRED_REASONS
_MAX_BLOCK_BACKOFF = 8


class State(StrEnum):
    READY = "ready"
    COOLING = "cooling"
    EXPIRED = "expired"
    DISABLED = "disabled"


@dataclass
class AccountState:
    state: State = State.READY
    reason: str = ""
    since: float = 0.0
    until: float | None = None
    """When a cooling account returns to rotation."""
    blocks_in_a_row: int = 0
    failovers: int = 0
    """Requests this account failed that moved on to another account."""

    def _move(self, state: State, reason: str, now: float, until: float | None = None) -> None:
        self.state, self.reason, self.since, self.until = state, reason, now, until

    def usable(self, now: float) -> bool:
        """Ready, or cooling with its reset time passed (then ready again)."""
        if self.state is State.COOLING and self.until is not None and self.until <= now:
            self._move(State.READY, "cooldown over", now)
        return self.state is State.READY

    def succeeded(self, now: float) -> None:
        self.blocks_in_a_row = 0
        if self.state is not State.READY and self.state is not State.DISABLED:
            self._move(State.READY, "request served", now)

    def failed(
        self, error: GeminiWebError, now: float, usage_cooldown: float, block_cooldown: float
    ) -> bool:
        """Take the account out of rotation if `error` says so; True when it did (the request
        may then move on to another account)."""
        if self.state is State.DISABLED:
            return error.reason in FAILOVER_REASONS
        if error.reason in EXPIRED_REASONS:
            self._move(State.EXPIRED, error.message, now)
            return True
        if error.reason not in COOLING_REASONS:
            return False
        if error.reason == "cooldown":
            seconds = float(error.headers.get("retry-after", block_cooldown))
        elif error.reason == "usage_limit":
            seconds = usage_cooldown
        else:
            self.blocks_in_a_row += 1
            seconds = block_cooldown * 2 ** min(self.blocks_in_a_row - 1, _MAX_BLOCK_BACKOFF)
        self._move(State.COOLING, error.message, now, now + seconds)
        return True

    def replaced_cookies(self, now: float) -> None:
        if self.state is not State.DISABLED:
            self._move(State.READY, "cookies updated", now)

    def disable(self, now: float) -> None:
        self._move(State.DISABLED, "disabled by the operator", now)

    def enable(self, now: float) -> None:
        if self.state is State.DISABLED:
            self._move(State.READY, "enabled by the operator", now)
