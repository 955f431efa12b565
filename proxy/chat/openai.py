"""OpenAI chat completions: the request schema, its `ChatCall`, and the response encoders.

Tools (`tools`, `tool_choice`, `parallel_tool_calls`, and the legacy `functions` /
`function_call`) are validated here, before routing, and emulated by the provider (see
`providers/gemini_web/tools.py`). `response_format` `json_object` / `json_schema` asks for a
JSON answer (see `structured.py`).
"""

import json
from typing import Any, Literal

from litellm.types.utils import ModelResponse, ModelResponseStream
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from proxy.chat import legacy
from proxy.chat.call import ChatCall, ChatOptions, wants_extended_thinking
from proxy.chat.structured import JsonAnswer, check_schema

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


_PART_TYPES = frozenset({"text", "image_url"})


class JsonSchemaFormat(BaseModel):
    name: str = Field(default="answer", max_length=64)
    description: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class ResponseFormat(BaseModel):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None

    @model_validator(mode="after")
    def _schema_given(self) -> "ResponseFormat":
        if self.type != "json_schema":
            return self
        if self.json_schema is None or self.json_schema.schema_ is None:
            raise ValueError("response_format json_schema needs json_schema.schema")
        problem = check_schema(self.json_schema.schema_)
        if problem:
            raise ValueError(f"response_format json_schema.schema is not a JSON Schema: {problem}")
        return self

    def answer(self) -> JsonAnswer | None:
        if self.type == "text":
            return None
        return JsonAnswer(self.json_schema.schema_ if self.json_schema else None)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None

    @field_validator("content")
    @classmethod
    def _known_parts(cls, content: Any) -> Any:
        # Checked here: litellm fails on unknown parts with a plain exception (a 5xx, retried).
        for part in content if isinstance(content, list) else []:
            if part.get("type") not in _PART_TYPES:
                raise ValueError(f"unsupported content part type: {part.get('type')!r}")
        return content


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
    functions: list[FunctionDefinition] | None = Field(default=None, max_length=128)
    function_call: Literal["auto", "none"] | FunctionName | None = None
    response_format: ResponseFormat | None = None
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh"] | None = None

    @model_validator(mode="after")
    def _legacy_functions(self) -> "ChatRequest":
        if self.functions is None:
            if self.function_call is not None:
                raise ValueError("function_call needs functions")
            return self
        if self.tools is not None:
            raise ValueError("send tools or the legacy functions, not both")
        self.tools = [Tool(type="function", function=f) for f in self.functions]
        choice = self.function_call
        self.tool_choice = (
            NamedToolChoice(type="function", function=choice)
            if isinstance(choice, FunctionName)
            else choice
        )
        return self

    @property
    def legacy_functions(self) -> bool:
        return self.functions is not None

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
        messages = [legacy.history_message(m.model_dump(exclude_none=True)) for m in self.messages]
        answer = self.response_format.answer() if self.response_format else None
        if answer is not None:
            messages.append(answer.instruction())
        return ChatCall(
            messages=messages,
            model=self.model,
            options=options,
            tools=[tool.model_dump(exclude_none=True) for tool in self.tools or []],
            tool_choice=choice.model_dump() if isinstance(choice, BaseModel) else choice,
            parallel_tool_calls=self.parallel_tool_calls,
            include_usage=bool((self.stream_options or {}).get("include_usage")),
            json_answer=answer,
            extended_thinking=wants_extended_thinking(self.reasoning_effort),
        )


def completion_body(
    response: ModelResponse, model: str, legacy_functions: bool = False
) -> dict[str, Any]:
    body: dict[str, Any] = response.model_dump(exclude_none=True)  # type: ignore[no-untyped-call]
    body["model"] = model
    return legacy.as_function_call(body) if legacy_functions else body


class SseEncoder:
    """Chat chunks as OpenAI server-sent events, under one completion id and the public model."""

    def __init__(self, model: str, legacy_functions: bool = False) -> None:
        self.model = model
        self.legacy_functions = legacy_functions
        self.id: str | None = None

    def chunk(self, chunk: ModelResponseStream) -> str:
        if self.legacy_functions:
            legacy.as_function_call_chunk(chunk)
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
