"""Structured output and legacy function calling on the OpenAI route, with real clients."""

import json

import httpx
import openai
import pytest
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from tests.fakes.gemini_web import FakeGeminiWeb, Reply
from tests.live import LiveServer

QUESTION = [{"role": "user", "content": "Biggest city of France?"}]


class City(BaseModel):
    name: str
    population: int


def test_parse_returns_the_json_alone_as_the_pydantic_model(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(Reply('```json\n{"name": "Paris", "population": 2100000}\n```'))
    completion = client.chat.completions.parse(
        model="gemini-2.5-flash",
        messages=QUESTION,
        response_format=City,  # type: ignore[arg-type]
    )
    message = completion.choices[0].message
    assert message.parsed == City(name="Paris", population=2100000)
    assert message.content == '{"name": "Paris", "population": 2100000}'
    prompt = fake_gemini.generate_requests[0].prompt
    assert "Answer with valid JSON only" in prompt and '"population"' in prompt


def test_a_reply_that_does_not_fit_the_schema_is_corrected_once(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(
        Reply('{"name": "Paris", "population": "about two million"}'),
        Reply('{"name": "Paris", "population": 2100000}'),
    )
    completion = client.chat.completions.parse(
        model="gemini-2.5-flash",
        messages=QUESTION,
        response_format=City,  # type: ignore[arg-type]
    )
    assert completion.choices[0].message.parsed == City(name="Paris", population=2100000)
    _, correction = fake_gemini.generate_requests
    assert "cannot be used: it does not match the schema at population" in correction.prompt


def test_json_object_mode_strips_prose_fences(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(Reply("Sure:\n```json\n[1]\n```"), Reply('```\n{"ok": true}\n```'))
    completion = client.chat.completions.create(
        model="gemini-2.5-flash", messages=QUESTION, response_format={"type": "json_object"}
    )
    assert json.loads(completion.choices[0].message.content or "") == {"ok": True}
    assert fake_gemini.generate_calls == 2


def test_langchain_with_structured_output(server: LiveServer, fake_gemini: FakeGeminiWeb) -> None:
    fake_gemini.script(Reply('{"name": "Lyon", "population": 520000}'))
    model = ChatOpenAI(
        model="gemini-2.5-flash",
        base_url=f"{server.url}/v1",
        api_key="k",
        max_retries=0,  # type: ignore[arg-type]
    )
    city = model.with_structured_output(City).invoke("Second city of France?")
    assert city == City(name="Lyon", population=520000)


@pytest.mark.parametrize(
    ("response_format", "needle"),
    [
        ({"type": "json_schema"}, "needs json_schema.schema"),
        ({"type": "json_schema", "json_schema": {"schema": {"type": 7}}}, "not a JSON Schema"),
        ({"type": "yaml"}, "response_format.type"),
    ],
)
def test_bad_response_formats_are_400(
    server: LiveServer, fake_gemini: FakeGeminiWeb, response_format: dict, needle: str
) -> None:
    body = {"messages": QUESTION, "response_format": response_format}
    answer = httpx.post(f"{server.url}/v1/chat/completions", json=body)
    assert answer.status_code == 400 and needle in answer.json()["error"]["message"]
    assert fake_gemini.generate_calls == 0


FUNCTIONS = [
    {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
]
CALL = '```tool_calls\n[{"name": "get_weather", "arguments": {"city": "Paris"}}]\n```'


def test_legacy_functions_are_tools_and_answer_with_function_call(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(Reply(CALL), Reply("It is 21°C in Paris."))
    first = client.chat.completions.create(
        model="gemini-2.5-flash",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        functions=FUNCTIONS,  # type: ignore[arg-type]
        function_call={"name": "get_weather"},
    )
    choice = first.choices[0]
    assert choice.finish_reason == "function_call" and choice.message.tool_calls is None
    call = choice.message.function_call
    assert call is not None and json.loads(call.arguments) == {"city": "Paris"}
    assert "get_weather" in fake_gemini.generate_requests[0].prompt
    final = client.chat.completions.create(
        model="gemini-2.5-flash",
        messages=[
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": None, "function_call": call.model_dump()},  # type: ignore[list-item]
            {"role": "function", "name": "get_weather", "content": '{"temp": 21}'},
        ],
        functions=FUNCTIONS,  # type: ignore[arg-type]
    )
    assert final.choices[0].message.content == "It is 21°C in Paris."
    assert 'Tool result (get_weather): {"temp": 21}' in fake_gemini.generate_requests[1].prompt


def test_legacy_functions_stream_a_function_call(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(Reply(CALL))
    stream = client.chat.completions.create(
        model="gemini-2.5-flash",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        functions=FUNCTIONS,  # type: ignore[arg-type]
        stream=True,
    )
    chunks = [c for c in stream if c.choices]
    calls = [c.choices[0].delta.function_call for c in chunks if c.choices[0].delta.function_call]
    assert [c.name for c in calls] == ["get_weather"]
    assert chunks[-1].choices[0].finish_reason == "function_call"
