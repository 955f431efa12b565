"""OpenAI chat messages -> one Gemini web prompt plus attached files.

Gemini web takes a single prompt per turn, so a conversation is flattened:

* a lone user message is sent verbatim;
* otherwise the prompt holds, in this order, a `System instructions:` block (every system or
  developer message, then the tools section when tools are offered), a `Conversation so far:`
  block (earlier turns as `User:` / `Assistant:` / `Tool result (<name>):` lines) and, after
  `Reply to the last user message:`, the last user message itself;
* when the conversation ends with tool results rather than a user message, every turn is in
  the conversation block and the prompt closes by asking for the reply to the user.

An assistant's tool calls are written as the tool protocol's block (see `tools.py`); a tool
result is named after its function, found through `tool_call_id` when the message has no name.
Images (`image_url` parts with data URLs or http(s) URLs) from any user message are attached
as files, in order; a last message with images and no text asks to describe them.
"""

import base64
import binascii
import json
import mimetypes
import re
from dataclasses import dataclass, field
from typing import Any

from .tools import ToolSpec, format_calls

_DATA_URL = re.compile(
    r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?:;[\w-]+=[^;,]*)*;base64,(?P<data>.*)$", re.S
)

_IMAGE_ONLY_PROMPT = "Describe the attached image."
_AFTER_TOOL_RESULTS = "Reply to the user, using the tool results above."


class PromptError(ValueError):
    """The messages cannot be turned into a prompt (a client error)."""


@dataclass
class Attachment:
    """A file for the turn: inline bytes, or a URL still to be fetched."""

    mime_type: str
    data: bytes | None = None
    url: str | None = None

    @property
    def suffix(self) -> str:
        return mimetypes.guess_extension(self.mime_type) or ".bin"


@dataclass
class Prompt:
    text: str
    attachments: list[Attachment] = field(default_factory=list)


def decode_data_url(url: str) -> Attachment:
    """Decode a `data:<mime>;base64,...` URL (or raw base64, taken as PNG)."""
    match = _DATA_URL.match(url.strip())
    mime, payload = (match["mime"] or "image/png", match["data"]) if match else ("image/png", url)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise PromptError("image data is not valid base64") from None
    if not data:
        raise PromptError("image data is empty")
    return Attachment(mime_type=mime, data=data)


def _content_parts(content: Any) -> tuple[str, list[Attachment]]:
    if content is None:
        return "", []
    if isinstance(content, str):
        return content, []
    if not isinstance(content, list):
        raise PromptError("message content must be a string or a list of parts")
    texts: list[str] = []
    files: list[Attachment] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            texts.append(str(part.get("text", "")))
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            if not isinstance(url, str) or not url:
                raise PromptError("image_url part needs a url")
            if url.startswith(("http://", "https://")):
                guessed = mimetypes.guess_type(url.split("?")[0])[0] or "image/png"
                files.append(Attachment(mime_type=guessed, url=url))
            else:
                files.append(decode_data_url(url))
        else:
            raise PromptError(f"unsupported content part type: {kind!r}")
    return "\n".join(texts), files


@dataclass
class _Turn:
    role: str
    label: str
    text: str

    @property
    def line(self) -> str:
        return f"{self.label}: {self.text}"


def _call_pair(call: Any) -> tuple[str, Any]:
    """(name, arguments) of an OpenAI `tool_calls` item, arguments decoded when they are JSON."""
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise PromptError("assistant tool_calls need a function name")
    arguments = function.get("arguments") or "{}"
    try:
        return function["name"], json.loads(arguments) if isinstance(arguments, str) else arguments
    except json.JSONDecodeError:
        return function["name"], arguments


def _assistant_turn(message: dict[str, Any], text: str, names: dict[str, str]) -> _Turn:
    calls = message.get("tool_calls") or []
    if not isinstance(calls, list):
        raise PromptError("assistant tool_calls must be a list")
    pairs = [_call_pair(call) for call in calls]
    names.update((c["id"], name) for c, (name, _) in zip(calls, pairs, strict=True) if "id" in c)
    if pairs:
        text = f"{text}\n{format_calls(pairs)}" if text.strip() else format_calls(pairs)
    return _Turn("assistant", "Assistant", text)


def _tool_turn(message: dict[str, Any], text: str, names: dict[str, str]) -> _Turn:
    name = message.get("name") or names.get(str(message.get("tool_call_id")), "a function")
    return _Turn("tool", f"Tool result ({name})", text)


def build_prompt(messages: list[dict[str, Any]], tools: ToolSpec | None = None) -> Prompt:
    """Flatten `messages` (and describe `tools`) as the module docstring describes."""
    system: list[str] = []
    turns: list[_Turn] = []
    files: list[Attachment] = []
    call_names: dict[str, str] = {}
    for message in messages:
        role = message.get("role")
        text, attached = _content_parts(message.get("content"))
        files.extend(attached)
        if role in ("system", "developer"):
            system.append(text)
        elif role == "user":
            turns.append(_Turn("user", "User", text))
        elif role == "assistant":
            turns.append(_assistant_turn(message, text, call_names))
        elif role == "tool":
            turns.append(_tool_turn(message, text, call_names))
        else:
            raise PromptError(f"unsupported message role: {role!r}")
    if not turns or turns[-1].role not in ("user", "tool"):
        raise PromptError("the last message must come from the user or a tool")
    if tools is not None:
        system.append(tools.instructions())
    if turns[-1].role == "tool":
        history, closing = turns, _AFTER_TOOL_RESULTS
    else:
        last = turns[-1].text
        if not last.strip():
            if not files:
                raise PromptError("the last user message is empty")
            last = _IMAGE_ONLY_PROMPT
        if not system and len(turns) == 1:
            return Prompt(last, files)
        history, closing = turns[:-1], "Reply to the last user message:\n" + last
    blocks = []
    if system:
        blocks.append("System instructions:\n" + "\n\n".join(system))
    if history:
        blocks.append("Conversation so far:\n" + "\n".join(turn.line for turn in history))
    blocks.append(closing)
    return Prompt("\n\n".join(blocks), files)
