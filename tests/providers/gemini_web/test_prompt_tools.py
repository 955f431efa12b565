import pytest

from providers.gemini_web.prompt import PromptError, build_prompt
from providers.gemini_web.tools import ToolSpec

TOOLS = ToolSpec.from_params(
    {"tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather"}}]}
)
CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}


def test_tools_turn_a_lone_message_into_instructions_and_reply() -> None:
    prompt = build_prompt([{"role": "user", "content": "Weather in Paris?"}], TOOLS)
    assert prompt.text.startswith("System instructions:\nYou can call these functions")
    assert "- get_weather: Weather" in prompt.text
    assert prompt.text.endswith("Reply to the last user message:\nWeather in Paris?")


def test_calls_and_results_in_history_are_readable() -> None:
    prompt = build_prompt(
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": None, "tool_calls": [CALL]},
            {"role": "tool", "tool_call_id": "call_1", "content": '{"temp": 21}'},
        ],
        TOOLS,
    )
    blocks = prompt.text.split("\n\n")
    assert blocks[0] == "System instructions:\nBe brief."
    assert "You can call these functions" in blocks[1]
    assert blocks[-2] == (
        "Conversation so far:\n"
        "User: Weather in Paris?\n"
        'Assistant: ```tool_calls\n[{"name": "get_weather", "arguments": {"city": "Paris"}}]\n```\n'
        'Tool result (get_weather): {"temp": 21}'
    )
    assert blocks[-1] == "Reply to the user, using the tool results above."


def test_text_beside_calls_and_named_results() -> None:
    prompt = build_prompt(
        [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Checking.", "tool_calls": [CALL]},
            {"role": "tool", "name": "lookup", "tool_call_id": "other", "content": "42"},
            {"role": "user", "content": "Thanks"},
        ]
    )
    assert "Assistant: Checking.\n```tool_calls\n" in prompt.text
    assert "Tool result (lookup): 42\n\nReply to the last user message:\nThanks" in prompt.text


def test_an_unknown_result_id_still_reads() -> None:
    prompt = build_prompt(
        [{"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "nope", "content": "1"}]
    )
    assert "Tool result (a function): 1" in prompt.text


def test_malformed_tool_calls_are_rejected() -> None:
    with pytest.raises(PromptError, match="function name"):
        build_prompt(
            [
                {"role": "user", "content": "x"},
                {"role": "assistant", "tool_calls": [{"id": "c"}]},
                {"role": "tool", "tool_call_id": "c", "content": "1"},
            ]
        )
