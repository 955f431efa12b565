"""Exception handlers: every failure becomes an OpenAI- or Google-shaped error, no traceback."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from proxy.core.errors import BadRequest, ProxyError, error_for_status

logger = logging.getLogger(__name__)


def error_response(request: Request, error: ProxyError) -> JSONResponse:
    return JSONResponse(
        error.body_for(request), status_code=error.status_code, headers=error.headers
    )


def _validation_message(exc: RequestValidationError | ValidationError) -> str:
    parts = []
    for item in exc.errors():
        location = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
        if item.get("type") == "json_invalid":
            return "Request body is not valid JSON"
        parts.append(f"{location or 'body'}: {item.get('msg')}")
    return "Invalid request: " + "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    async def on_proxy_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProxyError)
        return error_response(request, exc)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(request, BadRequest(_validation_message(exc)))

    async def on_model_error(request: Request, exc: Exception) -> JSONResponse:
        # A body a route validates itself (e.g. a multipart form), not FastAPI.
        assert isinstance(exc, ValidationError)
        return error_response(request, BadRequest(_validation_message(exc)))

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        # Starlette's own errors: 404 for no route, 405 (with its `Allow` header) for a route
        # that exists with other methods.
        error = error_for_status(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))
        return error_response(request, error)

    app.add_exception_handler(ProxyError, on_proxy_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(ValidationError, on_model_error)
    app.add_exception_handler(HTTPException, on_http_error)
    # Outermost of ours, so it also sees what the other middleware raise.
    app.add_middleware(UnexpectedErrors)


class UnexpectedErrors:
    """Any other exception becomes a 500 in the route's dialect and ends here.

    Starlette's handler for `Exception` answers, then raises on into the server, which logs
    the traceback (request data included) and closes the keep-alive connection. Here it is
    logged by type only and the connection stays usable. A response already under way cannot
    be mended: it is left unfinished, so the server drops the connection rather than let the
    client take a cut-off body for a whole one.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as exc:
            # Type only: messages and tracebacks may carry request data or secrets.
            logger.error(
                "unhandled %s on %s %s", type(exc).__name__, scope["method"], scope["path"]
            )
            if not started:
                error = ProxyError("Internal server error")
                response = JSONResponse(error.body_for(HTTPConnection(scope)), status_code=500)
                await response(scope, receive, send)
