"""Shared stores for tests: one per simulated replica, on the test's Redis and key prefix."""

import asyncio
from typing import Any

from proxy.core.shared import RedisSettings
from proxy.core.shared.store import SharedStore
from tests.live import free_port


def store(url: str, prefix: str, replica: str, **settings: Any) -> SharedStore:
    options = {"url": url, "key_prefix": prefix, "poll_interval": 0.01, **settings}
    return SharedStore(RedisSettings.model_validate(options), replica=replica)


def unreachable(prefix: str = "down:") -> SharedStore:
    """A store whose Redis refuses every connection (nothing listens on its port)."""
    return store(f"redis://127.0.0.1:{free_port()}/0", prefix, "lonely", timeout_seconds=0.2)


class StuckClock:
    """Real time whose `sleep` never returns: a replica that stopped renewing its leases."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.Event().wait()
