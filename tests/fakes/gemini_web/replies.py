"""What a test scripts and sees: `Reply` (the answer to serve), `FakeRequest` (the generate call as
the fake understood it), `UploadedFile` and `Picture`, and the default echo responder.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .catalogue import FakeModel


@dataclass(frozen=True)
class Picture:
    """Image bytes served on lh3.googleusercontent.com.

    `data` is the full-size image (full-size chain and `=s2048-rj`); `preview` is what
    `=s1024-rj` and the bare preview URL return (defaults to `data`).
    """

    data: bytes
    alt: str = ""
    preview: bytes | None = None

    @property
    def preview_data(self) -> bytes:
        return self.data if self.preview is None else self.preview


@dataclass(frozen=True)
class Reply:
    """One scripted answer to a StreamGenerate call.

    - `text`: the final text; it is streamed as `frames` growing prefixes (cut at spaces), each
      sent `frame_delay` seconds after the previous frame.
    - `thoughts`: streamed alongside the text (candidate `[37][0][0]`).
    - `images`: generated images (bytes or `Picture`), `web_images`: web search images; each gets a
      unique lh3 URL and the text gets the placeholder link the client strips again.
    - `cid` / `rid` / `rcid`: ids to report; None = continue the request's chat (cid) or mint new
      ones. `cid=""` reports no chat id at all (the client then cannot recover an incomplete turn).
    - `complete=False`: the last frame keeps `[8]=[1]` and no context frame follows.
    - `recoverable`: whether history (`hNvQHb`) holds the finished turn when the stream did not
      deliver it (incomplete turn or stall); the client polls history to recover.
    """

    text: str = ""
    thoughts: str | None = None
    images: Sequence[bytes | Picture] = ()
    web_images: Sequence[bytes | Picture] = ()
    frames: int = 3
    frame_delay: float = 0.0
    cid: str | None = None
    rid: str | None = None
    rcid: str | None = None
    complete: bool = True
    recoverable: bool = True

    def pictures(self) -> tuple[tuple[Picture, ...], tuple[Picture, ...]]:
        """(generated, web) images as `Picture`s."""
        return _as_pictures(self.images, "generated image"), _as_pictures(self.web_images, "image")

    def steps(self) -> list[tuple[str, str | None]]:
        """The (text, thoughts) of each streamed candidate frame, growing to the final values."""
        texts = cumulative(self.text, self.frames)
        thoughts: list[str | None] = (
            list(cumulative(self.thoughts, self.frames)) if self.thoughts else [None]
        )
        count = max(len(texts), len(thoughts))
        texts += [texts[-1]] * (count - len(texts))
        thoughts += [thoughts[-1]] * (count - len(thoughts))
        return list(zip(texts, thoughts, strict=True))


@dataclass(frozen=True)
class UploadedFile:
    """A file the client pushed to content-push.googleapis.com."""

    upload_id: str
    filename: str
    mime: str
    data: bytes


@dataclass(frozen=True)
class FakeRequest:
    """A StreamGenerate call as the fake decoded it.

    `model_id` is the header's id (None: the client sent no model header); `model` is the
    catalogue entry answering (the account's default model when no header; None when the id is
    unknown to the account, which the fake answers with error 1052). `chat_metadata` is inner[2]:
    `[cid, rid, rcid, ..., context]`. `files` are resolved through the upload log.
    """

    prompt: str
    model_id: str | None
    model: FakeModel | None
    files: tuple[UploadedFile, ...]
    psid: str | None
    psidts: str | None
    chat_metadata: tuple[Any, ...]
    extended_thinking: bool
    temporary: bool
    gem_id: str | None
    inner: tuple[Any, ...] = field(repr=False)
    received_at: float = 0.0
    """`time.monotonic()` when the fake received the call."""
    client: int | None = None
    """Which client instance sent it: gemini_webapi starts `_reqid` at a random number per client
    and adds 100000 a request, so the remainder tells clients (and processes) apart."""

    @property
    def cid(self) -> str:
        return str(self.chat_metadata[0] or "") if self.chat_metadata else ""


_WORDS = re.compile(r"\s*\S+|\s+$")

Responder = Callable[[FakeRequest], "Reply | str"]


def echo(request: FakeRequest) -> Reply:
    """The default responder: `"Echo: " + the prompt's last non-empty line`."""
    lines = [line for line in request.prompt.splitlines() if line.strip()]
    return Reply(text=f"Echo: {lines[-1].strip() if lines else ''}")


def cumulative(text: str, parts: int) -> list[str]:
    """`parts` growing prefixes of `text` (fewer if it is too short), the last being `text`.

    Words (with their leading whitespace) are spread evenly over the prefixes, so deltas read
    like tokens (`'Once'`, `' upon'`, ...); text with fewer words than parts is cut by characters.
    """
    words = _WORDS.findall(text)
    units = words if len(words) >= parts else list(text)
    count = min(parts, len(units))
    ends = list(itertools.accumulate(len(unit) for unit in units))
    return [text[: ends[len(units) * i // count - 1]] for i in range(1, count)] + [text]


def _as_pictures(items: Sequence[bytes | Picture], alt: str) -> tuple[Picture, ...]:
    return tuple(
        item if isinstance(item, Picture) else Picture(item, alt=f"{alt} {i + 1}")
        for i, item in enumerate(items)
    )
