"""Exception handlers: every failure becomes an OpenAI- or Google-shaped error, no traceback."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

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

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Type only: messages and tracebacks may carry request data or secrets.
        logger.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return error_response(request, ProxyError("Internal server error"))

    app.add_exception_handler(ProxyError, on_proxy_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(ValidationError, on_model_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)
