import json

import pytest

from providers.gemini_web.tools import (
    ReplyFilter,
    ToolCall,
    ToolError,
    ToolSpec,
    format_calls,
    parse_calls,
    split_reply,
)

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
TIME = {"type": "function", "function": {"name": "get_time"}}


def spec(**params: object) -> ToolSpec:
    made = ToolSpec.from_params({"tools": [WEATHER, TIME], **params})
    assert made is not None
    return made


def test_no_tools_means_no_spec() -> None:
    assert ToolSpec.from_params({}) is None
    assert ToolSpec.from_params({"tools": [], "tool_choice": "auto"}) is None


def test_instructions_describe_functions_and_the_reply_block() -> None:
    text = spec().instructions()
    assert "- get_weather: Current weather in a city." in text
    assert '"properties": {"city": {"type": "string"}}' in text
    assert "- get_time: (no description)" in text
    assert "```tool_calls\n[" in text
    assert "only when they are needed" in text
    assert "several calls" in text


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"tool_choice": "required"}, "must call at least one function"),
        (
            {"tool_choice": {"type": "function", "function": {"name": "get_time"}}},
            "must call the function get_time",
        ),
        ({"parallel_tool_calls": False}, "at most one call"),
        ({"tool_choice": "none"}, "do not write a tool_calls block"),
    ],
)
def test_tool_choice_shapes_the_rule(params: dict, needle: str) -> None:
    assert needle in spec(**params).instructions()


def test_none_choice_does_not_list_functions() -> None:
    assert "get_weather" not in spec(tool_choice="none").instructions()


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"tools": "x"}, "must be a list"),
        ({"tools": [{"type": "retrieval"}]}, "only function tools"),
        ({"tools": [{"type": "function", "function": {"description": "x"}}]}, "name is required"),
        ({"tools": [WEATHER, WEATHER]}, "unique"),
        ({"tools": [WEATHER], "tool_choice": "sometimes"}, "tool_choice"),
        (
            {"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "x"}}},
            "tool_choice",
        ),
    ],
)
def test_malformed_tools_are_rejected(params: dict, error: str) -> None:
    with pytest.raises(ToolError, match=error):
        ToolSpec.from_params(params)


def test_a_pure_call_has_no_text() -> None:
    reply = '```tool_calls\n[{"name": "get_weather", "arguments": {"city": "Paris"}}]\n```\n'
    text, calls = split_reply(reply, spec())
    assert text == ""
    assert calls == [ToolCall("get_weather", {"city": "Paris"})]


def test_prose_around_blocks_is_kept_and_blocks_add_up() -> None:
    reply = (
        "Let me check both.\n\n"
        '```TOOL_CALL\n{"name": "get_weather", "arguments": "{\\"city\\": \\"Oslo\\"}"}\n```\n'
        "and\n"
        '```tool-calls\n{"tool_calls": [{"function": {"name": "get_time", "arguments": {}}}]}\n```'
    )
    text, calls = split_reply(reply, spec())
    assert text == "Let me check both.\nand"
    assert calls == [ToolCall("get_weather", {"city": "Oslo"}), ToolCall("get_time", {})]


def test_lenient_json_and_unclosed_block() -> None:
    reply = '```tool_calls\n[{"name": "get_weather", "args": {"city": "Rome",},},]\n'
    assert split_reply(reply, spec()) == ("", [ToolCall("get_weather", {"city": "Rome"})])


def test_unknown_functions_and_broken_blocks_are_dropped_never_shown() -> None:
    reply = (
        'Hi ```tool_calls\n[{"name": "rm_rf", "arguments": {}}]\n```'
        " there ```tool_calls\n{oops\n```"
    )
    assert split_reply(reply, spec()) == ("Hi there", [])


def test_choice_none_and_no_parallel_limit_calls() -> None:
    reply = format_calls([("get_time", {}), ("get_weather", {"city": "Nice"})])
    assert split_reply(reply, spec(tool_choice="none")) == ("", [])
    assert split_reply(reply, spec(parallel_tool_calls=False))[1] == [ToolCall("get_time", {})]


def test_ordinary_code_blocks_pass_through() -> None:
    reply = "Run:\n```python\nprint('hi')\n```\nDone ``x``."
    assert split_reply(reply, spec()) == (reply, [])


def test_stream_holds_back_only_a_possible_opening() -> None:
    reply = ReplyFilter(spec())
    shown = [
        reply.feed("Checking"),
        reply.feed(" now.\n`"),
        reply.feed("``tool_"),
        reply.feed('calls\n[{"name": "get_time", '),
        reply.feed('"arguments": {}}]\n`'),
        reply.feed("``\nDone"),
        reply.feed(" ```py"),
        reply.feed("thon\nx\n```"),
    ]
    assert shown == ["Checking", " now.", "", "", "", "\nDone", " ```py", "thon\nx"]
    assert reply.finish() == ("\n```", [ToolCall("get_time", {})])


def test_streamed_text_never_contains_the_protocol() -> None:
    block = format_calls([("get_weather", {"city": "Lyon"})])
    full = f"Sure.\n\n{block}\n"
    reply = ReplyFilter(spec())
    shown = "".join(reply.feed(full[i : i + 3]) for i in range(0, len(full), 3))
    rest, calls = reply.finish()
    assert shown + rest == "Sure."
    assert calls == [ToolCall("get_weather", {"city": "Lyon"})]


def test_calls_leave_in_openai_shape() -> None:
    first, second = (ToolCall("get_weather", {"city": "Köln"}).openai() for _ in range(2))
    assert first["id"].startswith("call_") and first["id"] != second["id"]
    int(first["id"].removeprefix("call_"), 16)
    assert first["type"] == "function"
    assert json.loads(first["function"]["arguments"]) == {"city": "Köln"}


def test_parse_calls_rejects_non_json() -> None:
    assert parse_calls("not json") is None
    assert parse_calls('"a string"') is None
    assert parse_calls('[{"name": 3}, {"name": "ok", "arguments": [1]}]') == []
