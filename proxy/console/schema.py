"""What the console reads: one overview document, polled by the page."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from proxy.accounts.schema import AccountView
from proxy.batches.schema import BatchSummary
from proxy.status.schema import Health

PROMPT_SHOWN = 200
"""Characters of a prompt the console shows; the rest is cut."""


class AccountLimits(BaseModel):
    """One account's limiter, live: its pacing and its pool of upstream slots."""

    account: str
    current_delay: float
    requests_last_minute: int
    rpm_limit: int
    consecutive_429s: int
    in_use: int
    max: int
    queued: int


class RecentImage(BaseModel):
    """A single image request and, per image, the watermark outcome."""

    id: str
    prompt: str
    model: str | None
    state: str
    created_at: datetime
    finished_at: datetime | None
    urls: list[str | None]
    watermark: list[dict[str, Any]]
    error: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "RecentImage":
        result = row.get("result") or {}
        prompt = row["prompt"]
        return cls(
            id=row["id"],
            prompt=prompt if len(prompt) <= PROMPT_SHOWN else prompt[:PROMPT_SHOWN] + "…",
            model=(row.get("params") or {}).get("model"),
            state=row["state"],
            created_at=row["created_at"],
            finished_at=row.get("finished_at"),
            urls=list(result.get("urls", [])),
            watermark=list(result.get("watermark", [])),
            error=row.get("error"),
        )


class Overview(BaseModel):
    access: str
    """`admin` (the admin key was given: actions allowed) or `read-only`."""
    admin_api: bool
    """Whether an admin key is configured at all (otherwise no action is possible)."""
    health: Health
    accounts: list[AccountView]
    limits: list[AccountLimits]
    batches: list[BatchSummary]
    images: list[RecentImage]
