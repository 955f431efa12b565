"""Clients of the fake: the unmodified `GeminiClient`, initialised quickly and quietly.

Every generate call in these tests passes `current_retry=0`, so the library's 5-25 s retry
sleeps never run.
"""

import asyncio
import os
import time
from pathlib import Path

from gemini_webapi import GeminiClient
from loguru import logger

logger.disable("gemini_webapi")

PSID = "g.fake-psid"
# The ten batchexecute calls of every init(), in order (spec 3.3).
INIT_RPCS = [
    *("otAQ7b", "ESY5D", "ESY5D", "MaZiqc", "MaZiqc"),
    *("jSf9Qc", "qpEbW", "qpEbW", "aPya6c", "GPRiHf"),
]


async def new_client(psid: str = PSID, psidts: str = "sidts-initial") -> GeminiClient:
    client = GeminiClient(psid, psidts)
    await asyncio.wait_for(client.init(timeout=5, auto_refresh=False, watchdog_timeout=0.5), 10)
    return client


def age_cookie_cache() -> list[Path]:
    """Make the library's cookie caches two minutes old: it skips a rotation while its cache
    is under a minute old. Returns the cache files."""
    caches = list(Path(os.environ["GEMINI_COOKIE_PATH"]).glob(".cached_cookies_*"))
    for path in caches:
        os.utime(path, (time.time() - 120, time.time() - 120))
    return caches
