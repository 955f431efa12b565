from typing import Any

import pytest
from pydantic import ValidationError

from proxy.chat.openai import ChatRequest

TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}},
}
HISTORY = [
    {"role": "user", "content": "Weather?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_9",
                "type": "function",
                "function": {"name": "get_weather", "arguments": "{}"},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_9", "content": "sunny"},
]


def routed(**fields: Any) -> dict[str, Any]:
    chat = ChatRequest.model_validate({"messages": HISTORY, **fields})
    return chat.to_call().router_kwargs("m", stream=chat.stream)


def test_tools_are_forwarded_with_the_mcp_check_skipped() -> None:
    request = routed(
        tools=[TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        parallel_tool_calls=False,
    )
    assert request["tools"] == [TOOL]
    assert request["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert request["parallel_tool_calls"] is False
    assert request["_skip_mcp_handler"] is True
    assert request["messages"][1]["tool_calls"][0]["id"] == "call_9"
    assert request["messages"][2] == {"role": "tool", "content": "sunny", "tool_call_id": "call_9"}


def test_no_tools_forwards_no_tool_fields() -> None:
    request = routed(tool_choice="none", parallel_tool_calls=True)
    assert not {"tools", "tool_choice", "parallel_tool_calls", "_skip_mcp_handler"} & set(request)


def test_tool_definitions_count_towards_the_prompt_size() -> None:
    bare = ChatRequest.model_validate({"messages": HISTORY})
    with_tools = ChatRequest.model_validate({"messages": HISTORY, "tools": [TOOL]})
    assert with_tools.to_call().prompt_chars() > bare.to_call().prompt_chars()


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"tools": [TOOL, TOOL]}, "unique"),
        ({"tool_choice": "required"}, "needs tools"),
        (
            {"tools": [TOOL], "tool_choice": {"type": "function", "function": {"name": "x"}}},
            "not in tools",
        ),
        ({"tools": [TOOL], "tool_choice": "sometimes"}, "tool_choice"),
        ({"tools": [{"type": "function", "function": {"name": "bad name!"}}]}, "pattern"),
        ({"tools": [{"type": "code_interpreter"}]}, "tools"),
    ],
)
def test_bad_tools_are_refused(fields: dict, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        ChatRequest.model_validate({"messages": HISTORY, **fields})
