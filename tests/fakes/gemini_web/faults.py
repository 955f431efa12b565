"""Failure injection: what can go wrong, where, for which account and how many times.

A rule pairs a `Target` with a fault and an optional scope: one `__Secure-1PSID` value and a
count ("the next N matching requests"; None = until `reset()`). The first matching rule, in the
order they were added, fires and is used up.

Uploads and image downloads carry no cookies, so rules for them cannot be scoped to an account.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Target(StrEnum):
    APP = "app"  # GET gemini.google.com/app
    GENERATE = "generate"  # StreamGenerate
    BATCH = "batchexecute"  # batchexecute (non-200 during init() deadlocks the client!)
    UPLOAD = "upload"  # content-push.googleapis.com/upload
    IMAGE = "image"  # lh3 requests answered with image bytes
    IMAGE_FULL_SIZE = "image_full_size"  # first step of the full-size chain (`=d-I?alr=yes`)
    ROTATE = "rotate"  # accounts.google.com/RotateCookies


_COOKIELESS = frozenset({Target.UPLOAD, Target.IMAGE, Target.IMAGE_FULL_SIZE})


@dataclass(frozen=True)
class HttpError:
    """Answer with this HTTP status and an empty body."""

    status: int


@dataclass(frozen=True)
class StreamError:
    """StreamGenerate: an error frame with `code` after `after_frames` candidate frames.

    Codes as the client maps them: 1037 UsageLimitExceededError, 1050/1052 ModelInvalidError,
    1060 TemporarilyBlockedError, 1013 and any other APIError (retried by the library).
    """

    code: int
    after_frames: int = 0


@dataclass(frozen=True)
class Stall:
    """StreamGenerate: after `after_frames` candidate frames, hold the connection open.

    Silent for `seconds` (None: until `reset()`/`stop()`), then the rest of the reply follows
    if the client is still there. With `keepalive`, a lone newline is sent every `keepalive`
    seconds: the client then sees bytes but no progress, and its progress watchdog fires after
    `watchdog_timeout` instead of the socket-idle one at `min(timeout, watchdog_timeout) + 5`.
    """

    after_frames: int = 0
    seconds: float | None = None
    keepalive: float | None = None


Fault = HttpError | StreamError | Stall


@dataclass
class Rule:
    target: Target
    fault: Fault
    psid: str | None
    remaining: int | None
    rpcid: str | None = None

    def __post_init__(self) -> None:
        if self.psid is not None and self.target in _COOKIELESS:
            raise ValueError(f"{self.target} requests carry no cookies: it cannot be psid-scoped")
        if isinstance(self.fault, StreamError | Stall) and self.target is not Target.GENERATE:
            raise ValueError("stream faults only apply to Target.GENERATE")

    def matches(self, target: Target, psid: str | None, rpcid: str | None) -> bool:
        return (
            self.target is target
            and (self.psid is None or self.psid == psid)
            and (self.rpcid is None or self.rpcid == rpcid)
        )


def take(rules: list[Rule], target: Target, psid: str | None, rpcid: str | None) -> Fault | None:
    """Fire the first rule matching the request, using one of its counts. Caller holds the lock."""
    for rule in rules:
        if rule.matches(target, psid, rpcid):
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    rules.remove(rule)
            return rule.fault
    return None
