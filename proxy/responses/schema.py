"""The OpenAI Responses request, validated before litellm's Responses bridge translates it.

Input is a string or a list of items: messages (`input_text`, `input_image` with an image URL
or data URL, and the `output_text` of earlier turns), `function_call` and
`function_call_output` items, and `reasoning` items of earlier turns. Only function tools can
be emulated; other tool kinds (web search, file search, computer use, ...) and `file_id`
references are refused by name.
"""

from typing import Any, Literal, cast

from litellm.types.llms.openai import ResponsesAPIOptionalRequestParams
from pydantic import BaseModel, ConfigDict, Field, field_validator

_FUNCTION_NAME = r"^[A-Za-z0-9_.:-]{1,64}$"
_CONTENT_KINDS = ("input_text", "output_text", "input_image", "refusal", "text")
_ITEM_KINDS = ("message", "function_call", "function_call_output", "reasoning")


class FunctionTool(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["function"]
    name: str = Field(pattern=_FUNCTION_NAME)
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class Reasoning(BaseModel):
    model_config = ConfigDict(extra="ignore")

    effort: Literal["none", "minimal", "low", "medium", "high", "xhigh"] | None = None
    summary: str | None = None


def _check_content(content: Any) -> None:
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise ValueError("a message's content must be a string or a list of parts")
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in _CONTENT_KINDS:
            raise ValueError(f"unsupported content part type {kind!r}")
        if kind == "input_image" and not isinstance(part.get("image_url"), str):
            raise ValueError("input_image needs an image_url (file_id is not supported)")


def _check_item(item: Any) -> None:
    if not isinstance(item, dict):
        raise ValueError("input items must be objects")
    kind = item.get("type", "message")
    if kind not in _ITEM_KINDS:
        raise ValueError(f"unsupported input item type {kind!r}")
    if kind == "message":
        if item.get("role") not in ("user", "assistant", "system", "developer"):
            raise ValueError("a message item needs a role: user, assistant, system or developer")
        _check_content(item.get("content"))
    elif kind == "function_call" and not (item.get("call_id") and item.get("name")):
        raise ValueError("a function_call item needs call_id and name")
    elif kind == "function_call_output" and not item.get("call_id"):
        raise ValueError("a function_call_output item needs call_id")


class ResponsesRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: str | None = None
    input: str | list[dict[str, Any]]
    instructions: str | None = None
    tools: list[dict[str, Any]] | None = Field(default=None, max_length=128)
    tool_choice: Literal["auto", "none", "required"] | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_output_tokens: int | None = Field(default=None, gt=0)
    stream: bool = False
    store: bool = True
    previous_response_id: str | None = None
    reasoning: Reasoning | None = None
    text: dict[str, Any] | None = None
    metadata: dict[str, str] | None = None

    @field_validator("input")
    @classmethod
    def _items(cls, value: str | list[dict[str, Any]]) -> str | list[dict[str, Any]]:
        if isinstance(value, str):
            if not value.strip():
                raise ValueError("input must not be empty")
            return value
        if not value:
            raise ValueError("input must not be empty")
        for item in value:
            _check_item(item)
        return value

    @field_validator("tools")
    @classmethod
    def _functions(cls, value: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        for tool in value or []:
            if tool.get("type") != "function":
                kind = tool.get("type")
                raise ValueError(f"tool type {kind!r} is not supported (functions only)")
            FunctionTool.model_validate(tool)
        return value

    def input_items(self) -> list[dict[str, Any]]:
        if isinstance(self.input, str):
            return [{"type": "message", "role": "user", "content": self.input}]
        return self.input

    def bridge_params(self) -> ResponsesAPIOptionalRequestParams:
        """The optional parameters as litellm's bridge reads them."""
        fields = ("instructions", "tools", "tool_choice", "parallel_tool_calls", "temperature",
                  "top_p", "max_output_tokens", "reasoning", "text", "metadata",
                  "previous_response_id", "store")  # fmt: skip
        params = self.model_dump(include=set(fields), exclude_none=True)
        return cast(ResponsesAPIOptionalRequestParams, params)


class ResponseObject(BaseModel):
    """A response as `/openapi.json` describes it (the fields clients read)."""

    id: str
    object: str = "response"
    created_at: int
    status: str
    model: str
    output: list[dict[str, Any]]
    usage: dict[str, Any] | None = None
    previous_response_id: str | None = None


class ResponseDeleted(BaseModel):
    id: str
    object: str = "response.deleted"
    deleted: bool
