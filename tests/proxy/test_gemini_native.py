import base64
from typing import Any

import pytest
from pydantic import ValidationError

from proxy.gemini.schema import GenerateContentRequest
from proxy.gemini.translate import chat_call

RAW = b"\x89PNG\r\n\x1a\n\xfb\xff\xfe"
WEATHER = {
    "name": "get_weather",
    "description": "Weather in a city",
    "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}},
}


def routed(body: dict[str, Any], stream: bool = False) -> dict[str, Any]:
    request = GenerateContentRequest.model_validate(body)
    return chat_call(request, "gemini-2.5-flash").router_kwargs("gemini-2.5-flash", stream=stream)


def user(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": list(parts)}]}


def test_text_system_instruction_and_config() -> None:
    request = routed(
        {
            **user({"text": "Hello"}),
            "systemInstruction": {"parts": [{"text": "Be brief."}, {"text": "Be kind."}]},
            "generationConfig": {
                "temperature": 0.2,
                "topP": 0.9,
                "topK": 5,
                "maxOutputTokens": 64,
                "stopSequences": ["END"],
                "candidateCount": 1,
            },
        }
    )
    assert request["messages"] == [
        {"role": "system", "content": "Be brief.\n\nBe kind."},
        {"role": "user", "content": "Hello"},
    ]
    assert (request["temperature"], request["top_p"], request["max_tokens"]) == (0.2, 0.9, 64)
    assert request["stop"] == ["END"]
    assert "tools" not in request and "stream_options" not in request


def test_multi_turn_drops_thoughts_and_snake_case_is_accepted() -> None:
    request = routed(
        {
            "contents": [
                {"role": "user", "parts": [{"text": "Hi"}]},
                {"role": "model", "parts": [{"text": "musing", "thought": True}, {"text": "Hey"}]},
                {"parts": [{"text": "How are you?"}]},
            ],
            "system_instruction": "Answer in French.",
            "generation_config": {"max_output_tokens": 9},
        },
        stream=True,
    )
    assert [m["role"] for m in request["messages"]] == ["system", "user", "assistant", "user"]
    assert request["messages"][2]["content"] == "Hey"
    assert request["max_tokens"] == 9
    assert request["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("key", ["inlineData", "inline_data"])
@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode])
def test_inline_data_becomes_a_standard_data_url(key: str, encode: Any) -> None:
    data = encode(RAW).decode()
    mime_key = "mimeType" if key == "inlineData" else "mime_type"
    request = routed(user({"text": "What?"}, {key: {mime_key: "image/png", "data": data}}))
    image = request["messages"][0]["content"][1]
    assert image == {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64," + base64.b64encode(RAW).decode()},
    }


def test_file_data_becomes_an_image_url() -> None:
    uri = "https://example.com/cat.jpg"
    request = routed(user({"fileData": {"fileUri": uri, "mimeType": "image/jpeg"}}))
    assert request["messages"][0]["content"] == [{"type": "image_url", "image_url": {"url": uri}}]


def test_function_calling_round_trip_in_history() -> None:
    request = routed(
        {
            "contents": [
                {"role": "user", "parts": [{"text": "Weather in Paris?"}]},
                {
                    "role": "model",
                    "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}],
                },
                {
                    "role": "user",
                    "parts": [
                        {"functionResponse": {"name": "get_weather", "response": {"temp": 21}}}
                    ],
                },
            ],
            "tools": [{"functionDeclarations": [WEATHER]}, {"googleSearch": {}}],
        }
    )
    assistant, tool = request["messages"][1:]
    assert assistant["tool_calls"][0]["function"] == {
        "name": "get_weather",
        "arguments": '{"city": "Paris"}',
    }
    assert tool == {"role": "tool", "content": '{"temp": 21}', "tool_call_id": "call_get_weather"}
    function = request["tools"][0]["function"]
    assert function["parameters"]["properties"]["city"]["type"] == "string"
    assert request["tool_choice"] == "auto"
    assert request["_skip_mcp_handler"] is True


