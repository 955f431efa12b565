"""Pure ASGI middleware: cheap checks and accounting around every route."""

import time

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from proxy.core.errors import PayloadTooLarge
from proxy.core.metrics import Metrics


class BodyLimit:
    """Refuse request bodies above `max_bytes` before they are buffered.

    A declared Content-Length over the limit is answered 413 at once; a chunked body that
    grows past it is cut off while being read (`InputGuard`, inside, answers 413).
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
            response = JSONResponse(error.body_for(HTTPConnection(scope)), status_code=413)
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


class RequestMetrics:
    """Count and time every request by route template, model and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            caller = scope.get("state", {}).get("caller")
            model = caller.model if caller is not None else ""
            self.metrics.requests.labels(template, model, str(status)).inc()
            self.metrics.request_seconds.labels(template).observe(time.perf_counter() - started)
