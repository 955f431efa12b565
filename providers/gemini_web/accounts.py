"""Gemini web accounts: one lazily initialised `GeminiClient` each, its state and health, and
the pool that picks an account for a request and keeps every account's cookies fresh.

The library's own background refresh only logs its failures, so rotation of
`__Secure-1PSIDTS` runs here, where its results can be observed: `minted` (a new value),
`unchanged` (Google answered without one: the session is probably device-bound and will die),
`refused` (401) or `failed`. A newly minted value is handed to `AccountEvents`, which stores it,
so a restart (or another replica) continues with the newest cookie, never a superseded one.

Accounts can be added, replaced, disabled and removed while the pool runs.
"""

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import gemini_webapi
from gemini_webapi import GeminiClient
from gemini_webapi.types import AvailableModel
from gemini_webapi.utils import rotate_1psidts
from pydantic import SecretStr

from .errors import GeminiWebError, map_exception
from .settings import AccountSettings, GeminiWebSettings
from .states import AccountState, State

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Now = Callable[[], float]
ROTATION_RESULTS = ("minted", "unchanged", "refused", "failed")
_STALLED_AFTER = 2
"""Rotations in a row that mint nothing before the account is flagged."""


class AccountEvents(Protocol):
    async def cookies_rotated(self, account: str, psidts: str) -> None:
        """Google minted a new `__Secure-1PSIDTS` for `account`: keep it."""

    async def may_rotate(self, account: str, way: str, seconds: float) -> bool:
        """Whether this process rotates `account` now, one `way` ("cookies": RotateCookies,
        "browser": a page load) with turns of its own (replicas take turns: the one that rotates
        holds the turn for `seconds`; the others read its cookie from the store)."""


class NoEvents:
    async def cookies_rotated(self, account: str, psidts: str) -> None:
        return None

    async def may_rotate(self, account: str, way: str, seconds: float) -> bool:
        return True


@dataclass
class AccountHealth:
    """What is known about an account right now (read by status, metrics and the console)."""

    cookie_valid: bool | None = None
    """None until the first init; then whether the cookies were accepted."""
    last_error: str | None = None
    last_good_at: float | None = None
    """When the cookies were last proven good: an init, a served request, a minted rotation."""
    cookies_since: float = field(default_factory=time.time)
    last_rotation_at: float | None = None
    last_rotation: str | None = None
    last_minted_at: float | None = None
    rotations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROTATION_RESULTS, 0))
    unminted_in_a_row: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    """Upstream failures by reason (usage_limit, blocked, auth, timeout, ...)."""
    models: tuple[str, ...] = ()
    """`model_name (display name)` of every model the account published at its last init."""
    model_changes: int = 0

    @property
    def rotation_stalled(self) -> bool:
        """Rotation keeps answering without a new cookie: the session will end soon."""
        return self.unminted_in_a_row >= _STALLED_AFTER


def _describe(model: AvailableModel) -> str:
    return f"{model.model_name} ({model.display_name})"


