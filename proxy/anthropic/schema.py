"""The Anthropic Messages request, validated before litellm's adapter translates it (the
adapter trusts its input; a bad request must be a 400 in Anthropic's shape, never a 500).

Content blocks: `text`, `image` (base64 or URL), `tool_use`, `tool_result`, and the thinking
blocks of earlier turns (not sent back to the model). Other kinds (documents, server tools)
are refused by name.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_TOOL_NAME = r"^[A-Za-z0-9_-]{1,128}$"


class _Block(BaseModel):
    model_config = ConfigDict(extra="ignore")  # e.g. cache_control, citations


class TextBlock(_Block):
    type: Literal["text"]
    text: str


class ImageSource(_Block):
    type: Literal["base64", "url"]
    media_type: str | None = None
    data: str | None = None
    url: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> "ImageSource":
        if self.type == "base64" and not (self.data and self.media_type):
            raise ValueError("a base64 image source needs media_type and data")
        if self.type == "url" and not (self.url or "").startswith(("http://", "https://")):
            raise ValueError("a url image source needs an http(s) url")
        return self


class ImageBlock(_Block):
    type: Literal["image"]
    source: ImageSource


class ToolUseBlock(_Block):
    type: Literal["tool_use"]
    id: str = Field(min_length=1)
    name: str = Field(pattern=_TOOL_NAME)
    input: dict[str, Any]


class ToolResultBlock(_Block):
    type: Literal["tool_result"]
    tool_use_id: str = Field(min_length=1)
    content: str | list[Annotated[TextBlock | ImageBlock, Field(discriminator="type")]] = ""
    is_error: bool | None = None


class ThinkingBlock(_Block):
    type: Literal["thinking"]
    thinking: str
    signature: str | None = None


class RedactedThinkingBlock(_Block):
    type: Literal["redacted_thinking"]
    data: str


Block = Annotated[
    TextBlock | ImageBlock | ToolUseBlock | ToolResultBlock | ThinkingBlock | RedactedThinkingBlock,
    Field(discriminator="type"),
]


class Message(_Block):
    role: Literal["user", "assistant"]
    content: str | list[Block]


class Tool(_Block):
    type: Literal["custom"] | None = None
    name: str = Field(pattern=_TOOL_NAME)
    description: str | None = None
    input_schema: dict[str, Any]


class ToolChoice(_Block):
    type: Literal["auto", "any", "tool", "none"]
    name: str | None = None
    disable_parallel_tool_use: bool | None = None


class Thinking(_Block):
    type: Literal["enabled", "disabled", "adaptive"]
    budget_tokens: int | None = Field(default=None, ge=0)


class CountTokensRequest(_Block):
    """What `/v1/messages/count_tokens` takes; `MessagesRequest` adds the generation fields."""

    model: str = Field(min_length=1)
    messages: list[Message] = Field(min_length=1)
    system: str | list[TextBlock] | None = None
    tools: list[Tool] | None = Field(default=None, max_length=128)
    tool_choice: ToolChoice | None = None
    thinking: Thinking | None = None

    @model_validator(mode="after")
    def _coherent(self) -> "CountTokensRequest":
        names = [tool.name for tool in self.tools or []]
        if len(set(names)) != len(names):
            raise ValueError("tools: names must be unique")
        choice = self.tool_choice
        if choice is not None and choice.type == "tool" and choice.name not in names:
            raise ValueError(f"tool_choice names '{choice.name}', which is not in tools")
        return self

    def adapter_kwargs(self) -> dict[str, Any]:
        """The request as litellm's Anthropic adapter reads it."""
        return self.model_dump(exclude_none=True)


class MessagesRequest(CountTokensRequest):
    max_tokens: int = Field(gt=0)
    stream: bool = False
    temperature: float | None = Field(default=None, ge=0, le=1)
    top_p: float | None = Field(default=None, ge=0, le=1)
    top_k: int | None = Field(default=None, gt=0)
    stop_sequences: list[str] | None = None
    metadata: dict[str, Any] | None = None

    def adapter_kwargs(self) -> dict[str, Any]:
        # `stream` is the route's business; `metadata` would reach the Router as `user`.
        return self.model_dump(exclude_none=True, exclude={"stream", "metadata", "top_k"})


class MessageAnswer(BaseModel):
    """A message answer as `/openapi.json` describes it (the fields clients read)."""

    id: str
    type: str = "message"
    role: str = "assistant"
    content: list[dict[str, Any]]
    model: str
    stop_reason: str | None
    stop_sequence: str | None = None
    usage: dict[str, int]
