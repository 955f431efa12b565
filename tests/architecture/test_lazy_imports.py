"""A proxy that has served chat alone has loaded no image, cloud or Redis library: the image
pipeline's numpy, scipy, scikit-image and Pillow come with the first image, boto3 only with S3
storage, redis only with `redis: url`, jsonschema with the first structured-output request.
Run in a fresh interpreter, since this one has them all."""

import json
import subprocess
import sys
from pathlib import Path

from tests.fakes.gemini_web import FakeGeminiWeb, Reply, make_png

ROOT = Path(__file__).resolve().parents[2]
IMAGE_LIBRARIES = ("numpy", "scipy", "skimage", "PIL")
OTHER_LIBRARIES = ("boto3", "botocore", "redis", "jsonschema")

# Starts an app with the tests' settings (local storage, no Redis), asks for a chat completion,
# then an image; prints the answers' statuses and which libraries were loaded after each.
SERVE_CHAT_THEN_AN_IMAGE = """
import asyncio, json, sys

import httpx

from proxy.app import create_app
from tests.live import settings_for_fake

LIBRARIES = json.loads(sys.argv[2])


def loaded():
    return sorted(name for name in LIBRARIES if name in sys.modules)


async def main():
    app = create_app(settings_for_fake(sys.argv[1]))
    transport = httpx.ASGITransport(app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://proxy.test", timeout=60) as client,
    ):
        started = loaded()
        chat = await client.post(
            "/v1/chat/completions",
            json={"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]},
        )
        after_chat = loaded()
        image = await client.post("/v1/generate-images", json={"prompt": "a lighthouse"})
    print(json.dumps({
        "started": started,
        "chat": [chat.status_code, chat.json()],
        "after_chat": after_chat,
        "image": [image.status_code, image.json()],
        "after_image": loaded(),
    }))


asyncio.run(main())
"""


def test_chat_loads_no_image_cloud_or_redis_library_and_the_first_image_still_works(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    fake_gemini.script(Reply("Hello"), Reply(text="ok", images=[make_png(64, 64)]))
    libraries = [*IMAGE_LIBRARIES, *OTHER_LIBRARIES]
    run = subprocess.run(
        [sys.executable, "-c", SERVE_CHAT_THEN_AN_IMAGE, str(tmp_path), json.dumps(libraries)],
        cwd=ROOT,  # `-c` puts the working directory first on sys.path: this checkout's code
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.splitlines()[-1])
    assert seen["started"] == [] and seen["after_chat"] == []
    status, chat = seen["chat"]
    assert status == 200 and chat["choices"][0]["message"]["content"] == "Hello"
    status, image = seen["image"]
    assert status == 200 and image["images"][0].startswith("data:image/png;base64,"), image
    assert {"numpy", "PIL"} <= set(seen["after_image"])
    assert not set(OTHER_LIBRARIES) & set(seen["after_image"])
