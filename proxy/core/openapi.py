"""The OpenAPI document states the error responses the API really gives: validation failures
are 400s in the route's error shape (FastAPI advertises 422)."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi


def _error_response(description: str) -> dict[str, Any]:
    schema = {"type": "object", "properties": {"error": {"type": "object"}, "detail": {}}}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def install_openapi(app: FastAPI) -> None:
    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    responses = operation.get("responses", {})
                    if responses.pop("422", None) is not None:
                        responses["400"] = _error_response("Invalid request")
            schema.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]
