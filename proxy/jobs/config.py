"""The `database:` and `jobs:` sections of config.yaml."""

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class DatabaseConfig(BaseModel):
    """`database:`: where jobs and accounts are kept. `sqlite:///path` or `postgresql://user@host/db`;
    empty: a SQLite file `gemini-proxy.db` in `server.data_dir`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    url: str = ""
    """`sqlite:///path` or `postgresql://user@host/db`; empty: SQLite in server.data_dir."""
    secret_key: SecretStr | None = Field(
        default=None, examples=["os.environ/GEMINI_PROXY_SECRET_KEY"]
    )
    """Fernet key that encrypts stored accounts (`gemini-proxy accounts new-key` makes one);
    unset (and no GEMINI_PROXY_SECRET_KEY): accounts come from this file only."""
    accounts_sync_seconds: float = Field(default=30.0, gt=0)
    """How often stored accounts are re-read, for changes made by the CLI or other replicas."""


class JobsConfig(BaseModel):
    """`jobs:`: batch limits and the background worker."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    max_prompts: int = Field(default=100, ge=1, description="prompts accepted in one batch")
    worker_concurrency: int = Field(default=2, ge=1, description="tasks run at once")
    lease_seconds: float = Field(
        default=30.0, gt=0, description="how long a crashed worker's task waits before resuming"
    )
    poll_interval: float = Field(default=2.0, gt=0, description="seconds between store polls")
    max_attempts: int = Field(default=3, ge=1, description="interrupted runs before giving up")
    single_timeout_seconds: float = Field(
        default=900.0, gt=0, description="after this, an unfinished single request is failed"
    )
    retention_days: float = Field(
        default=30.0, ge=0, description="finished jobs and stored Responses kept; 0: forever"
    )

    @model_validator(mode="after")
    def _renewal_fits_in_lease(self) -> "JobsConfig":
        # Leases are renewed every third of their length; a poll longer than the lease would
        # leave crashed work waiting needlessly long and hints at swapped values.
        if self.poll_interval > self.lease_seconds:
            raise ValueError("jobs.poll_interval must not exceed jobs.lease_seconds")
        return self
