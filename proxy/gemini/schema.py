"""The Gemini-native `generateContent` request, validated (a bad request must never reach the
Router, which could re-send it to a fallback).

* camelCase and snake_case are both accepted (the REST API takes both; google-genai sends
  camelCase);
* `inlineData` must be valid base64 (standard or URL-safe, as google-genai sends it), and is
  decoded here, once;
* `fileData.fileUri` must be an http(s) URL;
* `generationConfig`: `candidateCount` above 1 is refused, `topK` is accepted (Gemini web has
  no such control); `thinkingConfig` asks for thinking (`thinkingBudget` other than 0, or a
  `thinkingLevel` from low up, switch on extended thinking; `includeThoughts` shapes the
  response);
* a part holds exactly one kind; unknown part and tool kinds are refused by name.
"""

import base64
import binascii
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel, to_snake

from proxy.chat.structured import JsonAnswer, check_schema, from_openapi

_PART_KINDS = ("text", "inline_data", "file_data", "function_call", "function_response")
_PART_METADATA = (
    "thought",
    "thought_signature",
    "part_metadata",
    "video_metadata",
    "media_resolution",
)
# Built-in Gemini tools that need no emulation: Gemini web searches and reads URLs by itself.
_NATIVE_TOOLS = ("google_search", "google_search_retrieval", "url_context")
_FUNCTION_NAME = r"^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$"


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, extra="ignore"
    )


def _count_kinds(value: Any, known: tuple[str, ...], ignored: tuple[str, ...], what: str) -> int:
    """How many kinds a one-of object (`Part`, `Tool`) holds; an unknown kind is refused."""
    if not isinstance(value, dict):
        raise ValueError(f"a {what} must be an object")
    count = 0
    for key in value:
        kind = to_snake(key)
        if kind in ignored:
            continue
        if kind not in known:
            raise ValueError(f"unsupported {what} type '{key}'")
        count += 1
    return count


