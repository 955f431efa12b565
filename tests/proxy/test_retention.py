"""Retention in a running app: what has passed `jobs.retention_days` and
`storage.retention_days` goes, what has not stays, and 0 keeps everything."""

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from proxy.app import create_app
from proxy.core.config import parse_settings
from proxy.jobs.engine import Database
from proxy.responses.store import RESPONSES
from proxy.retention import Retention

# The app's own hourly loop keeps everything; each test runs one pass itself.
KEEP = {"jobs": {"retention_days": 0}, "storage": {"retention_days": 0}}
# Named as the store step names its images.
OLD, NEW = "20251001_120000_cat_0a1b2c.png", "20251101_120000_dog_3d4e5f.png"


@pytest.mark.parametrize(("days", "left"), [(30, {NEW}), (0, {NEW, OLD})])
async def test_stored_images_past_their_retention_are_removed(
    tmp_path: Path, days: float, left: set[str]
) -> None:
    app = create_app(parse_settings({"server": {"data_dir": str(tmp_path)}, **KEEP}))
    images = tmp_path / "images" / "gemini-images"  # the store step's default folder
    images.mkdir(parents=True)
    for name in (OLD, NEW):
        (images / name).write_bytes(b"png")
    long_ago = time.time() - 31 * 86400
    os.utime(images / OLD, (long_ago, long_ago))
    async with app.router.lifespan_context(app):
        wiring = app.state.wiring
        await Retention(wiring.batches, wiring.responses, wiring.images, days, days).tidy()
    assert {path.name for path in images.iterdir()} == left


@pytest.mark.parametrize(("days", "left"), [(30, {"resp_new"}), (0, {"resp_new", "resp_old"})])
async def test_stored_responses_past_their_retention_are_removed(
    tmp_path: Path, days: float, left: set[str]
) -> None:
    settings = parse_settings({"server": {"data_dir": str(tmp_path)}, **KEEP})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        responses = app.state.wiring.responses
        for response_id in ("resp_old", "resp_new"):
            await responses.store.save({"id": response_id, "object": "response"}, [])
        # One was stored 31 days ago, as an operator's SQL would tell.
        with Database(settings.database_url).write() as conn:
            long_ago = datetime.now(UTC) - timedelta(days=31)
            conn.execute(
                RESPONSES.update().where(RESPONSES.c.id == "resp_old").values(created_at=long_ago)
            )
        wiring = app.state.wiring
        await Retention(wiring.batches, responses, wiring.images, days, days).tidy()
        kept = {i for i in ("resp_old", "resp_new") if await responses.store.body(i) is not None}
    assert kept == left
