"""Image helpers: a dependency-free PNG maker, content-type sniffing and the lh3 URL scheme.

Every served image has a token; its URLs on lh3.googleusercontent.com are:

| path                    | answers                                                          |
|-------------------------|------------------------------------------------------------------|
| `/gg/<t>`               | preview bytes (`=s2048-rj`: full-size bytes)                     |
| `/rd-gg/<t>=d-I`        | full-size chain step 2 (c8o8Fe gave `/rd-gg/<t>`): text URL2     |
| `/dl/<t>`               | step 3: text URL3                                                |
| `/fife/<t>`             | step 4: full-size bytes                                          |
| `/web/<t>`              | a web image's bytes                                              |

Any of them with `=s1024-rj` serves the preview (the client appends it to whatever URL the image
holds, and a full-size save leaves the step-4 URL there).
"""

from __future__ import annotations

import struct
import zlib
from enum import StrEnum

LH3 = "https://lh3.googleusercontent.com"


class Kind(StrEnum):
    PREVIEW = "gg"
    ORIGINAL = "rd-gg"
    STEP2 = "dl"
    FINAL = "fife"
    WEB = "web"


def url(kind: Kind, token: str) -> str:
    return f"{LH3}/{kind.value}/{token}"


def parse_path(path: str) -> tuple[Kind, str, str] | None:
    """`/gg/abc=s2048-rj` -> `(Kind.PREVIEW, "abc", "s2048-rj")`; None for unknown paths."""
    _, kind, rest = path.split("/", 2) if path.count("/") >= 2 else ("", "", "")
    try:
        parsed_kind = Kind(kind)
    except ValueError:
        return None
    token, _, variant = rest.partition("=")
    return parsed_kind, token, variant


def wants_preview(kind: Kind, variant: str) -> bool:
    """`=s1024-rj` asks for the preview size anywhere, `=s2048-rj` for the full size; without a
    size, only the preview URL serves the preview."""
    return variant == "s1024-rj" or (kind is Kind.PREVIEW and variant != "s2048-rj")


def make_png(width: int = 4, height: int = 4, rgb: tuple[int, int, int] = (255, 0, 0)) -> bytes:
    """A valid solid-colour RGB PNG, built with zlib only."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def content_type(data: bytes) -> str:
    """Sniff the image type (the client picks the saved file's extension from it)."""
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    return "application/octet-stream"
