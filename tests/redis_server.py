"""Real Redis for tests: the machine's server, a unique key prefix per test, and a private
server that a test may stop and start again.

Redis is looked for at `TEST_REDIS_URL` or redis://127.0.0.1:6379/0; if it does not answer,
the tests that need it are skipped with the reason (CI starts the server).
"""

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Self

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.live import free_port, poll

DEFAULT_URL = "redis://127.0.0.1:6379/0"
NO_RETRY = Retry(NoBackoff(), 0)


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_URL)
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=2, retry=NO_RETRY) as client:
            client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis unreachable at {url} ({type(exc).__name__}): shared limits untested")
    return url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    with redis.Redis.from_url(redis_url) as client:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)


class PrivateRedis:
    """`redis-server` on a free port, without persistence, that a test can stop and restart."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed: the Redis outage test needs its own")
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        poll(self._answers, "redis-server to start", seconds=10)
        return self

    def key_count(self, pattern: str = "*") -> int:
        with redis.Redis(host="127.0.0.1", port=self.port, retry=NO_RETRY) as client:
            return sum(1 for _ in client.scan_iter(match=pattern))

    def _answers(self) -> bool:
        try:
            with redis.Redis(
                host="127.0.0.1", port=self.port, socket_connect_timeout=0.2, retry=NO_RETRY
            ) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None
        deadline = time.monotonic() + 5
        while self._answers():
            assert time.monotonic() < deadline, "redis-server did not stop"


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis().start()
    yield server
    server.stop()
