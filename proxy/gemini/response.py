"""Router responses -> Gemini-native `generateContent` responses and streams (pure functions).

A response is built from what the model produced (text, thoughts, function calls and, for
image models, images) by `content_parts` and `ReplyShape.body`. litellm's adapter is not used
on this side: it drops thoughts, model version and response id, and leaves the usage of the
last streamed event at zero. Streams come as server-sent events (`?alt=sse`) or, by default,
as one JSON array whose elements arrive as they are produced.
"""

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from litellm.types.utils import (
    ChatCompletionDeltaToolCall,
    ChatCompletionMessageToolCall,
    ModelResponse,
    ModelResponseStream,
)

_FINISH_REASONS = {
    "stop": "STOP",
    "length": "MAX_TOKENS",
    "content_filter": "SAFETY",
    "tool_calls": "STOP",
    "function_call": "STOP",
}


def _arguments(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def content_parts(
    *,
    text: str | None = None,
    thoughts: str | None = None,
    calls: Sequence[tuple[str, dict[str, Any]]] = (),
    images: Sequence[tuple[str, bytes]] = (),
) -> list[dict[str, Any]]:
    """Candidate parts, in Gemini's order: thoughts, text, function calls, (mime, bytes) images."""
    parts: list[dict[str, Any]] = []
    if thoughts:
        parts.append({"text": thoughts, "thought": True})
    if text:
        parts.append({"text": text})
    parts += [{"functionCall": {"name": name, "args": args}} for name, args in calls]
    parts += [
        {"inlineData": {"mimeType": mime, "data": base64.b64encode(data).decode()}}
        for mime, data in images
    ]
    return parts


def usage_metadata(usage: Any) -> dict[str, int]:
    prompt = getattr(usage, "prompt_tokens", 0) or 0
    completion = getattr(usage, "completion_tokens", 0) or 0
    return {
        "promptTokenCount": prompt,
        "candidatesTokenCount": completion,
        "totalTokenCount": getattr(usage, "total_tokens", 0) or prompt + completion,
    }


@dataclass(frozen=True)
class ReplyShape:
    """What every response of one request shares."""

    model: str
    include_thoughts: bool = False
    safety_categories: tuple[str, ...] = ()

    def body(
        self,
        parts: list[dict[str, Any]],
        response_id: str | None,
        finish_reason: str | None = None,
        usage: Any = None,
    ) -> dict[str, Any]:
        """A response (or stream event); `finish_reason` and `usage` only on the last one."""
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
        if finish_reason is not None:
            candidate["finishReason"] = _FINISH_REASONS.get(finish_reason, "OTHER")
        candidate["safetyRatings"] = [
            {"category": category, "probability": "NEGLIGIBLE"}
            for category in self.safety_categories
        ]
        body: dict[str, Any] = {"candidates": [candidate]}
        if finish_reason is not None:
            body["usageMetadata"] = usage_metadata(usage)
        body["modelVersion"] = self.model
        if response_id:
            body["responseId"] = response_id
        return body

    def response(self, response: ModelResponse) -> dict[str, Any]:
        """The `generateContent` answer for a complete chat response."""
        choice = response.choices[0]
        message = choice.message
        calls = [
            (call.function.name or "", _arguments(call.function.arguments))
            for call in message.tool_calls or []
            if isinstance(call, ChatCompletionMessageToolCall)
        ]
        thoughts = getattr(message, "reasoning_content", None) if self.include_thoughts else None
        parts = content_parts(text=message.content, thoughts=thoughts, calls=calls)
        usage = getattr(response, "usage", None)
        return self.body(parts or [{"text": ""}], response.id, choice.finish_reason, usage)


@dataclass
class NativeStream:
    """Chat chunks -> `streamGenerateContent` events. Function calls, the finish reason and
    the usage (which litellm sends in a chunk of its own, after the finish) go in `last()`."""

    shape: ReplyShape
    _id: str | None = None
    _calls: dict[int, list[str]] = field(default_factory=dict)
    _finish: str | None = None
    _usage: Any = None

    def event(self, chunk: ModelResponseStream) -> dict[str, Any] | None:
        """The event for one chunk, or None when it has nothing to show yet."""
        self._id = self._id or chunk.id
        self._usage = getattr(chunk, "usage", None) or self._usage
        if not chunk.choices:
            return None
        choice = chunk.choices[0]
        self._finish = choice.finish_reason or self._finish
        delta = choice.delta
        for call in delta.tool_calls or []:
            if not isinstance(call, ChatCompletionDeltaToolCall):
                continue
            name, arguments = self._calls.setdefault(call.index, ["", ""])
            self._calls[call.index] = [
                call.function.name or name,
                arguments + (call.function.arguments or ""),
            ]
        thoughts = (
            getattr(delta, "reasoning_content", None) if self.shape.include_thoughts else None
        )
        parts = content_parts(text=delta.content, thoughts=thoughts)
        return self.shape.body(parts, self._id) if parts else None

    def last(self) -> dict[str, Any]:
        calls = [(name, _arguments(arguments)) for name, arguments in self._calls.values()]
        parts = content_parts(calls=calls) or [{"text": ""}]
        return self.shape.body(parts, self._id, self._finish or "stop", self._usage)


class SseFrames:
    """`?alt=sse`: one `data:` event per response."""

    media_type = "text/event-stream"

    def event(self, body: dict[str, Any]) -> str:
        return f"data: {json.dumps(body, ensure_ascii=False)}\r\n\r\n"

    def end(self) -> str:
        return ""


class JsonArrayFrames:
    """The default stream: a JSON array, written one element at a time."""

    media_type = "application/json"

    def __init__(self) -> None:
        self._opened = False

    def event(self, body: dict[str, Any]) -> str:
        prefix = ",\r\n" if self._opened else "["
        self._opened = True
        return prefix + json.dumps(body, ensure_ascii=False)

    def end(self) -> str:
        return "]" if self._opened else "[]"
