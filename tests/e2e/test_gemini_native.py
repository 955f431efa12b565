"""The google-genai SDK against a real server of ours and the fake Gemini web upstream."""

import time
from pathlib import Path

import pytest
from google import genai
from google.genai import errors, types
from pydantic import BaseModel

from tests.fakes.gemini_web import FakeGeminiWeb, Reply, make_png
from tests.live import LiveServer, settings_for_fake

MODEL = "gemini-2.5-flash"
WEATHER = types.FunctionDeclaration(
    name="get_weather",
    description="Current weather in a city.",
    parameters=types.Schema(
        type=types.Type.OBJECT,
        properties={"city": types.Schema(type=types.Type.STRING)},
        required=["city"],
    ),
)
TOOLS = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[WEATHER])])


def test_generate_content_with_system_instruction_and_config(
    gemini: genai.Client, fake_gemini: FakeGeminiWeb
) -> None:
    response = gemini.models.generate_content(
        model=MODEL,
        contents="hello there",
        config=types.GenerateContentConfig(
            system_instruction="Answer like a pirate.",
            temperature=0.3,
            top_k=4,
            max_output_tokens=100,
            safety_settings=[
                types.SafetySetting(
                    category=types.HarmCategory.HARM_CATEGORY_HARASSMENT,
                    threshold=types.HarmBlockThreshold.BLOCK_NONE,
                )
            ],
        ),
    )
    assert response.text == "Echo: hello there"
    (candidate,) = response.candidates or []
    assert candidate.finish_reason == types.FinishReason.STOP
    assert [r.probability for r in candidate.safety_ratings or []] == [
        types.HarmProbability.NEGLIGIBLE
    ]
    assert response.model_version == MODEL and response.response_id
    usage = response.usage_metadata
    assert usage is not None and usage.prompt_token_count and usage.candidates_token_count
    (request,) = fake_gemini.generate_requests
    assert request.prompt.startswith("System instructions:\nAnswer like a pirate.")
    assert request.model is not None and request.model.display_name == "3 Flash"


def test_v1beta_and_the_contract_prefix_serve_too(server: LiveServer) -> None:
    for base_url in (server.url, f"{server.url}/gemini"):
        client = genai.Client(
            api_key="k", http_options={"base_url": base_url, "api_version": "v1beta"}
        )
        assert client.models.generate_content(model=MODEL, contents="ping").text == "Echo: ping"


def test_stream_arrives_incrementally_with_usage_at_the_end(
    gemini: genai.Client, fake_gemini: FakeGeminiWeb
) -> None:
    text = "Once upon a time a fake server streamed six frames."
    fake_gemini.script(Reply(text=text, frames=6, frame_delay=0.1))
    arrivals: list[tuple[float, str]] = []
    last = None
    for chunk in gemini.models.generate_content_stream(model=MODEL, contents="story"):
        last = chunk
        if chunk.text:
            arrivals.append((time.monotonic(), chunk.text))
    assert "".join(piece for _, piece in arrivals) == text
    assert len(arrivals) >= 5
    assert arrivals[-1][0] - arrivals[0][0] >= 0.3
    assert last is not None and last.candidates
    assert last.candidates[0].finish_reason == types.FinishReason.STOP
    usage = last.usage_metadata
    assert usage is not None and usage.candidates_token_count and usage.total_token_count


