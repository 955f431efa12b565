"""The browser refresh against the fake upstream, through its CONNECT proxy: headless Chromium
loads /app with the account's cookies, the page's script mints a new `__Secure-1PSIDTS`, which
is kept (store included) only when the page was signed in; and when the loads are scheduled."""

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from providers.gemini_web import AccountPool, GeminiWebError
from providers.gemini_web.accounts import Account
from providers.gemini_web.browser_refresh import (
    CLEAR_OF_THE_MINUTE,
    JITTER,
    BrowserRefresher,
    next_delay,
)
from proxy.accounts.browser import browser_refresh
from proxy.accounts.service import open_accounts
from proxy.accounts.store import AccountStore
from proxy.core.config import ConfigError, Settings
from proxy.core.process import library_environment
from tests.browser import require_browser
from tests.fakes.gemini_web import FakeGeminiWeb
from tests.live import settings_for_fake

SECRET = Fernet.generate_key().decode()


def refreshing(tmp_path: Path, fake: FakeGeminiWeb) -> Settings:
    # Chromium takes no CA file: it is told to accept the fake's one certificate by its key.
    browser = {"enabled": True, "ignore_certificate_spki": [fake.server_spki]}
    return settings_for_fake(
        str(tmp_path),
        database={"secret_key": SECRET},
        gemini_web={"browser_refresh": browser},
    )


@contextlib.asynccontextmanager
async def main_account(
    tmp_path: Path, fake: FakeGeminiWeb
) -> AsyncIterator[tuple[Settings, Account, BrowserRefresher]]:
    """The stored account `main`, and a refresher for it."""
    settings = refreshing(tmp_path, fake)
    with library_environment(tmp_path / "cookies", "WARNING"):
        async with open_accounts(settings) as accounts:
            account = accounts.pool.find("main")
            assert account is not None
            yield (
                settings,
                account,
                BrowserRefresher(accounts.pool, settings.gemini_web.browser_refresh),
            )


def stored_psidts(settings: Settings) -> str | None:
    store = AccountStore(settings.database_url, SECRET)
    try:
        (account,) = store.list()
        psidts = account.settings.secure_1psidts
        return psidts.get_secret_value() if psidts else None
    finally:
        store.close()


async def test_a_page_load_mints_a_cookie_that_is_stored_and_used(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    require_browser()
    fake_gemini.reject_superseded()
    async with main_account(tmp_path, fake_gemini) as (settings, account, refresher):
        assert await refresher.refresh(account) == "minted"
        assert fake_gemini.rotations == 1
        # The browser went through the proxy, to the page and to the rotation it made.
        assert {"gemini.google.com:443", "accounts.google.com:443"} <= set(fake_gemini.connects)
        fresh = stored_psidts(settings)
        assert fresh not in (None, "ts-main")
        assert account.settings.secure_1psidts is not None
        assert account.settings.secure_1psidts.get_secret_value() == fresh
        await account.client()  # the library signs in with the new cookie
        assert account.health.cookie_valid and account.health.last_minted_at
    # The old cookie is superseded now (out here the library's cookie cache, which would hide
    # it, is the test's own empty folder): only the kept one still works.
    superseded = Account(settings.accounts[0], settings.gemini_web, lambda: 0.0)
    with pytest.raises(GeminiWebError) as refused:
        await superseded.client()
    assert refused.value.reason == "auth"


async def test_a_signed_out_page_keeps_nothing(fake_gemini: FakeGeminiWeb, tmp_path: Path) -> None:
    require_browser()
    fake_gemini.expire(psid="psid-main")
    async with main_account(tmp_path, fake_gemini) as (settings, account, refresher):
        assert await refresher.refresh(account) == "refused"
    assert len(fake_gemini.requests(path="/app")) == 1  # loaded, and found signed out
    assert fake_gemini.rotations == 0
    assert stored_psidts(settings) == "ts-main"


async def test_an_unknown_certificate_is_refused_without_the_spki_exception(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    require_browser()
    settings = settings_for_fake(str(tmp_path), database={"secret_key": SECRET})
    with library_environment(tmp_path / "cookies", "WARNING"):
        async with open_accounts(settings) as accounts:
            account = accounts.pool.find("main")
            assert account is not None
            refresher = BrowserRefresher(accounts.pool, settings.gemini_web.browser_refresh)
            assert await refresher.refresh(account) == "failed"
    # The tunnel was opened, but no request went through it: TLS stopped the browser.
    assert "gemini.google.com:443" in fake_gemini.connects
    assert fake_gemini.requests(path="/app") == []
    assert fake_gemini.rotations == 0 and stored_psidts(settings) == "ts-main"


def test_loads_are_spread_over_the_interval_and_never_on_the_minute() -> None:
    rng = random.Random(7)
    delays = [next_delay(now, 1080, rng) for now in range(0, 6000, 7)]
    assert all(1080 - JITTER <= d <= 1080 + JITTER + 60 for d in delays)
    starts = [(now + d) % 60 for now, d in zip(range(0, 6000, 7), delays, strict=True)]
    assert all(CLEAR_OF_THE_MINUTE <= s <= 60 - CLEAR_OF_THE_MINUTE for s in starts)
    assert max(delays) - min(delays) > JITTER  # spread, not one fixed period


async def test_the_loop_refreshes_each_account_after_a_jittered_wait(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    require_browser()
    settings = refreshing(tmp_path, fake_gemini)
    waits: list[float] = []
    second_wait = asyncio.Event()

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) > 1:
            second_wait.set()
            await asyncio.Event().wait()  # until closed

    with library_environment(tmp_path / "cookies", "WARNING"):
        async with open_accounts(settings) as accounts:
            options = settings.gemini_web.browser_refresh
            refresher = BrowserRefresher(accounts.pool, options, sleep=sleep)
            refresher.start()
            await asyncio.wait_for(second_wait.wait(), 60)
            await refresher.close()
            assert stored_psidts(settings) != "ts-main"
    assert fake_gemini.rotations == 1
    assert all(abs(w - options.interval) <= JITTER + 60 for w in waits)


async def test_enabled_without_chromium_is_a_clear_start_up_error(tmp_path: Path) -> None:
    pytest.importorskip("playwright")
    browser = {"enabled": True, "chromium": str(tmp_path / "no-chromium")}
    settings = settings_for_fake(str(tmp_path), gemini_web={"browser_refresh": browser})
    with pytest.raises(ConfigError, match="needs Chromium"):
        async with browser_refresh(AccountPool([], settings.gemini_web), settings):
            pass
