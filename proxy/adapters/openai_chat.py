"""OpenAI chat completions <-> Router requests and responses (pure functions).

Only an explicit allow-list of client fields reaches the Router: request fields override
deployment params in litellm, so a client must never be able to set `api_base`, keys or
accounts.
"""

import json
from typing import Any, Literal

from litellm.types.utils import ModelResponse, ModelResponseStream
from pydantic import BaseModel, ConfigDict, Field

_FORWARDED = ("temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "user")


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, gt=0)
    max_completion_tokens: int | None = Field(default=None, gt=0)
    stop: str | list[str] | None = None
    n: int = Field(default=1, ge=1, le=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    user: str | None = None

    def prompt_chars(self) -> int:
        """Characters of text the client sent, to bound what goes upstream."""
        total = 0
        for message in self.messages:
            if isinstance(message.content, str):
                total += len(message.content)
            elif message.content:
                total += sum(len(str(p.get("text", ""))) for p in message.content)
        return total


def router_request(chat: ChatRequest, model: str) -> dict[str, Any]:
    """The Router kwargs for a validated chat request."""
    request: dict[str, Any] = {
        "model": model,
        "messages": [m.model_dump(exclude_none=True) for m in chat.messages],
    }
    for field in _FORWARDED:
        value = getattr(chat, field)
        if value is not None:
            request[field] = value
    if chat.stream:
        request["stream_options"] = {
            "include_usage": bool((chat.stream_options or {}).get("include_usage"))
        }
    return request


def completion_body(response: ModelResponse, model: str) -> dict[str, Any]:
    body = response.model_dump(exclude_none=True)
    body["model"] = model
    return body


class SseEncoder:
    """Chat chunks as OpenAI server-sent events, under one completion id and the public model."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.id: str | None = None

    def chunk(self, chunk: ModelResponseStream) -> str:
        self.id = self.id or chunk.id
        chunk.id = self.id
        chunk.model = self.model
        return f"data: {chunk.model_dump_json(exclude_none=True)}\n\n"

    @staticmethod
    def error(body: dict[str, Any]) -> str:
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    DONE = "data: [DONE]\n\n"
