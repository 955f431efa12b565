"""Anthropic Messages through the real `anthropic` SDK: whole, streamed, tools, images, errors."""

import base64
import json
from pathlib import Path

import anthropic
import httpx
import pytest

from tests.fakes.gemini_web import FakeGeminiWeb, Reply, make_png
from tests.live import LiveServer, settings_for_fake

MODEL = "gemini-2.5-flash"
WEATHER = {
    "name": "get_weather",
    "description": "Current weather in a city.",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
CALL = '```tool_calls\n[{"name": "get_weather", "arguments": {"city": "Paris"}}]\n```'


def test_messages_create_with_system_and_an_image(
    claude: anthropic.Anthropic, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(Reply("A red square."))
    picture = base64.b64encode(make_png(4, 4, (255, 0, 0))).decode()
    message = claude.messages.create(
        model=MODEL,
        max_tokens=256,
        system="Answer in three words.",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": picture},
                    },
                ],
            }
        ],
    )
    assert message.model == MODEL and message.role == "assistant" and message.id.startswith("msg_")
    assert message.content[0].type == "text" and message.content[0].text == "A red square."
    assert message.stop_reason == "end_turn" and message.usage.input_tokens > 0
    (request,) = fake_gemini.generate_requests
    assert "Answer in three words." in request.prompt and len(request.files) == 1


def test_a_tool_round_trip(claude: anthropic.Anthropic, fake_gemini: FakeGeminiWeb) -> None:
    fake_gemini.script(Reply(CALL), Reply("It is 21°C in Paris."))
    question = {"role": "user", "content": "Weather in Paris?"}
    first = claude.messages.create(
        model=MODEL,
        max_tokens=256,
        messages=[question],
        tools=[WEATHER],  # type: ignore[list-item]
    )
    assert first.stop_reason == "tool_use"
    (use,) = [block for block in first.content if block.type == "tool_use"]
    assert use.name == "get_weather" and use.input == {"city": "Paris"}
    final = claude.messages.create(
        model=MODEL,
        max_tokens=256,
        tools=[WEATHER],  # type: ignore[list-item]
        messages=[
            question,  # type: ignore[list-item]
            {"role": "assistant", "content": first.content},  # type: ignore[typeddict-item]
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "21°C"}],
            },
        ],
    )
    assert final.content[0].text == "It is 21°C in Paris."  # type: ignore[union-attr]
    assert "Tool result (get_weather): 21°C" in fake_gemini.generate_requests[1].prompt


def test_messages_stream_text_and_a_tool_call(
    claude: anthropic.Anthropic, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(Reply("alpha beta gamma", frames=3))
    with claude.messages.stream(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "go"}]
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert "".join(pieces) == "alpha beta gamma" and len(pieces) > 1
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 0

    fake_gemini.script(Reply(CALL))
    with claude.messages.stream(
        model=MODEL,
        max_tokens=64,
        tools=[WEATHER],  # type: ignore[list-item]
        messages=[{"role": "user", "content": "Weather in Paris?"}],
    ) as stream:
        final = stream.get_final_message()
    (use,) = [block for block in final.content if block.type == "tool_use"]
    assert use.input == {"city": "Paris"} and final.stop_reason == "tool_use"

    fake_gemini.script(Reply("It is 21°C in Paris.", frames=2))
    with claude.messages.stream(
        model=MODEL,
        max_tokens=64,
        tools=[WEATHER],  # type: ignore[list-item]
        messages=[
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": final.content},  # type: ignore[typeddict-item]
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "21°C"}],
            },
        ],
    ) as stream:
        answer = "".join(stream.text_stream)
    assert answer == "It is 21°C in Paris."
    assert "Tool result (get_weather): 21°C" in fake_gemini.generate_requests[-1].prompt


def test_a_failure_after_content_ends_the_stream_with_its_own_error_type(
    claude: anthropic.Anthropic,
    fake_gemini: FakeGeminiWeb,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    fake_gemini.script(Reply(text="partial answer that goes on", frames=4))
    fake_gemini.fail_stream(1037, after_frames=2)
    received = ""
    with (
        pytest.raises(anthropic.APIStatusError) as caught,
        claude.messages.stream(
            model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "go"}]
        ) as stream,
    ):
        for piece in stream.text_stream:
            received += piece
    assert received.startswith("partial")
    error = caught.value.body["error"]  # type: ignore[index]
    assert error["type"] == "rate_limit_error" and "usage limit" in error["message"].lower()
    # No traceback logged: through logging, nor by uvicorn, whose logger does not propagate.
    assert not [record for record in caplog.records if record.exc_info]
    assert "Traceback" not in capfd.readouterr().err


def test_count_tokens(claude: anthropic.Anthropic, fake_gemini: FakeGeminiWeb) -> None:
    counted = claude.messages.count_tokens(
        model=MODEL, messages=[{"role": "user", "content": "count these words please, all"}]
    )
    assert counted.input_tokens == 8 and fake_gemini.generate_calls == 0


def test_bad_requests_are_anthropic_errors(claude: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        claude.messages.create(
            model="claude-opus-4", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
        )
    assert "Unknown model 'claude-opus-4'" in caught.value.message
    assert caught.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}, "max_tokens"),
        ({"model": MODEL, "max_tokens": 8, "messages": []}, "messages"),
        (
            {"model": MODEL, "max_tokens": 8,
             "messages": [{"role": "user", "content": [{"type": "document", "source": {}}]}]},
            "document",
        ),
        ("{", "not valid JSON"),
    ],
)  # fmt: skip
def test_bad_input_is_a_400_in_anthropics_shape(
    server: LiveServer, fake_gemini: FakeGeminiWeb, body: object, needle: str
) -> None:
    content = body if isinstance(body, str) else json.dumps(body)
    answer = httpx.post(
        f"{server.url}/v1/messages", content=content, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400
    error = answer.json()
    assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
    assert needle in error["error"]["message"] and fake_gemini.generate_calls == 0


def test_x_api_key_is_the_key_when_keys_are_required(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    settings = settings_for_fake(str(tmp_path), auth={"api_keys": ["sk-right"]})
    fake_gemini.script(Reply("ok"))
    with LiveServer(settings) as server:
        wrong = anthropic.Anthropic(base_url=server.url, api_key="sk-wrong", max_retries=0)
        with pytest.raises(anthropic.AuthenticationError) as caught:
            wrong.messages.create(
                model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hi"}]
            )
        right = anthropic.Anthropic(base_url=server.url, api_key="sk-right", max_retries=0)
        answer = right.messages.create(
            model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hi"}]
        )
    assert caught.value.body["error"]["type"] == "authentication_error"  # type: ignore[index]
    assert answer.content[0].text == "ok"  # type: ignore[union-attr]
