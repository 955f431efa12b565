"""The optional browser refresh (`gemini_web.browser_refresh`), run while the app runs."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from providers.gemini_web import AccountPool
from proxy.core.config import ConfigError, Settings


@asynccontextmanager
async def browser_refresh(accounts: AccountPool, settings: Settings) -> AsyncIterator[None]:
    """Raises `ConfigError` when it is enabled but Playwright or Chromium is missing."""
    from providers.gemini_web.browser_refresh import BrowserRefresher, BrowserUnavailable

    try:
        refresher = BrowserRefresher(accounts, settings.gemini_web.browser_refresh)
    except BrowserUnavailable as exc:
        raise ConfigError(str(exc)) from None
    refresher.start()
    try:
        yield
    finally:
        await refresher.close()
