"""Retention in a running app: what has passed `jobs.retention_days` and
`storage.retention_days` goes, what has not stays, and 0 keeps everything."""

import os
import time
from pathlib import Path

import pytest

from proxy.app import create_app
from proxy.core.config import parse_settings
from proxy.retention import tidy


@pytest.mark.parametrize(("days", "left"), [(30, {"new.png"}), (0, {"new.png", "old.png"})])
async def test_stored_images_past_their_retention_are_removed(
    tmp_path: Path, days: float, left: set[str]
) -> None:
    # The app's own hourly loop keeps everything here; the test runs one pass itself.
    keep = {"jobs": {"retention_days": 0}, "storage": {"retention_days": 0}}
    app = create_app(parse_settings({"server": {"data_dir": str(tmp_path)}, **keep}))
    images = tmp_path / "images" / "gemini-images"  # the store step's default folder
    images.mkdir(parents=True)
    for name in ("old.png", "new.png"):
        (images / name).write_bytes(b"png")
    long_ago = time.time() - 31 * 86400
    os.utime(images / "old.png", (long_ago, long_ago))
    async with app.router.lifespan_context(app):
        wiring = app.state.wiring
        await tidy(wiring.batches, wiring.images, jobs_days=days, images_days=days)
    assert {path.name for path in images.iterdir()} == left
