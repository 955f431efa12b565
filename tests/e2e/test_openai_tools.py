"""Emulated function calling through the openai SDK, streamed and not."""

import json
from typing import Any

import openai
import pytest

from tests.fakes.gemini_web import FakeGeminiWeb, Reply

TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
QUESTION = {"role": "user", "content": "Weather in Paris and Rome?"}
CALLS = (
    "I will look both up.\n\n```tool_calls\n"
    '[{"name": "get_weather", "arguments": {"city": "Paris"}},\n'
    ' {"name": "get_weather", "arguments": {"city": "Rome"}}]\n```\n'
)


def assert_two_calls(calls: list[Any]) -> None:
    assert [json.loads(c.function.arguments) for c in calls] == [
        {"city": "Paris"},
        {"city": "Rome"},
    ]
    assert {c.function.name for c in calls} == {"get_weather"}
    assert all(c.id.startswith("call_") for c in calls) and calls[0].id != calls[1].id


def finish_round_trip(client: openai.OpenAI, fake_gemini: FakeGeminiWeb, calls: list[Any]) -> None:
    """Send the tool results back and check the final answer and what the upstream saw."""
    fake_gemini.script(Reply("Paris 21°C, Rome 25°C."))
    results = [
        {"role": "tool", "tool_call_id": calls[0].id, "content": '{"temp": 21}'},
        {"role": "tool", "tool_call_id": calls[1].id, "content": '{"temp": 25}'},
    ]
    assistant = {
        "role": "assistant",
        "content": None,
        "tool_calls": [c.model_dump() for c in calls],
    }
    final = client.chat.completions.create(
        model="gemini-2.5-flash", messages=[QUESTION, assistant, *results], tools=TOOLS
    )
    assert final.choices[0].message.content == "Paris 21°C, Rome 25°C."
    assert final.choices[0].finish_reason == "stop"
    prompt = fake_gemini.generate_requests[-1].prompt
    assert 'Tool result (get_weather): {"temp": 21}\nTool result (get_weather): {"temp": 25}' in (
        prompt
    )
    assert prompt.endswith("Reply to the user, using the tool results above.")


def test_tool_round_trip(client: openai.OpenAI, fake_gemini: FakeGeminiWeb) -> None:
    fake_gemini.script(Reply(CALLS))
    first = client.chat.completions.create(
        model="gemini-2.5-flash", messages=[QUESTION], tools=TOOLS, tool_choice="auto"
    )
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "I will look both up."
    assert_two_calls(choice.message.tool_calls or [])
    assert "```tool_calls" in fake_gemini.generate_requests[0].prompt
    finish_round_trip(client, fake_gemini, choice.message.tool_calls or [])


def test_streamed_tool_round_trip(client: openai.OpenAI, fake_gemini: FakeGeminiWeb) -> None:
    fake_gemini.script(Reply(CALLS, frames=12))
    stream = client.chat.completions.create(
        model="gemini-2.5-flash", messages=[QUESTION], tools=TOOLS, stream=True
    )
    content = ""
    calls: dict[int, Any] = {}
    finish = None
    for chunk in stream:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        content += delta.content or ""
        for call in delta.tool_calls or []:
            calls.setdefault(call.index, call)
        finish = chunk.choices[0].finish_reason or finish
    assert content == "I will look both up."
    assert "tool_calls" not in content and "```" not in content
    assert finish == "tool_calls"
    ordered = [calls[i] for i in sorted(calls)]
    assert_two_calls(ordered)
    finish_round_trip(client, fake_gemini, ordered)


def test_a_plain_answer_with_tools_offered(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(Reply("No tools needed: hello!"))
    answer = client.chat.completions.create(
        model="gemini-2.5-flash", messages=[{"role": "user", "content": "hi"}], tools=TOOLS
    )
    assert answer.choices[0].message.content == "No tools needed: hello!"
    assert answer.choices[0].finish_reason == "stop" and not answer.choices[0].message.tool_calls


def test_bad_tool_choice_is_refused_before_routing(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="gemini-2.5-flash",
            messages=[QUESTION],
            tools=TOOLS,
            tool_choice={"type": "function", "function": {"name": "launch_rocket"}},
        )
    assert "launch_rocket" in caught.value.message
    assert fake_gemini.generate_requests == []
