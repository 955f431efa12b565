"""OpenAI chat completions: the request schema, its `ChatCall`, and the response encoders.

Tools (`tools`, `tool_choice`, `parallel_tool_calls`) are validated here, before routing, and
emulated by the provider (see `providers/gemini_web/tools.py`).
"""

import json
from typing import Any, Literal

from litellm.types.utils import ModelResponse, ModelResponseStream
from pydantic import BaseModel, ConfigDict, Field, model_validator

from proxy.chat.call import ChatCall, ChatOptions

_FORWARDED = ("temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "user")


class FunctionDefinition(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    description: str | None = None
    parameters: dict[str, Any] | None = None


class Tool(BaseModel):
    type: Literal["function"]
    function: FunctionDefinition


class FunctionName(BaseModel):
    name: str


class NamedToolChoice(BaseModel):
    type: Literal["function"]
    function: FunctionName


class CalledFunction(BaseModel):
    name: str
    arguments: str


class ToolCall(BaseModel):
    id: str
    type: Literal["function"] = "function"
    function: CalledFunction


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None


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
    tools: list[Tool] | None = Field(default=None, max_length=128)
    tool_choice: Literal["auto", "none", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: bool | None = None

    @model_validator(mode="after")
    def _check_tools(self) -> "ChatRequest":
        names = [tool.function.name for tool in self.tools or []]
        if len(set(names)) != len(names):
            raise ValueError("tools: function names must be unique")
        choice = self.tool_choice
        if choice == "required" and not names:
            raise ValueError("tool_choice 'required' needs tools")
        if isinstance(choice, NamedToolChoice) and choice.function.name not in names:
            raise ValueError(f"tool_choice names '{choice.function.name}', which is not in tools")
        return self

    def to_call(self) -> ChatCall:
        """The dialect-free call (its Router kwargs are the allow-list)."""
        options = ChatOptions(**{name: getattr(self, name) for name in _FORWARDED})
        choice = self.tool_choice
        return ChatCall(
            messages=[m.model_dump(exclude_none=True) for m in self.messages],
            model=self.model,
            options=options,
            tools=[tool.model_dump(exclude_none=True) for tool in self.tools or []],
            tool_choice=choice.model_dump() if isinstance(choice, BaseModel) else choice,
            parallel_tool_calls=self.parallel_tool_calls,
            include_usage=bool((self.stream_options or {}).get("include_usage")),
        )


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
        if self.id is None and chunk.choices:
            # OpenAI's first chunk names the speaker; some clients build the message from it.
            chunk.choices[0].delta.role = "assistant"
        self.id = self.id or chunk.id
        chunk.id = self.id
        chunk.model = self.model
        return f"data: {chunk.model_dump_json(exclude_none=True)}\n\n"

    @staticmethod
    def error(body: dict[str, Any]) -> str:
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    DONE = "data: [DONE]\n\n"
