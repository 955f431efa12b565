"""Every error the proxy answers with, and how it is shaped for each API family.

    ProxyError (500 INTERNAL)
    ├── BadRequest (400 INVALID_ARGUMENT)
    ├── Unauthorized (401 UNAUTHENTICATED)
    ├── Forbidden (403 PERMISSION_DENIED)
    ├── NotFound (404 NOT_FOUND)
    ├── MethodNotAllowed (405, Allow)
    ├── Conflict (409 ALREADY_EXISTS)
    ├── PayloadTooLarge (413 INVALID_ARGUMENT)
    ├── RateLimited (429 RESOURCE_EXHAUSTED, Retry-After)
    ├── NotImplementedByGeminiWeb (501 UNIMPLEMENTED)
    ├── UpstreamFailed (502 UNAVAILABLE)
    ├── ServiceUnavailable (503 UNAVAILABLE)
    │   └── StorageFailed (503: image storage refused a write)
    └── GatewayTimeout (504 DEADLINE_EXCEEDED)

OpenAI routes answer `{"error": {"message", "type", "code", "param"}, "detail"}`, Gemini-native
routes `{"error": {"code", "message", "status"}, "detail"}`, Anthropic routes
`{"type": "error", "error": {"type", "message"}, "detail"}`; `detail` is the contract's field.
Which one a request gets is `proxy/core/dialect.py`'s to say.
"""

from typing import Any, ClassVar

from starlette.requests import HTTPConnection

from proxy.core.dialect import Dialect, dialect_of


class ProxyError(Exception):
    status_code: ClassVar[int] = 500
    openai_type: ClassVar[str] = "server_error"
    code: ClassVar[str] = "internal_error"
    google_status: ClassVar[str] = "INTERNAL"
    anthropic_type: ClassVar[str] = "api_error"
    retryable: bool = True
    """False: the upstream said another try would fail the same way."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self._headers = headers or {}

    @property
    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return dict(self._headers)
        return {**self._headers, "Retry-After": str(max(1, round(self.retry_after + 0.499)))}

    def openai_body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.openai_type,
                "code": self.code,
                "param": None,
            },
            "detail": self.message,
        }

    def body(self, dialect: Dialect) -> dict[str, Any]:
        shapes = {
            Dialect.OPENAI: self.openai_body,
            Dialect.GOOGLE: self.google_body,
            Dialect.ANTHROPIC: self.anthropic_body,
        }
        return shapes[dialect]()

    def body_for(self, connection: HTTPConnection) -> dict[str, Any]:
        """The error in the dialect the request speaks."""
        return self.body(dialect_of(connection))

    def anthropic_body(self) -> dict[str, Any]:
        return {
            "type": "error",
            "error": {"type": self.anthropic_type, "message": self.message},
            "detail": self.message,
        }

    def google_body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.status_code,
                "message": self.message,
                "status": self.google_status,
            },
            "detail": self.message,
        }


class BadRequest(ProxyError):
    status_code = 400
    openai_type = "invalid_request_error"
    code = "invalid_request"
    google_status = "INVALID_ARGUMENT"
    anthropic_type = "invalid_request_error"


class Unauthorized(ProxyError):
    status_code = 401
    openai_type = "authentication_error"
    code = "invalid_api_key"
    google_status = "UNAUTHENTICATED"
    anthropic_type = "authentication_error"


class Forbidden(ProxyError):
    status_code = 403
    openai_type = "permission_error"
    code = "forbidden"
    google_status = "PERMISSION_DENIED"
    anthropic_type = "permission_error"


class NotFound(ProxyError):
    status_code = 404
    openai_type = "invalid_request_error"
    code = "not_found"
    google_status = "NOT_FOUND"
    anthropic_type = "not_found_error"


class MethodNotAllowed(ProxyError):
    status_code = 405
    openai_type = "invalid_request_error"
    code = "method_not_allowed"
    google_status = "INVALID_ARGUMENT"
    anthropic_type = "invalid_request_error"


class Conflict(ProxyError):
    status_code = 409
    openai_type = "invalid_request_error"
    code = "conflict"
    google_status = "ALREADY_EXISTS"
    anthropic_type = "invalid_request_error"


class PayloadTooLarge(ProxyError):
    status_code = 413
    openai_type = "invalid_request_error"
    code = "payload_too_large"
    google_status = "INVALID_ARGUMENT"
    anthropic_type = "request_too_large"


class RateLimited(ProxyError):
    status_code = 429
    openai_type = "rate_limit_error"
    code = "rate_limit_exceeded"
    google_status = "RESOURCE_EXHAUSTED"
    anthropic_type = "rate_limit_error"


class NotImplementedByGeminiWeb(ProxyError):
    """An endpoint of the dialect that Gemini web has nothing to answer with."""

    status_code = 501
    openai_type = "invalid_request_error"
    code = "unsupported_endpoint"
    google_status = "UNIMPLEMENTED"
    anthropic_type = "invalid_request_error"


class UpstreamFailed(ProxyError):
    status_code = 502
    openai_type = "api_error"
    code = "upstream_error"
    google_status = "UNAVAILABLE"


class ServiceUnavailable(ProxyError):
    status_code = 503
    openai_type = "api_error"
    code = "service_unavailable"
    google_status = "UNAVAILABLE"
    anthropic_type = "overloaded_error"


class StorageFailed(ServiceUnavailable):
    code = "storage_unavailable"


class GatewayTimeout(ProxyError):
    status_code = 504
    openai_type = "timeout_error"
    code = "timeout"
    google_status = "DEADLINE_EXCEEDED"
    anthropic_type = "timeout_error"


_BY_STATUS: dict[int, type[ProxyError]] = {
    cls.status_code: cls
    for cls in (BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, Conflict,
                PayloadTooLarge, RateLimited, UpstreamFailed, ServiceUnavailable, GatewayTimeout)
}  # fmt: skip


def error_for_status(
    status: int,
    message: str,
    retry_after: float | None = None,
    headers: dict[str, str] | None = None,
) -> ProxyError:
    """The ProxyError for an HTTP status; unknown 4xx are bad requests, unknown 5xx upstream."""
    cls = _BY_STATUS.get(status) or (BadRequest if 400 <= status < 500 else UpstreamFailed)
    return cls(message, retry_after=retry_after, headers=headers)
