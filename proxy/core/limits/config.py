"""The `limits:` section of config.yaml: client limits, concurrency pool, upstream pacing, retry.

The primitives take these models directly (`ClientLimiter(settings.client, clock)`), so every
knob has one name and one default, here.
"""

from pydantic import BaseModel, ConfigDict, Field, IPvAnyNetwork, model_validator


class ClientLimits(BaseModel):
    """Limits on what clients ask for, checked before any upstream work."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    enabled: bool = True
    """Off: no per-IP or per-model limits (the pool and pacing still apply)."""
    per_ip_per_hour: int = Field(default=60, ge=1)
    """Requests one client IP may make in any rolling hour."""
    model_interval_seconds: float = Field(default=5.0, ge=0)
    """At most one request per model in this many seconds, whoever asks."""
    trusted_proxies: list[IPvAnyNetwork] = []
    """Peers (IPs or CIDRs) whose `X-Forwarded-For` we believe, e.g. the Caddy in front of us."""
    max_clients: int = Field(default=10_000, ge=1)
    """IPs remembered at once; past it the least recently seen is forgotten (bounds memory)."""


class PoolSettings(BaseModel):
    """Upstream requests in flight at once; the rest queue, bounded in length and in time."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    size: int = Field(default=2, ge=1)
    """Upstream requests one account runs at once (a stream holds its slot until it ends)."""
    max_queue: int = Field(default=20, ge=0)
    """Requests waiting for a slot; past it, 429 at once."""
    max_wait_seconds: float = Field(default=120.0, gt=0)
    """Longest wait for a slot before 429."""


class PacingSettings(BaseModel):
    """Spacing between consecutive upstream calls: grows on 429, shrinks on success."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    min_delay: float = Field(default=2.0, gt=0)
    """Starting and smallest spacing in seconds (what /health shows as `current_delay` at rest)."""
    max_delay: float = Field(default=60.0, gt=0)
    """Largest spacing in seconds, however many 429s."""
    backoff: float = Field(default=2.0, ge=1)
    """Spacing multiplier on each 429."""
    recovery: float = Field(default=0.5, gt=0, le=1)
    """Spacing multiplier on each success: at 0.5, five successes bring the largest spacing
    back to its floor once the upstream has recovered."""
    jitter: float = Field(default=0.25, ge=0, le=1)
    """Each spacing is stretched by a random fraction in [0, jitter)."""
    rpm: int = Field(default=60, ge=1)
    """Hard cap of upstream calls in any rolling 60 s; callers past it wait."""

    @model_validator(mode="after")
    def _ordered(self) -> "PacingSettings":
        if self.max_delay < self.min_delay:
            raise ValueError("max_delay must be at least min_delay")
        return self


def _default_retry_on() -> frozenset[int]:
    # 503 is left out: here it means no usable account (cookies invalid), which waiting
    # seconds does not fix. 504 too: the attempt used the request's whole time, a retry would
    # only multiply it. Every other 5xx and 429 is worth another try.
    return frozenset({429, *range(500, 600)} - {503, 504})


class RetrySettings(BaseModel):
    """Retries of a failed upstream call: delay = min(base * factor**n, max_delay) for the n-th."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    max_retries: int = Field(default=5, ge=0)
    """Further tries after the first; 0: no retries."""
    base: float = Field(default=2.0, ge=0)
    """Delay in seconds before the first retry."""
    factor: float = Field(default=2.0, ge=1)
    """Each further retry waits this many times longer."""
    max_delay: float = Field(default=32.0, ge=0)
    """Longest delay between two tries."""
    max_retry_after: float = Field(default=60.0, ge=0)
    """An upstream `Retry-After` longer than this is not waited out: the call fails at once."""
    retry_on: frozenset[int] = Field(default_factory=_default_retry_on)
    """Statuses worth another try; default 429 and every 5xx but 503 and 504."""


class LimitsSettings(BaseModel):
    """Every limit of the `limits:` section."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    client: ClientLimits = ClientLimits()
    """Per client IP and per model, checked before any upstream work."""
    pool: PoolSettings = PoolSettings()
    """Per account: upstream requests in flight and the queue behind them."""
    pacing: PacingSettings = PacingSettings()
    """Per account: spacing between upstream calls."""
    retry: RetrySettings = RetrySettings()
    """Retries of failed upstream calls."""
