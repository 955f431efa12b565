"""Gemini-native `generateContent` requests -> validated OpenAI chat requests (pure functions).

litellm's `GoogleGenAIAdapter` does the translation of contents, system instruction, function
declarations and basic sampling options. This module validates first (a bad request must never
reach the Router, which could re-send it to a fallback) and fills the adapter's gaps:

* camelCase and snake_case are both accepted (the REST API takes both; google-genai sends
  camelCase, and the adapter silently drops camelCase `inlineData`);
* `inlineData` must be valid base64 (standard or URL-safe, as google-genai sends it);
* `fileData` with an http(s) `fileUri` becomes an `image_url` the provider downloads;
* every `systemInstruction` part counts (the adapter keeps the first); thought parts of earlier
  model turns are not sent back; role `function` (older clients) counts as `user`;
* `generationConfig`: `candidateCount` above 1 is refused, `topK` and `thinkingConfig` are
  accepted (Gemini web has no such controls; `includeThoughts` shapes the response), and
  `responseMimeType: application/json` adds an instruction to answer with JSON only;
* `toolConfig.functionCallingConfig`: AUTO/VALIDATED -> auto, ANY -> required (one allowed
  function: that function; several: only those are offered), NONE -> none;
* `safetySettings` are accepted and only echoed back as ratings.
"""

import base64
import binascii
import json
from typing import Any, Literal

from litellm.google_genai.adapters import GoogleGenAIAdapter
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel, to_snake

from proxy.chat.openai import ChatRequest
from proxy.core.errors import BadRequest

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
_JSON_ONLY = "Answer with valid JSON only: no prose before or after it and no Markdown code fences."


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
    data: str

    @field_validator("data")
    @classmethod
    def _standard_base64(cls, value: str) -> str:
        """Re-encoded in the standard alphabet, which data URLs downstream expect."""
        compact = "".join(value.split())
        url_safe = "-" in compact or "_" in compact
        padded = compact + "=" * (-len(compact) % 4)
        try:
            decoded = base64.b64decode(padded, altchars=b"-_" if url_safe else None, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("inlineData.data is not valid base64") from None
        if not decoded:
            raise ValueError("inlineData.data is empty")
        return base64.b64encode(decoded).decode()


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


def _adapter_parts(content: Content, files: dict[str, str]) -> list[dict[str, Any]]:
    """Parts in the adapter's dialect; `fileData` URLs go through `files` placeholders."""
    parts: list[dict[str, Any]] = []
    for part in content.parts:
        if part.thought:
            continue
        if part.text is not None:
            parts.append({"text": part.text})
        elif part.inline_data is not None:
            blob = part.inline_data
            parts.append({"inline_data": {"mime_type": blob.mime_type, "data": blob.data}})
        elif part.file_data is not None:
            # The adapter knows no fileData: pass a placeholder image and swap the URL in later.
            mime = part.file_data.mime_type or "image/png"
            token = f"file{len(files)}"
            files[f"data:{mime};base64,{token}"] = part.file_data.file_uri
            parts.append({"inline_data": {"mime_type": mime, "data": token}})
        elif part.function_call is not None:
            parts.append({"functionCall": part.function_call.model_dump()})
        elif part.function_response is not None:
            parts.append({"functionResponse": part.function_response.model_dump()})
    return parts


def _restore_files(messages: list[dict[str, Any]], files: dict[str, str]) -> None:
    for message in messages:
        content = message.get("content")
        for item in content if isinstance(content, list) else []:
            image = item.get("image_url") if isinstance(item, dict) else None
            if isinstance(image, dict) and image.get("url") in files:
                image["url"] = files[image["url"]]


def _tool_choice(request: GenerateContentRequest) -> tuple[Any, set[str] | None]:
    """OpenAI `tool_choice`, and the only functions to offer (None: all)."""
    config = request.tool_config.function_calling_config
    if config.mode == "NONE":
        return "none", None
    if config.mode != "ANY":
        return "auto", None
    allowed = config.allowed_function_names or []
    if len(allowed) == 1:
        return {"type": "function", "function": {"name": allowed[0]}}, None
    return "required", set(allowed) or None


def _json_instruction(config: GenerationConfig) -> str | None:
    if config.response_mime_type != "application/json":
        return None
    schema = config.response_json_schema or config.response_schema
    if schema is None:
        return _JSON_ONLY
    return f"{_JSON_ONLY} It must match this JSON Schema: {json.dumps(schema, ensure_ascii=False)}"


def chat_request(request: GenerateContentRequest, model: str, stream: bool) -> ChatRequest:
    """The OpenAI chat request (for `router_request`) that asks what `request` asks."""
    files: dict[str, str] = {}
    contents: list[dict[str, object]] = [
        {"role": "model" if c.role == "model" else "user", "parts": _adapter_parts(c, files)}
        for c in request.contents
    ]
    system = request.system_instruction
    instruction = "\n\n".join(p.text for p in system.parts if p.text) if system else ""
    choice, offered = _tool_choice(request)
    declarations = [
        f.model_dump(by_alias=True, exclude_none=True)
        for f in request.functions
        if offered is None or f.name in offered
    ]
    config = request.generation_config
    completion = GoogleGenAIAdapter().translate_generate_content_to_completion(
        model=model,
        contents=contents,
        config=config.model_dump(
            by_alias=True,
            exclude_none=True,
            include={"temperature", "top_p", "max_output_tokens", "stop_sequences"},
        ),
        systemInstruction={"parts": [{"text": instruction}]} if instruction else None,
        tools=[{"functionDeclarations": declarations}] if declarations else None,
    )
    messages = completion["messages"]
    _restore_files(messages, files)
    json_only = _json_instruction(config)
    if json_only:
        messages.append({"role": "system", "content": json_only})
    fields = {k: completion.get(k) for k in ("temperature", "top_p", "max_tokens", "stop", "tools")}
    if declarations:
        fields["tool_choice"] = choice
    try:
        return ChatRequest.model_validate(
            {
                **{k: v for k, v in fields.items() if v is not None},
                "model": model,
                "messages": messages,
                "stream": stream,
                "stream_options": {"include_usage": True} if stream else None,
            }
        )
    except ValidationError as exc:
        raise BadRequest(f"Invalid request: {exc.errors()[0]['msg']}") from None


def image_prompt(chat: ChatRequest) -> tuple[str, list[bytes]]:
    """What an image model is asked: the last user message's text and its inline images."""
    last = chat.messages[-1]
    content = (
        last.content
        if isinstance(last.content, list)
        else [{"type": "text", "text": last.content or ""}]
    )
    texts: list[str] = []
    images: list[bytes] = []
    for part in content:
        if part.get("type") == "text":
            texts.append(str(part.get("text", "")))
        elif part.get("type") == "image_url":
            image = part.get("image_url")
            url = str(image.get("url", "") if isinstance(image, dict) else image or "")
            if not url.startswith("data:"):
                raise BadRequest("reference images for image models must be inlineData")
            images.append(base64.b64decode(url.split(",", 1)[1]))
    return "\n".join(t for t in texts if t.strip()), images