class Account:
    """One account's client. Concurrent requests share the client; init happens once."""

    def __init__(self, settings: AccountSettings, options: GeminiWebSettings, now: Now) -> None:
        self.settings = settings
        self.options = options
        self.now = now
        self.health = AccountHealth(cookies_since=now())
        self.state = AccountState(since=now())
        self.last_used = 0.0
        self._client: GeminiClient | None = None
        self._init_lock = asyncio.Lock()
        self._exit = asyncio.Event()

    @property
    def name(self) -> str:
        return self.settings.name

    def exit_signal(self) -> asyncio.Event:
        """Set when the account next leaves rotation (cooling, expired, disabled, removed):
        requests waiting for its turn then move on at once."""
        return self._exit

    def signal_exit(self) -> None:
        self._exit.set()
        self._exit = asyncio.Event()

    async def client(self, timeout: float | None = None) -> GeminiClient:
        """A running client. Its session is started (GET /app and a dozen RPCs) only when it
        has none: at first use, and after the library closed it on an error. That start runs
        under our own timeout (the library's can deadlock), `init_timeout` or `timeout` if
        shorter."""
        async with self._init_lock:
            if self._client is None:
                psidts = self.settings.secure_1psidts
                self._client = GeminiClient(
                    self.settings.secure_1psid.get_secret_value(),
                    psidts.get_secret_value() if psidts else None,
                    proxy=self.settings.proxy,
                )
            client = self._client
            if client.client is not None:  # the session is live
                return client
            limit = self.options.init_timeout if timeout is None else timeout
            try:
                await asyncio.wait_for(
                    client.init(
                        timeout=self.options.request_timeout,
                        auto_refresh=False,
                        watchdog_timeout=self.options.idle_timeout,
                    ),
                    min(self.options.init_timeout, limit),
                )
            except BaseException as exc:
                # A timed-out init may hold the library's lock forever: start afresh next time.
                self._client = None
                error = map_exception(exc)
                self.record_failure(error)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                if error.reason == "auth":
                    logger.warning("account %s: Gemini web rejected its cookies", self.name)
                raise error from None
            self.health.cookie_valid = True
            self.health.last_error = None
            self._note_models(client.list_models() or [])
            self.succeeded()
            return client

    def _note_models(self, models: list[AvailableModel]) -> None:
        published = tuple(sorted(_describe(m) for m in models))
        if self.health.models and published != self.health.models:
            self.health.model_changes += 1
            logger.warning(
                "account %s now publishes %s (was %s)",
                self.name, ", ".join(published) or "nothing", ", ".join(self.health.models),
            )  # fmt: skip
        self.health.models = published

    def succeeded(self) -> None:
        self.health.last_good_at = self.now()
        self.state.succeeded(self.now())

    def record_failure(self, error: GeminiWebError) -> bool:
        """Count `error`; True when it took the account out of rotation."""
        self.health.errors[error.reason] = self.health.errors.get(error.reason, 0) + 1
        self.health.last_error = error.message
        if error.reason == "auth":
            self.health.cookie_valid = False
        taken_out = self.state.failed(
            error, self.now(), self.options.usage_limit_cooldown, self.options.block_cooldown
        )
        if taken_out:
            self.signal_exit()
        return taken_out

    def models(self) -> list[AvailableModel]:
        """The models this account publishes (empty before init or for a rejected account)."""
        return (self._client.list_models() if self._client else None) or []

    async def rotate_cookies(self, events: AccountEvents) -> str:
        """Rotate `__Secure-1PSIDTS` once; returns the result (one of `ROTATION_RESULTS`)."""
        try:
            client = await self.client()
            live = client.client
            if live is None:
                raise gemini_webapi.APIError("client closed during rotation")
            before = _psidts(client)
            after = await rotate_1psidts(live)
            result = "minted" if after and after != before else "unchanged"
        except gemini_webapi.AuthError:
            result = "refused"
        except Exception as exc:
            logger.warning("cookie rotation failed for %s: %s", self.name, type(exc).__name__)
            result = "failed"
        self.health.rotations[result] += 1
        self.health.last_rotation = result
        self.health.last_rotation_at = self.now()
        if result == "minted" and after:
            await self.adopt_psidts(after, events)
        elif result == "unchanged":
            self.health.unminted_in_a_row += 1
            if self.health.rotation_stalled:
                logger.warning(
                    "account %s: cookie rotation stopped minting a new __Secure-1PSIDTS; the "
                    "session is probably device-bound and will end: re-export its cookies "
                    "(see README, 'Cookies that last')",
                    self.name,
                )
        return result

    async def adopt_psidts(self, psidts: str, events: AccountEvents) -> None:
        """A `__Secure-1PSIDTS` newly minted for this account (by rotation or a browser page
        load): used from now on, by the live client too, and handed to `events` to keep."""
        self.health.last_good_at = self.health.last_minted_at = self.now()
        self.health.unminted_in_a_row = 0
        self.settings = self.settings.model_copy(update={"secure_1psidts": SecretStr(psidts)})
        if self._client is not None and _psidts(self._client) != psidts:
            self._client.cookies.set("__Secure-1PSIDTS", psidts, domain=".google.com", secure=True)
        await events.cookies_rotated(self.name, psidts)

    async def replace(self, settings: AccountSettings) -> None:
        """New cookies (or proxy): a fresh client on next use, and back into rotation."""
        await self.close()
        self.settings = settings
        published = self.health.models, self.health.model_changes
        self.health = AccountHealth(cookies_since=self.now())
        self.health.models, self.health.model_changes = published
        self.state.replaced_cookies(self.now())

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()


