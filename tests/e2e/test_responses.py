"""The OpenAI Responses API through the real `openai` SDK: whole and streamed, tools, images,
stored responses and `previous_response_id`."""

import base64
import json

import httpx
import openai
import pytest

from tests.fakes.gemini_web import FakeGeminiWeb, Reply, make_png
from tests.live import LiveServer

MODEL = "gemini-2.5-flash"
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
CALL = '```tool_calls\n[{"name": "get_weather", "arguments": {"city": "Paris"}}]\n```'


def test_create_answers_and_stores_what_get_and_delete_see(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(Reply("Hello there."))
    response = client.responses.create(model=MODEL, input="Say hello", instructions="Be kind.")
    assert response.id.startswith("resp_") and response.model == MODEL
    assert response.output_text == "Hello there." and response.status == "completed"
    assert response.usage is not None and response.usage.input_tokens > 0
    assert "Be kind." in fake_gemini.generate_requests[0].prompt
    assert client.responses.retrieve(response.id).output_text == "Hello there."
    client.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)


def test_previous_response_id_continues_the_conversation(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(Reply("Nice to meet you, Ada."), Reply("Your name is Ada."))
    first = client.responses.create(model=MODEL, input="My name is Ada.")
    second = client.responses.create(
        model=MODEL, input="What is my name?", previous_response_id=first.id
    )
    assert second.previous_response_id == first.id and second.output_text == "Your name is Ada."
    prompt = fake_gemini.generate_requests[1].prompt
    assert "My name is Ada." in prompt and "Nice to meet you, Ada." in prompt
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="hi", previous_response_id="resp_nope")
    assert "resp_nope" in caught.value.message


def test_a_tool_round_trip_across_stored_responses(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(Reply(CALL), Reply("It is 21°C in Paris."))
    first = client.responses.create(model=MODEL, input="Weather in Paris?", tools=[WEATHER])  # type: ignore[list-item]
    (call,) = [item for item in first.output if item.type == "function_call"]
    assert call.name == "get_weather" and json.loads(call.arguments) == {"city": "Paris"}
    final = client.responses.create(
        model=MODEL,
        previous_response_id=first.id,
        tools=[WEATHER],  # type: ignore[list-item]
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": '{"temp": 21}'}],
    )
    assert final.output_text == "It is 21°C in Paris."
    assert 'Tool result (get_weather): {"temp": 21}' in fake_gemini.generate_requests[1].prompt


def test_streamed_text_and_a_streamed_tool_call(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(Reply("alpha beta gamma", frames=3))
    events = list(client.responses.create(model=MODEL, input="go", stream=True))
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert "".join(deltas) == "alpha beta gamma" and len(deltas) > 1
    completed = events[-1]
    assert completed.type == "response.completed"
    assert completed.response.id.startswith("resp_") and completed.response.model == MODEL
    assert client.responses.retrieve(completed.response.id).output_text == "alpha beta gamma"

    fake_gemini.script(Reply(CALL))
    events = list(
        client.responses.create(model=MODEL, input="Weather?", tools=[WEATHER], stream=True)  # type: ignore[list-item]
    )
    done = events[-1]
    assert done.type == "response.completed"
    (call,) = [item for item in done.response.output if item.type == "function_call"]
    assert json.loads(call.arguments) == {"city": "Paris"}

    fake_gemini.script(Reply("It is 21°C.", frames=2))
    result = {"type": "function_call_output", "call_id": call.call_id, "output": "21°C"}
    events = list(
        client.responses.create(
            model=MODEL, input=[result], previous_response_id=done.response.id,  # type: ignore[list-item]
            tools=[WEATHER], stream=True,  # type: ignore[list-item]
        )
    )  # fmt: skip
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "It is 21°C."
    assert "Tool result (get_weather): 21°C" in fake_gemini.generate_requests[-1].prompt


def test_an_image_in_the_input_is_attached(
    client: openai.OpenAI, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.script(Reply("A green square."))
    picture = "data:image/png;base64," + base64.b64encode(make_png(4, 4, (0, 255, 0))).decode()
    response = client.responses.create(
        model=MODEL,
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "What is this?"},
                    {"type": "input_image", "image_url": picture, "detail": "auto"},
                ],
            }
        ],
        store=False,
    )
    assert response.output_text == "A green square."
    assert len(fake_gemini.generate_requests[0].files) == 1
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"model": MODEL}, "input"),
        ({"model": MODEL, "input": ""}, "must not be empty"),
        ({"model": MODEL, "input": "x", "tools": [{"type": "web_search"}]}, "web_search"),
        ({"model": MODEL, "input": [{"type": "item_reference", "id": "x"}]}, "item_reference"),
        ({"model": "gpt-5", "input": "x"}, "Unknown model 'gpt-5'"),
    ],
)
def test_bad_input_is_a_400_in_openais_shape(
    server: LiveServer, fake_gemini: FakeGeminiWeb, body: dict, needle: str
) -> None:
    answer = httpx.post(f"{server.url}/v1/responses", json=body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error" and needle in error["message"]
    assert fake_gemini.generate_calls == 0
