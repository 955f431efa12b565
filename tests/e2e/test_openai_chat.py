"""The openai SDK against a real server of ours and the fake Gemini web upstream."""

import base64
import time
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.fakes.gemini_web import FLASH, Catalogue, FakeGeminiWeb, Reply, make_png
from tests.live import LiveServer, settings_for_fake


def test_chat_answers_through_the_account(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    completion = client.chat.completions.create(
        model="gemini-2.5-flash", messages=[{"role": "user", "content": "hello there"}]
    )
    assert completion.choices[0].message.content == "Echo: hello there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "gemini-2.5-flash"
    assert completion.usage is not None and completion.usage.total_tokens > 0
    (request,) = fake_gemini.generate_requests
    assert request.prompt == "hello there"
    assert request.model is not None and request.model.display_name == "3 Flash"
    assert request.psid == "psid-main"
    assert request.temporary  # gemini_web.temporary_chats: kept out of the account's history


def test_model_defaults_and_pro_mapping(client: openai.OpenAI, fake_gemini: FakeGeminiWeb) -> None:
    default = client.chat.completions.create(model="", messages=[{"role": "user", "content": "a"}])
    pro = client.chat.completions.create(
        model="gemini-2.5-pro", messages=[{"role": "user", "content": "b"}]
    )
    assert default.model == "gemini-3-flash-preview"
    assert pro.model == "gemini-2.5-pro"
    models = [r.model.display_name if r.model else None for r in fake_gemini.generate_requests]
    assert models == ["3 Flash", "3 Pro"]


def test_thoughts_arrive_as_reasoning_content(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(Reply(text="42", thoughts="Six times seven."))
    completion = client.chat.completions.create(
        model="gemini-2.5-pro", messages=[{"role": "user", "content": "6*7?"}]
    )
    message = completion.choices[0].message
    assert message.content == "42"
    assert getattr(message, "reasoning_content", None) == "Six times seven."


def test_stream_arrives_incrementally(client: openai.OpenAI, fake_gemini: FakeGeminiWeb) -> None:
    text = "Once upon a time a fake server streamed seven frames."
    fake_gemini.script(Reply(text=text, frames=7, frame_delay=0.15))
    arrivals: list[tuple[float, str]] = []
    stream = client.chat.completions.create(
        model="gemini-2.5-flash",
        messages=[{"role": "user", "content": "story"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    usage = None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append((time.monotonic(), chunk.choices[0].delta.content))
    assert "".join(piece for _, piece in arrivals) == text
    assert len(arrivals) >= 5
    # Deltas are forwarded as they come, not collected and split afterwards.
    assert arrivals[-1][0] - arrivals[0][0] >= 0.5
    assert usage is not None and usage.completion_tokens > 0


def test_a_streamed_answer_reports_the_usage_a_whole_one_does(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    # The same estimate either way (about four characters a token), not a tokenizer's count.
    messages: Any = [{"role": "user", "content": "Tell me about the sea and the mountains."}]
    reply = "The sea is wide and the mountains are high above it."
    fake_gemini.script(Reply(reply), Reply(text=reply, frames=4))
    whole = client.chat.completions.create(model="gemini-2.5-flash", messages=messages)
    stream = client.chat.completions.create(
        model="gemini-2.5-flash",
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
    )
    (streamed,) = [chunk.usage for chunk in stream if chunk.usage]
    assert whole.usage is not None
    assert streamed.prompt_tokens == whole.usage.prompt_tokens
    assert streamed.completion_tokens == whole.usage.completion_tokens == -(-len(reply) // 4)


def test_models_are_listed(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids[0] == "gemini-3-flash-preview"
    assert {"gemini-2.5-flash", "gemini-3-pro-image-preview-4k"} <= set(ids)


def test_image_input_is_uploaded_with_its_type(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    png = make_png(8, 8)
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    client.chat.completions.create(
        model="gemini-2.5-flash",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            }
        ],
    )
    (upload,) = fake_gemini.uploads
    assert upload.filename.endswith(".png") and upload.mime == "image/png"
    assert upload.data == png
    assert fake_gemini.generate_requests[0].files[0].data == png


def test_usage_limit_is_a_rate_limit_error_with_retry_after(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.fail_stream(1037)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(
            model="gemini-2.5-flash", messages=[{"role": "user", "content": "x"}]
        )
    assert caught.value.status_code == 429
    assert int(caught.value.response.headers["retry-after"]) > 0
    assert caught.value.body["code"] == "rate_limit_exceeded"


def test_temporary_block_streamed_is_429_before_any_content(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.fail_stream(1060)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(
            model="gemini-2.5-flash", messages=[{"role": "user", "content": "x"}], stream=True
        )


def test_expired_cookies_are_503(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb, server: LiveServer
) -> None:
    fake_gemini.expire(psid="psid-main")
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(
            model="gemini-2.5-flash", messages=[{"role": "user", "content": "x"}]
        )
    assert caught.value.status_code == 503
    assert "cookies" in caught.value.message.lower()


def test_unknown_model_is_a_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "x"}])
    assert "Unknown model 'gpt-9'" in caught.value.message


def test_unmapped_web_model_fails_loudly(
    fake_gemini: FakeGeminiWeb, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake_gemini.set_catalogue(Catalogue((FLASH,)))  # the account no longer publishes a Pro model
    with LiveServer(settings_for_fake(str(tmp_path))) as server:
        client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="k", max_retries=0)
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(
                model="gemini-2.5-pro", messages=[{"role": "user", "content": "x"}]
            )
        assert (
            client.chat.completions.create(
                model="gemini-2.5-flash", messages=[{"role": "user", "content": "x"}]
            )
            .choices[0]
            .message.content
            == "Echo: x"
        )
    message = caught.value.body["message"]
    assert "'pro'" in message and "web_model" in message and "gemini-flash" in message
    assert any("does not publish" in r.getMessage() for r in caplog.records)


def test_model_withdrawn_mid_session_is_a_bad_request(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.set_catalogue(Catalogue((FLASH,)))  # after the account discovered Pro
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="gemini-2.5-pro", messages=[{"role": "user", "content": "x"}]
        )
    assert "web_model" in caught.value.body["message"]


def test_error_after_content_ends_the_stream_in_band(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(Reply(text="partial answer that goes on", frames=4))
    fake_gemini.fail_stream(1037, after_frames=2)
    stream = client.chat.completions.create(
        model="gemini-2.5-flash", messages=[{"role": "user", "content": "x"}], stream=True
    )
    received = ""
    with pytest.raises(openai.APIError) as caught:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                received += chunk.choices[0].delta.content
    assert received.startswith("partial")
    assert "usage limit" in str(caught.value).lower()