def test_thoughts_are_parts_only_when_asked(
    gemini: genai.Client, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(Reply("42", thoughts="Six times seven."), Reply("42", thoughts="Again."))
    thinking = types.GenerateContentConfig(
        thinking_config=types.ThinkingConfig(include_thoughts=True)
    )
    with_thoughts = gemini.models.generate_content(model=MODEL, contents="6*7?", config=thinking)
    without = gemini.models.generate_content(model=MODEL, contents="6*7?")
    parts = with_thoughts.candidates[0].content.parts  # type: ignore[index,union-attr]
    assert [(p.text, bool(p.thought)) for p in parts or []] == [
        ("Six times seven.", True),
        ("42", False),
    ]
    assert [p.text for p in without.candidates[0].content.parts or []] == ["42"]  # type: ignore[index,union-attr]


def test_multi_turn_chat_sends_the_history(
    gemini: genai.Client, fake_gemini: FakeGeminiWeb
) -> None:
    chat = gemini.chats.create(model=MODEL)
    assert chat.send_message("My name is Ada.").text == "Echo: My name is Ada."
    assert chat.send_message("What is my name?").text == "Echo: What is my name?"
    second = fake_gemini.generate_requests[1].prompt
    assert "User: My name is Ada.\nAssistant: Echo: My name is Ada." in second
    assert second.endswith("Reply to the last user message:\nWhat is my name?")


def test_inline_image_is_uploaded_with_its_type(
    gemini: genai.Client, fake_gemini: FakeGeminiWeb
) -> None:
    png = make_png(8, 8)
    gemini.models.generate_content(
        model=MODEL,
        contents=[types.Part.from_bytes(data=png, mime_type="image/png"), "What is this?"],
    )
    (upload,) = fake_gemini.uploads
    assert upload.filename.endswith(".png") and upload.data == png
    assert fake_gemini.generate_requests[0].files[0].data == png


def test_function_call_round_trip(gemini: genai.Client, fake_gemini: FakeGeminiWeb) -> None:
    fake_gemini.script(
        Reply('```tool_calls\n[{"name": "get_weather", "arguments": {"city": "Paris"}}]\n```'),
        Reply("It is 21 degrees in Paris."),
    )
    question = types.Content(role="user", parts=[types.Part(text="Weather in Paris?")])
    first = gemini.models.generate_content(model=MODEL, contents=[question], config=TOOLS)
    (call,) = first.function_calls or []
    assert (call.name, call.args) == ("get_weather", {"city": "Paris"})
    assert first.text is None
    assert "get_weather" in fake_gemini.generate_requests[0].prompt

    result = types.Part.from_function_response(name="get_weather", response={"temp": 21})
    contents = [question, first.candidates[0].content, types.Content(role="user", parts=[result])]  # type: ignore[index]
    final = gemini.models.generate_content(model=MODEL, contents=contents, config=TOOLS)
    assert final.text == "It is 21 degrees in Paris."
    prompt = fake_gemini.generate_requests[1].prompt
    assert 'Tool result (get_weather): {"temp": 21}' in prompt
    assert '"arguments": {"city": "Paris"}' in prompt


def test_streamed_function_call_arrives_as_a_part(
    gemini: genai.Client, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(
        Reply(
            'Let me look.\n```tool_calls\n[{"name": "get_weather", "arguments": {"city": "Oslo"}}]'
            "\n```",
            frames=5,
        )
    )
    chunks = list(gemini.models.generate_content_stream(model=MODEL, contents="x", config=TOOLS))
    text = "".join(c.text or "" for c in chunks if not c.function_calls)
    calls = [call for c in chunks for call in c.function_calls or []]
    assert text == "Let me look."
    assert [(c.name, c.args) for c in calls] == [("get_weather", {"city": "Oslo"})]


class City(BaseModel):
    name: str
    population: int


def test_a_response_schema_gets_its_json_after_one_correction(
    gemini: genai.Client, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(
        Reply('{"name": "Paris", "population": "about two million"}'),
        Reply('```json\n{"name": "Paris", "population": 2100000}\n```'),
    )
    response = gemini.models.generate_content(
        model=MODEL,
        contents="Biggest city of France?",
        config=types.GenerateContentConfig(
            response_mime_type="application/json", response_schema=City
        ),
    )
    assert response.parsed == City(name="Paris", population=2100000)
    first, correction = fake_gemini.generate_requests
    assert "Answer with valid JSON only" in first.prompt and '"population"' in first.prompt
    assert "does not match the schema at population" in correction.prompt


def test_an_unusable_response_schema_is_invalid_argument(gemini: genai.Client) -> None:
    with pytest.raises(errors.ClientError) as raised:
        gemini.models.generate_content(
            model=MODEL,
            contents="hi",
            config={"response_mime_type": "application/json", "response_json_schema": {"type": 7}},
        )
    assert raised.value.code == 400 and raised.value.status == "INVALID_ARGUMENT"
    assert "response schema is not a usable schema" in str(raised.value.message)


def test_usage_limit_is_resource_exhausted(
    gemini: genai.Client, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.fail_stream(1037)
    with pytest.raises(errors.ClientError) as caught:
        gemini.models.generate_content(model=MODEL, contents="x")
    assert (caught.value.code, caught.value.status) == (429, "RESOURCE_EXHAUSTED")
    fake_gemini.fail_stream(1037)
    with pytest.raises(errors.ClientError) as streamed:
        list(gemini.models.generate_content_stream(model=MODEL, contents="x"))
    assert (streamed.value.code, streamed.value.status) == (429, "RESOURCE_EXHAUSTED")


def test_api_key_from_the_sdk_is_checked(fake_gemini: FakeGeminiWeb, tmp_path: Path) -> None:
    settings = settings_for_fake(str(tmp_path), auth={"api_keys": ["right-key"]})
    with LiveServer(settings) as server:
        good = genai.Client(api_key="right-key", http_options={"base_url": server.url})
        bad = genai.Client(api_key="wrong-key", http_options={"base_url": server.url})
        assert good.models.generate_content(model=MODEL, contents="hi").text == "Echo: hi"
        with pytest.raises(errors.ClientError) as caught:
            bad.models.generate_content(model=MODEL, contents="hi")
    assert (caught.value.code, caught.value.status) == (401, "UNAUTHENTICATED")
