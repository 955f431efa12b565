"""Keep-alive by a real page load (accounts spec, "What keeps a session alive" 3): Chromium
loads https://gemini.google.com/app with the account's cookies, and Google's own script on the
page rotates `__Secure-1PSIDTS`. Optional (`gemini_web.browser_refresh`), besides the
`RotateCookies` keep-alive of `accounts.py`.

- Each load runs in a fresh, in-memory browser context seeded from the account's current
  cookies, through the account's own proxy (else `HTTPS_PROXY`), so the keep-alive leaves
  through the same egress as its chats; the store stays the one place that holds the cookies
  (a persistent profile would keep them on disk in clear).
- A new value is kept only after the page proved the session signed in (the page carries the
  `SNlM0e` token that signed-in pages have), and goes the way of every rotated cookie:
  `Account.adopt_psidts` -> `AccountEvents.cookies_rotated` (the store).
- Every `interval` seconds (18 min), jittered by 120 s and never on the minute.
"""

import asyncio
import contextlib
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .accounts import Account, AccountPool
from .chromium import CHROMIUM_ARGS, find_chromium
from .settings import BrowserRefreshSettings
from .states import State

logger = logging.getLogger(__name__)

APP_URL = "https://gemini.google.com/app"
SIGNED_IN_MARK = "SNlM0e"
"""The access token every signed-in Gemini page carries (what gemini_webapi looks for)."""
JITTER = 120.0
CLEAR_OF_THE_MINUTE = 5.0
"""A load never starts this close (in seconds) to a whole minute, when scheduled jobs cluster."""


class BrowserUnavailable(RuntimeError):
    """Playwright or Chromium is missing while the browser refresh is enabled."""


def next_delay(now: float, interval: float, rng: random.Random) -> float:
    """Seconds until the next load: `interval` ± `JITTER`, moved off a whole minute."""
    delay = interval + rng.uniform(-JITTER, JITTER)
    second = (now + delay) % 60
    if second < CLEAR_OF_THE_MINUTE:
        delay += CLEAR_OF_THE_MINUTE - second + rng.uniform(1, 40)
    elif second > 60 - CLEAR_OF_THE_MINUTE:
        delay += 60 - second + CLEAR_OF_THE_MINUTE + rng.uniform(1, 40)
    return delay


class BrowserRefresher:
    def __init__(
        self,
        pool: AccountPool,
        options: BrowserRefreshSettings,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        now: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        """Raises `BrowserUnavailable` when Playwright or Chromium is missing."""
        try:
            import playwright.async_api  # noqa: F401  (optional dependency: checked up front)
        except ImportError:
            raise BrowserUnavailable(
                "gemini_web.browser_refresh needs Playwright: pip install 'gemini-proxy[browser]'"
            ) from None
        executable = find_chromium(options.chromium)
        if executable is None:
            raise BrowserUnavailable(
                "gemini_web.browser_refresh needs Chromium: apt-get install chromium, or set "
                "gemini_web.browser_refresh.chromium"
            )
        self.executable = executable
        self.pool = pool
        self.options = options
        self._sleep = sleep
        self._now = now
        self._rng = rng or random.Random()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            delay = next_delay(self._now(), self.options.interval, self._rng)
            await self._sleep(delay)
            for account in self.pool:
                if account.state.state is State.DISABLED:
                    continue
                # Replicas take turns, as with RotateCookies (turns of their own, so neither way
                # holds off the other): one page load mints for all.
                if await self.pool.events.may_rotate(account.name, "browser", delay * 0.9):
                    await self.refresh(account)

    async def refresh(self, account: Account) -> str:
        """Load the page once for `account`: `minted` (a new cookie, kept), `unchanged`,
        `refused` (the page is signed out: nothing kept) or `failed` (no page)."""
        try:
            async with asyncio.timeout(self.options.timeout):
                fresh = await self._load(account)
        except Exception as exc:  # a browser that crashed or timed out: try again next time
            logger.warning("browser refresh of %s failed: %s", account.name, type(exc).__name__)
            return "failed"
        if fresh is None:
            logger.warning("browser refresh of %s: the page is signed out", account.name)
            return "refused"
        current = account.settings.secure_1psidts
        if not fresh or (current is not None and fresh == current.get_secret_value()):
            return "unchanged"
        await account.adopt_psidts(fresh, self.pool.events)
        logger.info("browser refresh of %s minted a new __Secure-1PSIDTS", account.name)
        return "minted"

    async def _load(self, account: Account) -> str | None:
        """The `__Secure-1PSIDTS` the browser holds after the page settled ("" for none), or
        None when the page is not signed in."""
        from playwright.async_api import async_playwright

        args = list(CHROMIUM_ARGS)
        if self.options.ignore_certificate_spki:
            args.append(
                "--ignore-certificate-errors-spki-list="
                + ",".join(self.options.ignore_certificate_spki)
            )
        proxy = account.settings.proxy or _environment_proxy()
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=self.executable,
                args=args,
                proxy={"server": proxy} if proxy else None,
            )
            try:
                context = await browser.new_context()
                await context.add_cookies(_cookies_of(account))
                page = await context.new_page()
                response = await page.goto(APP_URL, wait_until="networkidle")
                if response is None or not response.ok:
                    return None
                if SIGNED_IN_MARK not in await page.content():
                    return None
                cookies = await context.cookies(APP_URL)
                return next((c["value"] for c in cookies if c["name"] == "__Secure-1PSIDTS"), "")
            finally:
                await browser.close()


def _environment_proxy() -> str | None:
    return os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy")


def _cookies_of(account: Account) -> list[Any]:
    values = {"__Secure-1PSID": account.settings.secure_1psid}
    if account.settings.secure_1psidts is not None:
        values["__Secure-1PSIDTS"] = account.settings.secure_1psidts
    return [
        {
            "name": name,
            "value": value.get_secret_value(),
            "domain": ".google.com",
            "path": "/",
            "secure": True,
            "httpOnly": True,
            "sameSite": "Lax",
        }
        for name, value in values.items()
    ]
