"""One Redis connection per app, its key names, and what counts as Redis being unreachable."""

import logging
import os
import socket
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from proxy.core.shared.config import RedisSettings
from proxy.core.shared.errors import SharedStateDown

logger = logging.getLogger(__name__)


NOW_MS = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
"""
"""Lua that sets `now` to Redis' own clock in milliseconds: every script that needs the time
starts with it."""


def replica_id() -> str:
    """This process among the replicas: host and pid (lease owners and metrics labels)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class SharedStore:
    """Atomic Lua scripts on one Redis, every key under `key_prefix`.

    Every script reads Redis' own clock (`TIME`), never a replica's. Failures leave as
    `SharedStateDown`; the client reconnects by itself on the next command once Redis is back.
    """

    def __init__(self, settings: RedisSettings, replica: str | None = None) -> None:
        assert settings.url is not None, "SharedStore needs redis.url"
        self.settings = settings
        self.replica = replica or replica_id()
        self.redis = Redis.from_url(
            settings.url.get_secret_value(),
            socket_timeout=settings.timeout_seconds,
            socket_connect_timeout=settings.timeout_seconds,
            # One immediate retry replaces a pooled connection that Redis dropped (a restart);
            # more would only delay the fail mode's answer while it is down.
            retry=Retry(NoBackoff(), 1),
        )

    async def take_turn(self, name: str, seconds: float) -> bool:
        """A lock with an expiry: True for the one replica that takes `name` for `seconds`
        (nobody releases it; it lapses, and the next turn goes to whoever asks first)."""
        taken = await self.command(
            "SET", self.key("turn", name), self.replica, "NX", "PX", max(1, round(seconds * 1000))
        )
        return bool(taken)

    def key(self, *parts: str) -> str:
        return self.settings.key_prefix + ":".join(parts)

    def script(self, source: str) -> AsyncScript:
        return self.redis.register_script(source)

    async def run(self, script: AsyncScript, keys: Sequence[str], args: Sequence[Any]) -> Any:
        try:
            return await script(keys=list(keys), args=list(args))
        except (RedisError, OSError) as exc:
            raise SharedStateDown(f"Redis unreachable: {type(exc).__name__}") from None

    async def command(self, *args: Any) -> Any:
        """One plain command (`SET`, `PTTL`, ...)."""
        try:
            return await self.redis.execute_command(*args)  # type: ignore[no-untyped-call]
        except (RedisError, OSError) as exc:
            raise SharedStateDown(f"Redis unreachable: {type(exc).__name__}") from None

    async def close(self) -> None:
        await self.redis.aclose()
