"""The small things real clients trip on: stream roles, wrong methods, CORS, endpoints Gemini
web cannot serve, and the image routes' default response format."""

from pathlib import Path

import httpx
import openai
import pytest
from google import genai

from tests.fakes.gemini_web import FakeGeminiWeb, Reply, make_png
from tests.live import LiveServer, settings_for_fake


def test_the_first_streamed_chunk_names_the_assistant(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(Reply(text="one two three", frames=3))
    stream = client.chat.completions.create(
        model="gemini-2.5-flash", messages=[{"role": "user", "content": "count"}], stream=True
    )
    chunks = [c for c in stream if c.choices]
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "one two three"


@pytest.mark.parametrize(
    ("method", "path", "allowed", "field"),
    [
        ("GET", "/v1/chat/completions", "POST", "type"),
        ("DELETE", "/v1/models", "GET", "type"),
        ("GET", "/v1beta/models/gemini-2.5-flash:generateContent", "POST", "status"),
    ],
)
def test_a_wrong_method_is_405_with_allow(
    server: LiveServer, method: str, path: str, allowed: str, field: str
) -> None:
    response = httpx.request(method, f"{server.url}{path}")
    assert response.status_code == 405 and response.headers["allow"] == allowed
    assert field in response.json()["error"]


def test_cors_is_off_by_default(server: LiveServer) -> None:
    preflight = httpx.options(
        f"{server.url}/v1/chat/completions",
        headers={"origin": "https://app.example", "access-control-request-method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_configured_origins_get_preflights_and_headers(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    settings = settings_for_fake(str(tmp_path), server={"cors_origins": ["https://app.example"]})
    with LiveServer(settings) as server:
        preflight = httpx.options(
            f"{server.url}/v1/chat/completions",
            headers={
                "origin": "https://app.example",
                "access-control-request-method": "POST",
                "access-control-request-headers": "authorization,content-type",
            },
        )
        other = httpx.get(f"{server.url}/v1/models", headers={"origin": "https://evil.example"})
        listed = httpx.get(f"{server.url}/v1/models", headers={"origin": "https://app.example"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "access-control-allow-origin" not in other.headers
    assert listed.headers["access-control-allow-origin"] == "https://app.example"


def test_openai_endpoints_gemini_web_cannot_serve_are_501(client: openai.OpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        client.embeddings.create(model="gemini-2.5-flash", input="hello")
    assert caught.value.status_code == 501
    assert "embeddings" in caught.value.message
    assert caught.value.body["type"] == "invalid_request_error"  # type: ignore[index]
    speech = httpx.post(f"{client.base_url}audio/speech", json={"input": "hi"})
    assert speech.status_code == 501 and speech.json()["error"]["code"] == "unsupported_endpoint"


def test_google_endpoints_gemini_web_cannot_serve_are_501(gemini: genai.Client) -> None:
    with pytest.raises(genai.errors.APIError) as caught:
        gemini.models.embed_content(model="gemini-2.5-flash", contents="hello")
    assert caught.value.code == 501 and caught.value.status == "UNIMPLEMENTED"


def test_images_edit_defaults_to_the_same_format_as_generate(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    picture = make_png(16, 16, (0, 0, 255))
    fake_gemini.respond_with(lambda request: Reply(text="done", images=[picture]))
    generated = client.images.generate(prompt="a blue square")
    edited = client.images.edit(image=("in.png", make_png(8, 8), "image/png"), prompt="bluer")
    assert generated.data[0].url and edited.data[0].url  # type: ignore[index]
    assert generated.data[0].b64_json is None and edited.data[0].b64_json is None  # type: ignore[index]
