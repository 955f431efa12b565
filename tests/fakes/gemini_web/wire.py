"""Wire framing of gemini.google.com responses, and decoding of the client's request forms.

A response body is `)]}'` followed by length-prefixed frames; each frame is a JSON array of
envelopes. The length prefix counts UTF-16 code units of `"\\n" + json` (JavaScript string
length): a prefix off by one makes the client drop the frame silently, so every body the fake
serves goes through `frame()`.

Envelopes:
- batchexecute: `["wrb.fr", rpcid, "<body JSON string>", null, null, null, "generic"]`;
  a rejected RPC carries `[7]` at index 5 and no body.
- StreamGenerate: `["wrb.fr", null, "<inner JSON string>"]`; an error carries
  `[3, null, [[BardErrorInfo, [code]]]]` at index 5.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs

XSSI_PREFIX = ")]}'\n"
_ERROR_INFO_TYPE = "type.googleapis.com/assistant.boq.bard.application.BardErrorInfo"
_CANDIDATE_SLOTS = 38  # the longest path the client reads is c[37] (thoughts)
_INNER_SLOTS = 28  # ... and j[27] (turn timestamp)


def dumps(value: Any) -> str:
    """Compact JSON, non-ASCII kept as is (so the UTF-16 length rule is really exercised)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: code points above U+FFFF count twice."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def frame(envelopes: list[Any]) -> str:
    """One length-prefixed frame holding `envelopes`."""
    body = "\n" + dumps(envelopes)
    return f"{utf16_len(body)}{body}\n"


def rpc_envelope(rpcid: str, body: Any) -> list[Any]:
    return ["wrb.fr", rpcid, dumps(body), None, None, None, "generic"]


def rpc_reject_envelope(rpcid: str) -> list[Any]:
    """What Google sends for an RPC the session may not call (the client reads `[5][0] == 7`)."""
    return ["wrb.fr", rpcid, None, None, None, [7], "generic"]


def batch_body(envelopes: list[list[Any]]) -> str:
    """A whole batchexecute body, with the trailer frames Google adds (the client ignores them)."""
    trailer = [["di", 42], ["af.httprm", 42, "-1234567890", 1]]
    return XSSI_PREFIX + "\n" + frame([*envelopes, *trailer]) + frame([["e", 4, None, None, 123]])


def stream_frame(inner: list[Any]) -> str:
    return frame([["wrb.fr", None, dumps(inner)]])


def error_frame(code: int) -> str:
    return frame([["wrb.fr", None, None, None, None, [3, None, [[_ERROR_INFO_TYPE, [code]]]]]])


def inner(
    cid: str,
    rid: str,
    candidates: list[list[Any]] | None = None,
    context: str | None = None,
    timestamp: int = 1767225600,
) -> list[Any]:
    """The inner value `j` of a StreamGenerate envelope: metadata, candidates, context blob."""
    value: list[Any] = [None] * _INNER_SLOTS
    value[1] = [cid, rid]
    value[4] = candidates
    value[25] = context
    value[27] = [[[None, None, None, [timestamp, 0]]]]
    return value


def candidate(
    rcid: str,
    text: str,
    *,
    done: bool,
    thoughts: str | None = None,
    web_images: Sequence[tuple[str, str]] = (),
    generated_images: Sequence[tuple[str, str, str]] = (),
) -> list[Any]:
    """One reply candidate.

    `web_images` are `(url, alt)`; `generated_images` are `(url, alt, image_id)`. They go into the
    rich-content block `c[12]`: field 1 for web images, field 7 for generated ones.
    """
    value: list[Any] = [None] * _CANDIDATE_SLOTS
    value[0] = rcid
    value[1] = [text]
    value[8] = [2 if done else 1]
    if web_images or generated_images:
        rich: list[Any] = [None] * 8
        rich[1] = [[[[url], None, None, None, alt]] for url, alt in web_images] or None
        generated = [
            [[None, None, None, [None, None, alt, url]], [image_id]]
            for url, alt, image_id in generated_images
        ]
        rich[7] = [generated] if generated else None
        value[12] = rich
    if thoughts:
        value[37] = [[thoughts]]
    return value


def parse_form(body: bytes) -> dict[str, str]:
    """Decode an urlencoded body to single values (the client never repeats a field)."""
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}


def batch_rpcs(form: dict[str, str]) -> list[tuple[str, Any]]:
    """`f.req = [[[rpcid, payload_json, null, "generic"], ...]]` -> `[(rpcid, payload), ...]`."""
    calls = json.loads(form.get("f.req", "[[]]"))[0]
    return [(call[0], json.loads(call[1]) if call[1] else None) for call in calls]


def generate_inner(form: dict[str, str]) -> list[Any]:
    """`f.req = [null, "<81-slot inner JSON>"]` -> the inner list."""
    return json.loads(json.loads(form["f.req"])[1])
