"""The Gemini-native routes with plain httpx: error shapes, stream framings, routing."""

import json
from pathlib import Path

import httpx
import pytest

from tests.fakes.gemini_web import FakeGeminiWeb, Reply
from tests.live import LiveServer, settings_for_fake

GENERATE = "/v1beta/models/gemini-2.5-flash:generateContent"
STREAM = "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
HELLO = {"contents": [{"role": "user", "parts": [{"text": "hello"}]}]}


def user(*parts: dict) -> dict:
    return {"contents": [{"role": "user", "parts": list(parts)}]}


@pytest.mark.parametrize(
    ("path", "body", "needle"),
    [
        (GENERATE, {}, "contents"),
        (GENERATE, {"contents": []}, "contents"),
        (GENERATE, user({"executableCode": {"code": "print(1)"}}), "executableCode"),
        (GENERATE, user({"inlineData": {"mimeType": "image/png", "data": "%%%"}}), "base64"),
        ("/v1beta/models/gpt-4o:generateContent", HELLO, "Unknown model 'gpt-4o'"),
        ("/gemini/v1beta/models/gpt-4o:streamGenerateContent", HELLO, "Unknown model"),
        (
            "/v1/models/gemini-2.5-flash:generateContent",
            {**HELLO, "generationConfig": {"candidateCount": 3}},
            "candidateCount",
        ),
    ],
)
def test_bad_input_is_a_400_in_googles_shape(
    server: LiveServer, fake_gemini: FakeGeminiWeb, path: str, body: dict, needle: str
) -> None:
    response = httpx.post(f"{server.url}{path}", json=body, timeout=30)
    assert response.status_code == 400
    error = response.json()
    assert error["error"]["code"] == 400 and error["error"]["status"] == "INVALID_ARGUMENT"
    assert needle in error["error"]["message"] and error["detail"] == error["error"]["message"]
    assert fake_gemini.generate_requests == []


def test_broken_json_is_a_400_in_googles_shape(server: LiveServer) -> None:
    response = httpx.post(
        f"{server.url}{GENERATE}", content=b"{", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_unknown_actions_are_404_and_the_openai_list_still_works(server: LiveServer) -> None:
    response = httpx.post(f"{server.url}/v1beta/models/gemini-2.5-flash:summonDragons", json=HELLO)
    assert response.status_code == 404 and response.json()["error"]["status"] == "NOT_FOUND"
    models = httpx.get(f"{server.url}/v1/models").json()
    assert models["object"] == "list" and models["data"][0]["id"] == "gemini-3-flash-preview"


def test_sse_stream_parses(server: LiveServer, fake_gemini: FakeGeminiWeb) -> None:
    fake_gemini.script(Reply(text="alpha beta gamma delta", frames=4))
    with httpx.stream("POST", f"{server.url}{STREAM}?alt=sse", json=HELLO, timeout=30) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    events = [json.loads(line.removeprefix("data: ")) for line in lines]
    assert all(line.startswith("data: ") for line in lines)
    text = "".join(
        part.get("text", "") for e in events for part in e["candidates"][0]["content"]["parts"]
    )
    assert text == "alpha beta gamma delta"
    assert events[-1]["candidates"][0]["finishReason"] == "STOP"
    assert events[-1]["usageMetadata"]["totalTokenCount"] > 0


def test_default_stream_is_one_json_array(server: LiveServer, fake_gemini: FakeGeminiWeb) -> None:
    fake_gemini.script(Reply(text="alpha beta gamma delta", frames=4))
    path = "/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    response = httpx.post(f"{server.url}{path}", json=HELLO, timeout=30)
    assert response.headers["content-type"].startswith("application/json")
    events = json.loads(response.text)
    assert len(events) >= 4
    assert events[0]["candidates"][0]["content"]["parts"] == [{"text": "alpha"}]
    assert events[-1]["usageMetadata"]["candidatesTokenCount"] > 0


@pytest.mark.parametrize("alt", ["sse", None])
def test_failure_after_content_ends_the_stream_with_an_error_event(
    server: LiveServer, fake_gemini: FakeGeminiWeb, alt: str | None
) -> None:
    fake_gemini.script(Reply(text="partial answer that goes on", frames=4))
    fake_gemini.fail_stream(1037, after_frames=2)
    response = httpx.post(
        f"{server.url}{STREAM}", params={"alt": alt} if alt else {}, json=HELLO, timeout=30
    )
    assert response.status_code == 200
    if alt:
        events = [json.loads(line[6:]) for line in response.text.splitlines() if line]
    else:
        events = json.loads(response.text)
    assert events[0]["candidates"][0]["content"]["parts"][0]["text"].startswith("partial")
    assert events[-1]["error"]["status"] == "RESOURCE_EXHAUSTED"


def test_failure_before_content_keeps_its_status(
    server: LiveServer, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.fail_stream(1037)
    response = httpx.post(f"{server.url}{STREAM}?alt=sse", json=HELLO, timeout=30)
    assert response.status_code == 429
    assert response.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert int(response.headers["retry-after"]) > 0


def test_json_mode_instructs_the_model(server: LiveServer, fake_gemini: FakeGeminiWeb) -> None:
    body = {**HELLO, "generationConfig": {"responseMimeType": "application/json"}}
    httpx.post(f"{server.url}{GENERATE}", json=body, timeout=30).raise_for_status()
    assert "Answer with valid JSON only" in fake_gemini.generate_requests[0].prompt


def test_key_in_the_query_string_is_accepted(fake_gemini: FakeGeminiWeb, tmp_path: Path) -> None:
    with LiveServer(settings_for_fake(str(tmp_path), auth={"api_keys": ["k1"]})) as live:
        ok = httpx.post(f"{live.url}{GENERATE}?key=k1", json=HELLO, timeout=30)
        missing = httpx.post(f"{live.url}{GENERATE}", json=HELLO, timeout=30)
    assert ok.status_code == 200
    assert missing.status_code == 401 and missing.json()["error"]["status"] == "UNAUTHENTICATED"
