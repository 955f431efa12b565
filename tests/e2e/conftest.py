from collections.abc import Iterator
from pathlib import Path

import anthropic
import openai
import pytest
from google import genai

from tests.fakes.gemini_web import FakeGeminiWeb, FakeRequest, Reply, make_png
from tests.live import LiveServer, settings_for_fake


@pytest.fixture
def server(fake_gemini: FakeGeminiWeb, tmp_path: Path) -> Iterator[LiveServer]:
    """A real uvicorn server of ours, with one account, talking to the fake upstream."""
    with LiveServer(settings_for_fake(str(tmp_path))) as live:
        yield live


@pytest.fixture
def client(server: LiveServer) -> openai.OpenAI:
    # No SDK retries: a test that expects a 429 must see it once, without sleeping.
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="gemini-reverse-2025", max_retries=0)


@pytest.fixture
def gemini(server: LiveServer) -> genai.Client:
    # No api_version: google-genai 3.x then calls /v1/models/{model}:generateContent.
    return genai.Client(api_key="gemini-reverse-2025", http_options={"base_url": server.url})


@pytest.fixture
def claude(server: LiveServer) -> anthropic.Anthropic:
    # The SDK appends /v1/messages to the base URL: the proxy's root.
    return anthropic.Anthropic(base_url=server.url, api_key="gemini-reverse-2025", max_retries=0)


def draw_unless_broken(request: FakeRequest) -> Reply:
    """A responder that draws a small image, but answers in words when the prompt says
    "broken" (as Gemini web does when it will not draw)."""
    if "broken" in request.prompt:
        return Reply(text="I cannot draw that.")
    return Reply(text="ok", images=[make_png(8, 8)])
