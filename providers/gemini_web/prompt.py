"""OpenAI chat messages -> one Gemini web prompt plus attached files.

Gemini web takes a single prompt per turn, so a conversation is flattened:

* a lone user message is sent verbatim;
* otherwise the prompt holds, in this order, a `System instructions:` block (every system or
  developer message), a `Conversation so far:` block (earlier turns as `User:` / `Assistant:`
  lines) and, after `Reply to the last user message:`, the last user message itself.

Images (`image_url` parts with data URLs or http(s) URLs) from any user message are attached
as files, in order; a last message with images and no text asks to describe them.
"""

import base64
import binascii
import mimetypes
import re
from dataclasses import dataclass, field
from typing import Any

_DATA_URL = re.compile(
    r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?:;[\w-]+=[^;,]*)*;base64,(?P<data>.*)$", re.S
)

_IMAGE_ONLY_PROMPT = "Describe the attached image."


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


def build_prompt(messages: list[dict[str, Any]]) -> Prompt:
    """Flatten `messages` as the module docstring describes."""
    system: list[str] = []
    turns: list[tuple[str, str]] = []
    files: list[Attachment] = []
    for message in messages:
        role = message.get("role")
        text, attached = _content_parts(message.get("content"))
        files.extend(attached)
        if role in ("system", "developer"):
            system.append(text)
        elif role in ("user", "assistant"):
            turns.append((role, text))
        else:
            raise PromptError(f"unsupported message role: {role!r}")
    if not turns or turns[-1][0] != "user":
        raise PromptError("the last message must come from the user")
    last = turns[-1][1]
    if not last.strip():
        if not files:
            raise PromptError("the last user message is empty")
        last = _IMAGE_ONLY_PROMPT
    if not system and len(turns) == 1:
        return Prompt(last, files)
    blocks = []
    if system:
        blocks.append("System instructions:\n" + "\n\n".join(system))
    if len(turns) > 1:
        lines = [f"{'User' if r == 'user' else 'Assistant'}: {t}" for r, t in turns[:-1]]
        blocks.append("Conversation so far:\n" + "\n".join(lines))
    blocks.append("Reply to the last user message:\n" + last)
    return Prompt("\n\n".join(blocks), files)
