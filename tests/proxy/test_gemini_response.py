import json

from litellm.types.utils import (
    ChatCompletionDeltaToolCall,
    ChatCompletionMessageToolCall,
    Delta,
    ModelResponse,
    ModelResponseStream,
    StreamingChoices,
    Usage,
)

from proxy.gemini.response import (
    JsonArrayFrames,
    NativeStream,
    ReplyShape,
    SseFrames,
    content_parts,
)

SHAPE = ReplyShape("gemini-2.5-pro", include_thoughts=True, safety_categories=("HARM_X",))


def completion(**message: object) -> ModelResponse:
    response = ModelResponse(id="resp-1")
    for key, value in message.items():
        setattr(response.choices[0].message, key, value)  # type: ignore[union-attr]
    response.usage = Usage(prompt_tokens=7, completion_tokens=3, total_tokens=10)  # type: ignore[attr-defined]
    return response


def chunk(
    finish: str | None = None, usage: Usage | None = None, **delta: object
) -> ModelResponseStream:
    choices = [StreamingChoices(index=0, delta=Delta(**delta), finish_reason=finish)]
    return ModelResponseStream(id="chunk-1", choices=choices, usage=usage)


def test_parts_come_in_gemini_order_with_room_for_images() -> None:
    parts = content_parts(
        text="Here.", thoughts="Hmm.", calls=[("f", {"a": 1})], images=[("image/png", b"\x01\x02")]
    )
    assert parts == [
        {"text": "Hmm.", "thought": True},
        {"text": "Here."},
        {"functionCall": {"name": "f", "args": {"a": 1}}},
        {"inlineData": {"mimeType": "image/png", "data": "AQI="}},
    ]


def test_a_complete_response() -> None:
    body = SHAPE.response(completion(content="42", reasoning_content="6*7"))
    candidate = body["candidates"][0]
    assert candidate["content"] == {
        "parts": [{"text": "6*7", "thought": True}, {"text": "42"}],
        "role": "model",
    }
    assert candidate["finishReason"] == "STOP"
    assert candidate["safetyRatings"] == [{"category": "HARM_X", "probability": "NEGLIGIBLE"}]
    assert body["usageMetadata"] == {
        "promptTokenCount": 7,
        "candidatesTokenCount": 3,
        "totalTokenCount": 10,
    }
    assert (body["modelVersion"], body["responseId"]) == ("gemini-2.5-pro", "resp-1")


def test_thoughts_only_when_asked_and_calls_as_function_call_parts() -> None:
    call = ChatCompletionMessageToolCall(
        id="call_1", type="function", function={"name": "f", "arguments": '{"x": [1]}'}
    )
    response = completion(content=None, reasoning_content="secret", tool_calls=[call])
    response.choices[0].finish_reason = "tool_calls"
    body = ReplyShape("m").response(response)
    assert body["candidates"][0]["content"]["parts"] == [
        {"functionCall": {"name": "f", "args": {"x": [1]}}}
    ]
    assert body["candidates"][0]["finishReason"] == "STOP"


def test_length_is_max_tokens() -> None:
    response = completion(content="cut")
    response.choices[0].finish_reason = "length"
    assert ReplyShape("m").response(response)["candidates"][0]["finishReason"] == "MAX_TOKENS"


def test_stream_events_then_a_last_event_with_calls_and_usage() -> None:
    stream = NativeStream(SHAPE)
    first = stream.event(chunk(content="Hel", reasoning_content="think"))
    assert first is not None
    assert first["candidates"][0]["content"]["parts"] == [
        {"text": "think", "thought": True},
        {"text": "Hel"},
    ]
    assert "finishReason" not in first["candidates"][0] and "usageMetadata" not in first
    assert first["responseId"] == "chunk-1"
    call = ChatCompletionDeltaToolCall(
        index=0, id="call_1", type="function", function={"name": "f", "arguments": '{"a"'}
    )
    more = ChatCompletionDeltaToolCall(index=0, function={"arguments": ": 2}"})
    assert stream.event(chunk(tool_calls=[call])) is None
    assert stream.event(chunk(tool_calls=[more])) is None
    assert stream.event(chunk(finish="tool_calls")) is None
    usage = Usage(prompt_tokens=5, completion_tokens=4, total_tokens=9)
    assert stream.event(ModelResponseStream(id="x", choices=[], usage=usage)) is None
    last = stream.last()
    assert last["candidates"][0]["content"]["parts"] == [
        {"functionCall": {"name": "f", "args": {"a": 2}}}
    ]
    assert last["candidates"][0]["finishReason"] == "STOP"
    assert last["usageMetadata"]["totalTokenCount"] == 9
    assert last["usageMetadata"]["promptTokenCount"] == 5


def test_a_stream_without_calls_ends_with_an_empty_text_part() -> None:
    stream = NativeStream(ReplyShape("m"))
    assert stream.event(chunk(reasoning_content="hidden")) is None
    assert stream.last()["candidates"][0]["content"]["parts"] == [{"text": ""}]


def test_frames() -> None:
    sse = SseFrames()
    assert sse.event({"a": "é"}) == 'data: {"a": "é"}\r\n\r\n' and sse.end() == ""
    array = JsonArrayFrames()
    text = array.event({"a": 1}) + array.event({"b": 2}) + array.end()
    assert json.loads(text) == [{"a": 1}, {"b": 2}]
    assert json.loads(JsonArrayFrames().end()) == []
