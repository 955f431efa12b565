"""A real browser for tests: Debian's Chromium, headless, driven by Playwright.

`chromium` (one per test module: Playwright's sync API owns an event loop while open) skips
the test, saying why, when Playwright or Chromium is missing (`pip install -e '.[test]'`;
`apt-get install chromium`: `.ci/run` does both).
"""

from collections.abc import Iterator
from typing import Any

import pytest

from providers.gemini_web.chromium import CHROMIUM_ARGS, find_chromium


def require_browser() -> str:
    """Chromium's path; skips the test, saying why, when Playwright or Chromium is missing."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[test]'")
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium found: apt-get install chromium (Debian's package)")
    return executable


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    executable = require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))
        yield browser
        browser.close()
