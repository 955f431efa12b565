"""OpenAI's legacy function calling (`functions`, `function_call`, role `function`) on tools.

Requests are mapped onto tools before routing; answers back onto `function_call` (one call,
finish reason `function_call`), which is what clients of the legacy fields read.
"""

from typing import Any

from litellm.types.utils import (
    ChatCompletionDeltaToolCall,
    Delta,
    FunctionCall,
    ModelResponseStream,
)


def call_id(name: str) -> str:
    return f"call_{name}"


def history_message(message: dict[str, Any]) -> dict[str, Any]:
    """A message of the legacy history as the tools protocol writes it."""
    if message.get("role") == "function":
        name = message.get("name") or ""
        return {"role": "tool", "tool_call_id": call_id(name), "name": name,
                "content": message.get("content") or ""}  # fmt: skip
    call = message.get("function_call")
    if message.get("role") == "assistant" and isinstance(call, dict):
        rest = {k: v for k, v in message.items() if k != "function_call"}
        tool_call = {"id": call_id(call.get("name", "")), "type": "function", "function": call}
        return {**rest, "tool_calls": [tool_call]}
    return message


def as_function_call(body: dict[str, Any]) -> dict[str, Any]:
    """A completion body whose tool calls are told as a legacy `function_call`."""
    for choice in body.get("choices", []):
        message = choice.get("message") or {}
        calls = message.pop("tool_calls", None)
        if calls:
            message["function_call"] = calls[0]["function"]
            choice["finish_reason"] = "function_call"
    return body


def as_function_call_chunk(chunk: ModelResponseStream) -> None:
    """A stream chunk whose tool call delta is told as a legacy `function_call` delta."""
    for choice in chunk.choices:
        delta: Delta = choice.delta
        first = delta.tool_calls[0] if delta.tool_calls else None
        if isinstance(first, ChatCompletionDeltaToolCall):
            function = first.function
            delta.function_call = FunctionCall(name=function.name, arguments=function.arguments)
            delta.tool_calls = None
        if choice.finish_reason == "tool_calls":
            choice.finish_reason = "function_call"
