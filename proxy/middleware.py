"""Pure ASGI middleware: cheap checks that run before any route."""

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import PayloadTooLarge


class BodyLimit:
    """Refuse request bodies above `max_bytes` before they are buffered.

    A declared Content-Length over the limit is answered 413 at once; a chunked body that
    grows past it is cut off while being read (FastAPI then answers 400).
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        error = PayloadTooLarge(f"Request body is larger than {limit} bytes")
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            response = JSONResponse(error.body_for(scope["path"]), status_code=413)
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise error
            return message

        await self.app(scope, limited_receive, send)
