"""The system's Chromium (Debian's `chromium`), as Playwright launches it here: headless, no
sandbox (containers), and none of the background traffic a stock profile makes to Google."""

import os
import shutil

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")


def find_chromium(configured: str | None = None) -> str | None:
    """The Chromium executable: `configured` when given and present, else the system's."""
    for candidate in (configured,) if configured else CANDIDATES:
        found = shutil.which(candidate) if os.sep not in candidate else candidate
        if found and os.access(found, os.X_OK):
            return found
    return None
