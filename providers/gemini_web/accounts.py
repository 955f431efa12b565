"""Gemini web accounts: one lazily initialised `GeminiClient` each, its health and cookies.

The library's own background refresh only logs its failures, so rotation of
`__Secure-1PSIDTS` runs here, where its results can be observed.
"""

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import gemini_webapi
from gemini_webapi import GeminiClient
from gemini_webapi.types import AvailableModel
from gemini_webapi.utils import rotate_1psidts

from .errors import GeminiWebError, map_exception
from .settings import AccountSettings, GeminiWebSettings

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


def use_cookie_cache(data_dir: Path) -> None:
    """Keep the library's cookie cache in `data_dir/cookies` unless GEMINI_COOKIE_PATH says
    otherwise; its own default, /tmp/gemini_webapi, is shared by all users of the machine."""
    cookie_dir = data_dir / "cookies"
    cookie_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ.setdefault("GEMINI_COOKIE_PATH", str(cookie_dir.resolve()))


@dataclass
class AccountHealth:
    """What is known about an account right now (read by /health, cookie status and metrics)."""

    cookie_valid: bool | None = None
    """None until the first init; then whether the cookies were accepted."""
    last_error: str | None = None
    last_ready_at: float | None = None
    last_rotation_at: float | None = None
    rotations: dict[str, int] = field(default_factory=lambda: {"ok": 0, "failed": 0})
    errors: dict[str, int] = field(default_factory=dict)
    """Upstream failures by reason (usage_limit, blocked, auth, timeout, ...)."""


class Account:
    """One account's client. Concurrent requests share the client; init happens once."""

    def __init__(self, settings: AccountSettings, options: GeminiWebSettings) -> None:
        self.settings = settings
        self.options = options
        self.health = AccountHealth()
        self._client: GeminiClient | None = None
        self._init_lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return self.settings.name

    async def client(self) -> GeminiClient:
        """A running client, initialised under our own timeout (the library's can deadlock)."""
        async with self._init_lock:
            if self._client is None:
                psidts = self.settings.secure_1psidts
                self._client = GeminiClient(
                    self.settings.secure_1psid.get_secret_value(),
                    psidts.get_secret_value() if psidts else None,
                    proxy=self.settings.proxy,
                )
            client = self._client
            try:
                await asyncio.wait_for(
                    client.init(
                        timeout=self.options.request_timeout,
                        auto_refresh=False,
                        watchdog_timeout=self.options.idle_timeout,
                    ),
                    self.options.init_timeout,
                )
            except BaseException as exc:
                # A timed-out init may hold the library's lock forever: start afresh next time.
                self._client = None
                error = map_exception(exc)
                self.record_failure(error)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                raise error from None
            self.health.cookie_valid = True
            self.health.last_error = None
            self.health.last_ready_at = time.time()
            return client

    def record_failure(self, error: GeminiWebError) -> None:
        self.health.errors[error.reason] = self.health.errors.get(error.reason, 0) + 1
        self.health.last_error = error.message
        if error.reason == "auth":
            self.health.cookie_valid = False

    def models(self) -> list[AvailableModel]:
        """The models this account publishes (empty before init or for a rejected account)."""
        return (self._client.list_models() if self._client else None) or []

    async def rotate_cookies(self) -> bool:
        """Rotate `__Secure-1PSIDTS` once; True when the server accepted it."""
        try:
            client = await self.client()
            live = client.client
            if live is None:
                raise gemini_webapi.APIError("client closed during rotation")
            ok = await rotate_1psidts(live) is not None
        except Exception as exc:
            logger.warning("cookie rotation failed for %s: %s", self.name, type(exc).__name__)
            ok = False
        self.health.rotations["ok" if ok else "failed"] += 1
        if ok:
            self.health.last_rotation_at = time.time()
        return ok

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


class AccountPool:
    """All configured accounts by name, and their cookie-rotation loops."""

    def __init__(
        self,
        accounts: list[AccountSettings],
        options: GeminiWebSettings,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.options = options
        self._accounts = {a.name: Account(a, options) for a in accounts}
        self._sleep = sleep
        self._tasks: list[asyncio.Task[None]] = []

    def __iter__(self) -> Iterator[Account]:
        return iter(self._accounts.values())

    def __len__(self) -> int:
        return len(self._accounts)

    def get(self, name: str | None) -> Account:
        if name is None and len(self._accounts) == 1:
            return next(iter(self._accounts.values()))
        account = self._accounts.get(name or "")
        if account is None:
            raise GeminiWebError(503, "No usable Gemini web account is configured", reason="auth")
        return account

    def start(self) -> None:
        """Warm every account up and keep its cookies fresh, in the background."""
        self._tasks = [asyncio.create_task(self._keep_fresh(a)) for a in self._accounts.values()]

    async def _keep_fresh(self, account: Account) -> None:
        with contextlib.suppress(GeminiWebError):  # recorded in health; requests retry the init
            await account.client()
        while True:
            await self._sleep(self.options.refresh_interval)
            await account.rotate_cookies()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await asyncio.gather(*(a.close() for a in self._accounts.values()))