def _psidts(client: GeminiClient) -> str | None:
    return next((c.value for c in client.cookies.jar if c.name == "__Secure-1PSIDTS"), None)


class AccountPool:
    """The accounts by name: which one serves a request, and their cookie-rotation loops."""

    def __init__(
        self,
        accounts: list[AccountSettings],
        options: GeminiWebSettings,
        events: AccountEvents | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
        now: Now = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.options = options
        self.events: AccountEvents = events or NoEvents()
        self.now = now
        self._accounts = {a.name: Account(a, options, now) for a in accounts}
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._running = False

    def __iter__(self) -> Iterator[Account]:
        return iter(list(self._accounts.values()))

    def __len__(self) -> int:
        return len(self._accounts)

    def find(self, name: str) -> Account | None:
        return self._accounts.get(name)

    def choose(self, pinned: str | None, tried: set[str]) -> Account | None:
        """The ready account to try next (least recently used first), or None."""
        candidates = [
            account
            for account in self._accounts.values()
            if (pinned is None or account.name == pinned)
            and account.name not in tried
            and account.state.usable(self.now())
        ]
        if not candidates:
            return None
        chosen = min(candidates, key=lambda account: account.last_used)
        chosen.last_used = time.monotonic()
        return chosen

    def unavailable(self, pinned: str | None) -> GeminiWebError:
        """Why no account can serve a request: 429 until the earliest reset when some are only
        cooling down, else 503."""
        accounts = [a for a in self._accounts.values() if pinned is None or a.name == pinned]
        now = self.now()
        resets = [
            a.state.until
            for a in accounts
            if a.state.state is State.COOLING and a.state.until is not None
        ]
        if resets:
            wait = max(1.0, min(resets) - now)
            return GeminiWebError(
                429,
                f"Every Gemini web account is cooling down (usage limit or block); the first "
                f"returns in {wait:.0f} s",
                retry_after=wait,
                reason="accounts_cooling",
            )
        states = "; ".join(
            f"{a.name}: {a.state.state}" + (f", {a.state.reason}" if a.state.reason else "")
            for a in accounts
        )
        return GeminiWebError(503, f"No usable Gemini web account ({states})", reason="no_account")

    # Live changes ----------------------------------------------------------------------------

    async def upsert(self, settings: AccountSettings) -> Account:
        """Add an account, or give an existing one new cookies; it is used at once."""
        account = self._accounts.get(settings.name)
        if account is None:
            account = self._accounts[settings.name] = Account(settings, self.options, self.now)
        else:
            await account.replace(settings)
        self._restart(account)
        return account

    async def remove(self, name: str) -> None:
        account = self._accounts.pop(name, None)
        task = self._tasks.pop(name, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if account is not None:
            account.signal_exit()
            await account.close()

    def disable(self, name: str) -> None:
        self._accounts[name].state.disable(self.now())
        self._accounts[name].signal_exit()

    def enable(self, name: str) -> None:
        self._accounts[name].state.enable(self.now())

    # Keep-alive ------------------------------------------------------------------------------

    def start(self) -> None:
        """Warm every account up and keep its cookies fresh, in the background."""
        self._running = True
        for account in self._accounts.values():
            self._restart(account)

    def _restart(self, account: Account) -> None:
        if not self._running:
            return
        old = self._tasks.pop(account.name, None)
        if old is not None:
            old.cancel()
        self._tasks[account.name] = asyncio.create_task(self._keep_fresh(account))

    async def _keep_fresh(self, account: Account) -> None:
        with contextlib.suppress(GeminiWebError):  # recorded in health; requests retry the init
            await account.client()
        while True:
            # Jittered, so that accounts (and replicas) do not rotate in step.
            period = self.options.refresh_interval * self._rng.uniform(0.9, 1.1)
            await self._sleep(period)
            if account.state.state is State.DISABLED:
                continue
            if await self.events.may_rotate(account.name, "cookies", period * 0.9):
                await account.rotate_cookies(self.events)

    async def close(self) -> None:
        self._running = False
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks = {}
        await asyncio.gather(*(a.close() for a in self._accounts.values()))
