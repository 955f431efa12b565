"""The `database:` and `jobs:` config sections."""

import pytest
from pydantic import ValidationError

from proxy.jobs import DatabaseConfig, JobsConfig


def test_defaults() -> None:
    assert DatabaseConfig().url == ""  # the app puts SQLite in server.data_dir
    jobs = JobsConfig()
    assert (jobs.max_prompts, jobs.worker_concurrency) == (100, 2)
    assert jobs.poll_interval < jobs.lease_seconds


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(ValidationError, match="lease"):
        JobsConfig.model_validate({"lease": 10})
    with pytest.raises(ValidationError, match="uri"):
        DatabaseConfig.model_validate({"uri": "sqlite:///x.db"})


def test_poll_longer_than_lease_is_refused() -> None:
    with pytest.raises(ValidationError, match="poll_interval"):
        JobsConfig(lease_seconds=5, poll_interval=10)
