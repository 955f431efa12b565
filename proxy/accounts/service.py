"""Accounts managed live: the store (database, encrypted) and the provider's pool kept in step.

Accounts listed in config.yaml seed the store (a stored account wins: it may hold a newer,
rotated cookie). Without a secret key nothing is stored: the configured accounts are used as
they are, and the admin API and CLI refuse to add or change accounts.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from pydantic import SecretStr

from providers.gemini_web import AccountPool, AccountSettings
from providers.gemini_web.accounts import Account
from providers.gemini_web.states import State
from proxy.accounts.cookies import GoogleCookies
from proxy.accounts.schema import AccountView, RotationView
from proxy.accounts.store import AccountStore, SecretKeyError
from proxy.core.config import ConfigError, Settings
from proxy.core.errors import Conflict, NotFound
from proxy.core.shared.errors import SharedStateDown

logger = logging.getLogger(__name__)


def initial_accounts(
    store: AccountStore, configured: list[AccountSettings]
) -> tuple[list[AccountSettings], set[str]]:
    """The accounts to start with (and which of them are disabled): the configured ones seed
    the store; then everything stored. Raises `SecretKeyError` for a missing or wrong key."""
    if not store.writable:
        if store.count():
            store.list()  # raises: accounts are stored but cannot be read
        return configured, set()
    for account in configured:
        store.put(account, only_if_new=True)
    stored = store.list()
    return [a.settings for a in stored], {a.settings.name for a in stored if a.disabled}


@contextlib.asynccontextmanager
async def open_accounts(settings: Settings) -> AsyncIterator["AccountService"]:
    """The store and the pool it fills, kept in sync while open. Raises `ConfigError` when
    stored accounts cannot be read (no key, or the wrong one)."""
    secret = settings.database.secret_key
    store = AccountStore(settings.database_url, secret.get_secret_value() if secret else None)
    try:
        await asyncio.to_thread(store.create_schema)
        try:
            accounts, disabled = await asyncio.to_thread(initial_accounts, store, settings.accounts)
        except SecretKeyError as exc:
            raise ConfigError(str(exc)) from None
        pool = AccountPool(accounts, settings.gemini_web)
        service = AccountService(store, pool)
        pool.events = service
        for name in disabled:
            pool.disable(name)
        await service.remember_versions()
        syncing = None
        if store.writable:
            syncing = asyncio.create_task(
                service.keep_in_sync(settings.database.accounts_sync_seconds)
            )
        try:
            yield service
        finally:
            if syncing is not None:
                syncing.cancel()
                await asyncio.gather(syncing, return_exceptions=True)
            await pool.close()
    finally:
        await asyncio.to_thread(store.close)


class AccountService:
    """Implements the provider's `AccountEvents`: rotated cookies go back to the store."""

    def __init__(self, store: AccountStore, pool: AccountPool) -> None:
        self.store = store
        self.pool = pool
        self.rotation_turn: Callable[[str, float], Awaitable[bool]] | None = None
        """Set when replicas share Redis: takes an account's rotation turn (see wiring)."""
        self.forget_limits: Callable[[str], None] = lambda name: None
        """Set by wiring: drops a removed account's pool and pacer from the account gate."""
        self._versions: dict[str, int] = {}

    async def remember_versions(self) -> None:
        if self.store.writable:
            stored = await asyncio.to_thread(self.store.list)
            self._versions = {a.settings.name: a.version for a in stored}

    async def _remember(self, name: str) -> None:
        """The version of the one account just written here; changes made elsewhere stay
        unseen until `sync` applies them."""
        version = await asyncio.to_thread(self.store.version, name)
        if version is None:
            self._versions.pop(name, None)
        else:
            self._versions[name] = version

    async def cookies_rotated(self, account: str, psidts: str) -> None:
        if not self.store.writable or account not in self._versions:
            return
        version = self._versions[account]
        if await asyncio.to_thread(self.store.set_psidts, account, psidts, version):
            self._versions[account] = version + 1
        else:
            logger.warning(
                "account %s changed in the store meanwhile: rotated cookie dropped", account
            )

    async def may_rotate(self, account: str, way: str, seconds: float) -> bool:
        if self.rotation_turn is None:
            return True
        try:
            return await self.rotation_turn(f"{way}:{account}", seconds)
        except SharedStateDown:  # better one rotation too many than none
            logger.warning("rotation turn of %s not shared: Redis unreachable", account)
            return True

    async def sync(self) -> None:
        """Apply what others changed in the store (the CLI, another replica)."""
        stored = {a.settings.name: a for a in await asyncio.to_thread(self.store.list)}
        for name, account in stored.items():
            if self._versions.get(name) == account.version:
                continue
            live = self.pool.find(name)
            if live is None or live.settings != account.settings:
                await self.pool.upsert(account.settings)
            (self.pool.disable if account.disabled else self.pool.enable)(name)
        for name in set(self._versions) - set(stored):
            await self._remove(name)
        self._versions = {name: account.version for name, account in stored.items()}

    async def keep_in_sync(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sync()
            except Exception as exc:  # the database may be down for a while; try again later
                logger.warning("could not re-read stored accounts: %s", type(exc).__name__)

    # The admin API -----------------------------------------------------------------------

    def _writable(self) -> None:
        if not self.store.writable:
            raise Conflict(
                "accounts cannot be stored: set database.secret_key (GEMINI_PROXY_SECRET_KEY) "
                "to a Fernet key, e.g. from `gemini-proxy accounts new-key`"
            )

    def _account(self, name: str) -> Account:
        account = self.pool.find(name)
        if account is None:
            raise NotFound(f"No account {name!r}")
        return account

    def list(self) -> list[AccountView]:
        return [view(a, self.pool.now()) for a in self.pool]

    def get(self, name: str) -> AccountView:
        return view(self._account(name), self.pool.now())

    async def put(
        self, name: str, cookies: GoogleCookies, proxy: str | None, *, new: bool
    ) -> AccountView:
        """Add an account (`new`) or replace an existing one's cookies; stored first, then
        used at once."""
        self._writable()
        existing = self.pool.find(name)
        if new and existing is not None:
            raise Conflict(f"An account {name!r} exists already: update its cookies instead")
        if not new and existing is None:
            raise NotFound(f"No account {name!r}")
        if proxy is None and existing is not None:
            proxy = existing.settings.proxy
        settings = AccountSettings(
            name=name,
            secure_1psid=SecretStr(cookies.psid),
            secure_1psidts=SecretStr(cookies.psidts) if cookies.psidts else None,
            proxy=proxy,
        )
        await asyncio.to_thread(self.store.put, settings)
        await self._remember(name)
        account = await self.pool.upsert(settings)
        return view(account, self.pool.now())

    async def set_disabled(self, name: str, disabled: bool) -> AccountView:
        account = self._account(name)
        if self.store.writable:
            await asyncio.to_thread(self.store.set_disabled, name, disabled)
            await self._remember(name)
        (self.pool.disable if disabled else self.pool.enable)(name)
        return view(account, self.pool.now())

    async def delete(self, name: str) -> None:
        self._writable()
        self._account(name)
        await asyncio.to_thread(self.store.delete, name)
        await self._remember(name)
        await self._remove(name)

    async def _remove(self, name: str) -> None:
        await self.pool.remove(name)
        self.forget_limits(name)

    async def test(self, name: str) -> AccountView:
        """Sign the account in afresh now; its state shows the outcome."""
        account = self._account(name)
        await account.replace(account.settings)
        try:
            await account.client()
        except Exception as exc:  # recorded in the account's health and state
            logger.info("account %s failed its test: %s", name, type(exc).__name__)
        return view(account, self.pool.now())


def view(account: Account, now: float) -> AccountView:
    """What may be shown of an account: never a cookie value."""
    health, state = account.health, account.state
    left = None
    if state.state is State.COOLING and state.until is not None:
        left = max(0.0, state.until - now)
    return AccountView(
        name=account.name,
        state=state.state.value,
        reason=state.reason,
        since=state.since,
        cooldown_seconds_left=left,
        last_good_at=health.last_good_at,
        cookie_age_seconds=max(0.0, now - health.cookies_since),
        rotation=RotationView(
            last=health.last_rotation,
            last_at=health.last_rotation_at,
            stalled=health.rotation_stalled,
            counts=dict(health.rotations),
        ),
        models=list(health.models),
        failovers=state.failovers,
        last_error=health.last_error,
    )
