"""A single image request is recorded as a task, and the task is closed however the request
ends: answered, failed, or cancelled because its client went away."""

import asyncio
from pathlib import Path

import pytest

from proxy.app import create_app
from proxy.core.admission import Caller
from proxy.images.service import ImageOrder
from proxy.jobs import JobStore
from tests.fakes.gemini_web import FakeGeminiWeb
from tests.live import settings_for_fake


async def wait_for(store: JobStore, state: str, count: int) -> dict[str, int]:
    for _ in range(500):
        stats = await store.task_stats()
        if stats[state] == count:
            return stats
        await asyncio.sleep(0.01)
    raise AssertionError(f"never {count} {state} tasks")


async def test_a_cancelled_image_request_closes_its_task(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    fake_gemini.stall()  # the drawing never comes
    app = create_app(settings_for_fake(str(tmp_path)))
    async with app.router.lifespan_context(app):
        images = app.state.wiring.images
        caller = Caller(ip="127.0.0.1", base_url="http://proxy.test")
        request = asyncio.create_task(images.create(caller, ImageOrder("a lighthouse")))
        await wait_for(images.jobs, "processing", 1)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        stats = await wait_for(images.jobs, "failed", 1)
        assert stats["processing"] == 0 and caller.model == "gemini-2.5-flash-image"
