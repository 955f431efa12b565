"""Input that cannot hurt, against a live server: each attack gets a 4xx in the route's dialect
at once (never retried, never a 5xx), and the keep-alive connection stays usable."""

import json
import logging
import os
from collections.abc import Iterator
from http.client import HTTPConnection
from pathlib import Path

import httpx
import pytest

from tests.clocks import FakeClock
from tests.fakes.gemini_web import FakeGeminiWeb, make_png
from tests.live import LiveServer, settings_for_fake

CHAT = "/v1/chat/completions"
NATIVE = "/v1beta/models/gemini-2.5-flash:generateContent"


@pytest.fixture
def live(fake_gemini: FakeGeminiWeb, tmp_path: Path) -> Iterator[LiveServer]:
    settings = settings_for_fake(
        str(tmp_path), limits={"retry": {"max_retries": 5}}, server={"max_body_bytes": 10_000}
    )
    with LiveServer(settings, clock=FakeClock()) as server:
        yield server


@pytest.fixture
def http(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=30) as client:
        yield client


def _raw(http: httpx.Client, path: str, body: bytes) -> httpx.Response:
    return http.post(path, content=body, headers={"Content-Type": "application/json"})


def test_deep_json_is_refused_before_parsing(http: httpx.Client) -> None:
    deep = b'{"messages": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    for path in (CHAT, "/v1/images/generations", "/v1/images/edits", NATIVE):
        response = _raw(http, path, deep)
        assert response.status_code == 400, (path, response.text)
        assert "nested deeper than 64" in response.json()["detail"]
    assert http.get("/health").status_code == 200  # same connection, still usable


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (CHAT, rb'{"messages":[{"role":"user","content":"a\ud800b"}]}', "messages.0.content"),
        (CHAT, rb'{"messages":[{"role":"user","content":"a\u0000b"}]}', "messages.0.content"),
        ("/v1/images/generations", rb'{"prompt":"cat\ud800"}', "body.prompt"),
        ("/v1/images/generations", rb'{"prompt":"cat\u0000"}', "body.prompt"),
        (NATIVE, rb'{"contents":[{"parts":[{"text":"\udfff"}]}]}', "contents.0.parts.0.text"),
    ],
)
def test_text_that_cannot_be_stored_is_a_400_naming_the_field(
    http: httpx.Client, fake_gemini: FakeGeminiWeb, path: str, body: bytes, field: str
) -> None:
    response = _raw(http, path, body)
    assert response.status_code == 400
    assert field in response.json()["detail"]
    if path == NATIVE:
        assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert fake_gemini.generate_calls == 0


def test_an_unknown_content_part_is_a_400_at_once(
    http: httpx.Client, fake_gemini: FakeGeminiWeb
) -> None:
    part = {"type": "hologram", "hologram": {"x": 1}}
    body = {"messages": [{"role": "user", "content": [part]}]}
    response = http.post(CHAT, json=body)
    assert response.status_code == 400, response.text
    assert fake_gemini.generate_calls == 0


def test_stored_image_names_that_break_the_file_system_are_404(
    http: httpx.Client, tmp_path: Path
) -> None:
    assert http.get("/images/" + "a" * 300 + ".png").status_code == 404
    images = tmp_path / "images"
    images.mkdir(exist_ok=True)
    os.symlink(images / "loop-b", images / "loop-a")
    os.symlink(images / "loop-a", images / "loop-b")
    response = http.get("/images/loop-a")
    assert response.status_code == 404 and response.json()["detail"] == "No such image"


def test_stored_files_are_never_served_as_html(http: httpx.Client, tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir(exist_ok=True)
    (images / "page.html").write_text("<script>alert(1)</script>")
    response = http.get("/images/page.html")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_wrong_method_is_405_with_allow(http: httpx.Client) -> None:
    response = http.get(CHAT)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_a_chunked_body_over_the_limit_is_413(http: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"messages": "'
        for _ in range(20):
            yield b"x" * 1000
        yield b'"}'

    response = http.post(CHAT, content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert http.get("/health").status_code == 200


def test_x_forwarded_for_from_an_untrusted_peer_does_not_change_the_quota_key(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    limits = {"client": {"enabled": True, "per_ip_per_hour": 1, "model_interval_seconds": 0}}
    body = {"messages": [{"role": "user", "content": "hi"}]}
    with LiveServer(settings_for_fake(str(tmp_path), limits=limits), clock=FakeClock()) as live:
        first = httpx.post(f"{live.url}{CHAT}", json=body, headers={"X-Forwarded-For": "1.2.3.4"})
        again = httpx.post(f"{live.url}{CHAT}", json=body, headers={"X-Forwarded-For": "5.6.7.8"})
    assert first.status_code == 200
    assert again.status_code == 429


def test_the_openapi_document_states_400_not_422(http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    operation = document["paths"][CHAT]["post"]
    assert "400" in operation["responses"] and "422" not in operation["responses"]
    assert '"422"' not in str(document).replace("'", '"')


@pytest.mark.parametrize("prompt", ["cat\x00", "\x00"])
def test_multipart_form_text_gets_the_json_checks(
    http: httpx.Client, fake_gemini: FakeGeminiWeb, prompt: str
) -> None:
    response = http.post(
        "/v1/images/edits",
        data={"prompt": prompt, "model": "gemini-2.5-flash-image"},
        files={"image": ("ref.png", make_png(8, 8), "image/png")},
    )
    assert response.status_code == 400, response.text
    assert "form.prompt" in response.json()["detail"]
    assert fake_gemini.generate_calls == 0


def _boom() -> None:
    raise RuntimeError("secret-request-data")


def test_an_unexpected_handler_error_is_a_500_without_traceback_on_a_live_connection(
    fake_gemini: FakeGeminiWeb, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A route that fails in a way no handler foresaw, added to the real app.
    live = LiveServer(settings_for_fake(str(tmp_path)))
    live.app.add_api_route("/v1/boom", _boom)
    live.app.add_api_route("/v1beta/boom", _boom)
    with live, caplog.at_level(logging.INFO):
        connection = HTTPConnection("127.0.0.1", live.port, timeout=30)
        answers = []
        first_socket = None
        for path in ("/v1/boom", "/v1beta/boom", "/health"):
            connection.request("GET", path)
            answer = connection.getresponse()
            answers.append((answer.status, json.loads(answer.read())))
            first_socket = first_socket or connection.sock
        assert connection.sock is first_socket  # one connection served all three
        connection.close()
    (openai_status, openai_body), (google_status, google_body), (health, _) = answers
    assert openai_status == google_status == 500 and health == 200
    assert openai_body["error"]["type"] == "server_error"
    assert google_body["error"]["status"] == "INTERNAL"
    assert "secret-request-data" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info]
    assert "unhandled RuntimeError on GET /v1/boom" in caplog.text
