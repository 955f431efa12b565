"""The `redis:` section of config.yaml: where replicas share their limits, and what each limit
does while Redis cannot be reached."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

FailMode = Literal["closed", "open"]


class FailModes(BaseModel):
    """`closed`: refuse with 503 while Redis cannot confirm the limit. `open`: this replica falls
    back to its own in-process limits (so they multiply by the number of replicas) until Redis
    answers again."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    accounts: FailMode = "closed"
    """Per-account concurrency, pacing and cooldowns: they keep the accounts safe."""
    clients: FailMode = "open"
    """Per-IP quota and per-model interval: they protect no account, only fairness."""


class RedisSettings(BaseModel):
    """`redis:`: shared limits for several replicas."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    url: SecretStr | None = None
    """`redis://[:password@]host:6379/0` (may be `os.environ/NAME`); unset: every limit stays
    in this process, and `--workers` above 1 is refused."""
    key_prefix: str = Field(default="gemini-proxy:", min_length=1)
    """Prefix of every key, so several deployments can share one Redis."""
    fail_mode: FailModes = FailModes()
    """What each kind of limit does while Redis cannot be reached."""
    lease_seconds: float = Field(default=30.0, gt=0)
    """An upstream slot's lease: renewed every third of it while the request runs, so a slot of
    a replica that died frees itself after at most this long."""
    poll_interval: float = Field(default=0.05, gt=0)
    """How often a request queued for a slot asks again whether its turn has come."""
    timeout_seconds: float = Field(default=1.0, gt=0)
    """Connect and reply timeout of one Redis command; past it Redis counts as unreachable."""