@pytest.mark.parametrize(
    ("config", "choice", "offered"),
    [
        ({"mode": "NONE"}, "none", 2),
        ({"mode": "ANY"}, "required", 2),
        (
            {"mode": "ANY", "allowedFunctionNames": ["get_time"]},
            {"type": "function", "function": {"name": "get_time"}},
            2,
        ),
        ({"mode": "ANY", "allowedFunctionNames": ["get_time", "get_weather"]}, "required", 2),
        ({"mode": "VALIDATED"}, "auto", 2),
    ],
)
def test_function_calling_config(config: dict, choice: Any, offered: int) -> None:
    request = routed(
        {
            **user({"text": "x"}),
            "tools": [{"functionDeclarations": [WEATHER, {"name": "get_time"}]}],
            "toolConfig": {"functionCallingConfig": config},
        }
    )
    assert request["tool_choice"] == choice
    assert len(request["tools"]) == offered


def test_allowed_names_restrict_the_offer() -> None:
    request = routed(
        {
            **user({"text": "x"}),
            "tools": [{"functionDeclarations": [WEATHER, {"name": "a"}, {"name": "b"}]}],
            "toolConfig": {
                "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["a", "b"]}
            },
        }
    )
    assert [t["function"]["name"] for t in request["tools"]] == ["a", "b"]


def test_json_mime_type_adds_an_instruction_with_the_schema() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    request = routed(
        {
            **user({"text": "Count"}),
            "generationConfig": {"responseMimeType": "application/json", "responseSchema": schema},
        }
    )
    instruction = request["messages"][-1]
    assert instruction["role"] == "system"
    assert (
        "JSON only" in instruction["content"]
        and '"n": {"type": "integer"}' in instruction["content"]
    )


def test_request_shapes_the_reply() -> None:
    request = GenerateContentRequest.model_validate(
        {
            **user({"text": "x"}),
            "generationConfig": {"thinkingConfig": {"includeThoughts": True, "thinkingBudget": 9}},
            "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
        }
    )
    assert request.include_thoughts is True
    assert request.safety_categories == ("HARM_CATEGORY_HARASSMENT",)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({}, "contents"),
        ({"contents": []}, "contents"),
        ({"contents": [{"role": "user", "parts": []}]}, "parts"),
        (user({"executableCode": {"code": "1"}}), "unsupported part type 'executableCode'"),
        (
            user({"text": "a", "inlineData": {"mimeType": "image/png", "data": "AA=="}}),
            "exactly one",
        ),
        (user({"inlineData": {"mimeType": "image/png", "data": "@@not base64@@"}}), "base64"),
        (user({"fileData": {"fileUri": "gs://bucket/x.png"}}), "http"),
        ({"contents": [{"role": "model", "parts": [{"text": "x"}]}]}, "last content"),
        (user({"text": "  "}, {"text": "why", "thought": True}), "last content is empty"),
        ({"contents": [{"role": "robot", "parts": [{"text": "x"}]}]}, "role"),
        ({**user({"text": "x"}), "generationConfig": {"candidateCount": 2}}, "candidateCount"),
        ({**user({"text": "x"}), "generationConfig": {"temperature": 3}}, "temperature"),
        ({**user({"text": "x"}), "tools": [{"codeExecution": {}}]}, "unsupported tool type"),
        (
            {
                **user({"text": "x"}),
                "tools": [{"functionDeclarations": [WEATHER]}],
                "toolConfig": {
                    "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["nope"]}
                },
            },
            "allowedFunctionNames",
        ),
    ],
)
def test_bad_requests_are_refused_before_routing(body: dict, needle: str) -> None:
    with pytest.raises(ValidationError) as caught:
        GenerateContentRequest.model_validate(body)
    assert needle in str(caught.value)