class Blob(_Model):
    mime_type: str = Field(min_length=1)
    data: bytes
    """Decoded once, here: image routes use the bytes, chat routes a data URL of them."""

    @field_validator("data", mode="before")
    @classmethod
    def _decoded(cls, value: Any) -> bytes:
        if not isinstance(value, str):
            raise ValueError("inlineData.data must be a base64 string")
        compact = "".join(value.split())
        url_safe = "-" in compact or "_" in compact
        padded = compact + "=" * (-len(compact) % 4)
        try:
            decoded = base64.b64decode(padded, altchars=b"-_" if url_safe else None, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("inlineData.data is not valid base64") from None
        if not decoded:
            raise ValueError("inlineData.data is empty")
        return decoded


class FileData(_Model):
    file_uri: str
    mime_type: str | None = None

    @field_validator("file_uri")
    @classmethod
    def _http_only(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("fileData.fileUri must be an http(s) URL")
        return value


class FunctionCall(_Model):
    name: str
    args: dict[str, Any] = {}


class FunctionResponse(_Model):
    name: str
    response: dict[str, Any] = {}


class Part(_Model):
    text: str | None = None
    thought: bool = False
    inline_data: Blob | None = None
    file_data: FileData | None = None
    function_call: FunctionCall | None = None
    function_response: FunctionResponse | None = None

    @property
    def carries_input(self) -> bool:
        """Whether the part gives the model something to answer (thoughts do not)."""
        if self.thought:
            return False
        has_text = bool(self.text and self.text.strip())
        return has_text or any((self.inline_data, self.file_data, self.function_response))

    @model_validator(mode="before")
    @classmethod
    def _one_kind(cls, value: Any) -> Any:
        if _count_kinds(value, _PART_KINDS, _PART_METADATA, "part") != 1:
            raise ValueError(f"a part needs exactly one of {', '.join(map(to_camel, _PART_KINDS))}")
        return value


class Content(_Model):
    role: Literal["user", "model", "function"] = "user"
    parts: list[Part] = Field(min_length=1)


class ThinkingConfig(_Model):
    include_thoughts: bool = False
    thinking_budget: int | None = Field(default=None, ge=-1)
    """-1: dynamic; 0: off; more: a budget (Gemini web has none: any budget means think long)."""
    thinking_level: Literal["minimal", "low", "medium", "high"] | None = None

    @property
    def effort(self) -> str | None:
        """The request's reasoning effort on OpenAI's scale."""
        if self.thinking_level is not None:
            return self.thinking_level
        if self.thinking_budget is None:
            return None
        return "none" if self.thinking_budget == 0 else "medium"


class GenerationConfig(_Model):
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    top_k: int | None = Field(default=None, gt=0)
    max_output_tokens: int | None = Field(default=None, gt=0)
    stop_sequences: list[str] | None = None
    candidate_count: int | None = None
    response_mime_type: str | None = None
    response_schema: dict[str, Any] | None = None
    response_json_schema: dict[str, Any] | None = None
    thinking_config: ThinkingConfig = ThinkingConfig()

    @field_validator("candidate_count")
    @classmethod
    def _one_candidate(cls, value: int | None) -> int | None:
        if value is not None and value != 1:
            raise ValueError("only candidateCount 1 is supported")
        return value

    @model_validator(mode="after")
    def _usable_schema(self) -> "GenerationConfig":
        schema = answer.schema if (answer := self.answer) else None
        if schema is not None and (problem := check_schema(schema)):
            raise ValueError(f"the response schema is not a usable schema: {problem}")
        return self

    @cached_property
    def answer(self) -> JsonAnswer | None:
        """The JSON the reply must be, when `responseMimeType` asks for JSON."""
        if self.response_mime_type != "application/json":
            return None
        schema = self.response_json_schema
        if schema is None and self.response_schema is not None:
            schema = from_openapi(self.response_schema)
        return JsonAnswer(schema, object_only=False)


class SafetySetting(_Model):
    category: str
    threshold: str | None = None


class FunctionDeclaration(_Model):
    name: str = Field(pattern=_FUNCTION_NAME)
    description: str | None = None
    parameters: dict[str, Any] | None = None
    parameters_json_schema: dict[str, Any] | None = None


class Tool(_Model):
    function_declarations: list[FunctionDeclaration] = []

    @model_validator(mode="before")
    @classmethod
    def _known(cls, value: Any) -> Any:
        _count_kinds(value, ("function_declarations", *_NATIVE_TOOLS), (), "tool")
        return value


class FunctionCallingConfig(_Model):
    mode: Literal["MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"] = "AUTO"
    allowed_function_names: list[str] | None = None


class ToolConfig(_Model):
    function_calling_config: FunctionCallingConfig = FunctionCallingConfig()


class GenerateContentRequest(_Model):
    contents: list[Content] = Field(min_length=1)
    system_instruction: Content | None = None
    generation_config: GenerationConfig = GenerationConfig()
    safety_settings: list[SafetySetting] = []
    tools: list[Tool] = []
    tool_config: ToolConfig = ToolConfig()

    @field_validator("contents", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @field_validator("system_instruction", mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return {"parts": [{"text": value}]} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _coherent(self) -> "GenerateContentRequest":
        last = self.contents[-1]
        if last.role == "model":
            raise ValueError("the last content must come from the user")
        if not any(part.carries_input for part in last.parts):
            raise ValueError("the last content is empty")
        allowed = self.tool_config.function_calling_config.allowed_function_names or []
        unknown = set(allowed) - {f.name for f in self.functions}
        if unknown:
            raise ValueError(f"allowedFunctionNames: no function {sorted(unknown)[0]!r} declared")
        return self

    @property
    def functions(self) -> list[FunctionDeclaration]:
        return [f for tool in self.tools for f in tool.function_declarations]

    @property
    def include_thoughts(self) -> bool:
        return self.generation_config.thinking_config.include_thoughts

    @property
    def safety_categories(self) -> tuple[str, ...]:
        return tuple(setting.category for setting in self.safety_settings)


class Candidate(_Model):
    content: Content
    index: int = 0
    finish_reason: str | None = None
    safety_ratings: list[dict[str, str]] = []


class GenerateContentResponse(_Model):
    """The answer (or one stream event) as `/openapi.json` describes it."""

    candidates: list[Candidate]
    usage_metadata: dict[str, int] | None = None
    model_version: str | None = None
    response_id: str | None = None
