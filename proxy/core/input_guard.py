"""Request bodies that cannot hurt: read whole before any route sees them (so an oversized
chunked body is a 413, not a parse error), and JSON checked before FastAPI parses it: nesting
bounded, and no text that storage or the upstream cannot take (lone surrogates, NUL).

Every refusal is answered here, in the route's dialect, as a 4xx: nothing is raised into the
server, so nothing is logged as a traceback and the connection stays usable.
"""

import json
import re
from collections.abc import Mapping
from typing import Any

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from proxy.core.errors import BadRequest, ProxyError

MAX_DEPTH = 64
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def _is_bad(text: str) -> bool:
    """A NUL or a lone surrogate in `text`. ASCII text (base64 images: megabytes) can hold no
    surrogate, and Python knows it is ASCII without reading it: only the fast NUL search runs."""
    return "\x00" in text if text.isascii() else _BAD_TEXT.search(text) is not None


class BodyRefused(BadRequest):
    pass


def check_json(body: bytes, max_depth: int = MAX_DEPTH) -> None:
    """Raise `BodyRefused` naming the first field that is too deep or holds bad text.
    A body that is no JSON at all is left to the route (its own 400)."""
    try:
        document = json.loads(body)
    except RecursionError:
        raise BodyRefused(f"JSON nested deeper than {max_depth} levels") from None
    except ValueError:
        return
    stack: list[tuple[Any, str, int]] = [(document, "body", 1)]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > max_depth:
                raise BodyRefused(f"{where}: JSON nested deeper than {max_depth} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and _is_bad(key):
                    raise BodyRefused(f"{where}: a key holds a NUL or a lone surrogate")
                stack.append((item, f"{where}.{key}", depth + 1))
        elif isinstance(value, str) and _is_bad(value):
            raise BodyRefused(f"{where}: text holds a NUL character or a lone surrogate")


def check_fields(fields: Mapping[str, str], where: str = "form") -> None:
    """Raise `BodyRefused` naming the first form field whose name or value holds a NUL or a
    lone surrogate: a multipart form's text gets the same check as a JSON body's."""
    for name, value in fields.items():
        if _is_bad(name):
            raise BodyRefused(f"{where}: a field name holds a NUL or a lone surrogate")
        if _is_bad(value):
            raise BodyRefused(f"{where}.{name}: text holds a NUL character or a lone surrogate")


def _is_json(scope: Scope) -> bool:
    content_type: bytes = dict(scope["headers"]).get(b"content-type", b"").lower()
    return content_type.startswith(b"application/json") or content_type.endswith(b"+json")


class InputGuard:
    """Pure ASGI middleware; sits inside `BodyLimit`, whose errors it answers."""

    def __init__(self, app: ASGIApp, max_depth: int = MAX_DEPTH) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
            if _is_json(scope):
                check_json(body, self.max_depth)
        except ProxyError as error:
            response = JSONResponse(
                error.body_for(HTTPConnection(scope)), status_code=error.status_code
            )
            await response(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
