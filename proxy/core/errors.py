"""Every error the proxy answers with, and how it is shaped for each API family.

    ProxyError (500 INTERNAL)
    ├── BadRequest (400 INVALID_ARGUMENT)
    ├── Unauthorized (401 UNAUTHENTICATED)
    ├── Forbidden (403 PERMISSION_DENIED)
    ├── NotFound (404 NOT_FOUND)
    ├── MethodNotAllowed (405 INVALID_ARGUMENT)
    ├── Conflict (409 ALREADY_EXISTS)
    ├── PayloadTooLarge (413 INVALID_ARGUMENT)
    ├── RateLimited (429 RESOURCE_EXHAUSTED, Retry-After)
    ├── UpstreamFailed (502 UNAVAILABLE)
    ├── ServiceUnavailable (503 UNAVAILABLE)
    │   └── StorageFailed (503: image storage refused a write)
    └── GatewayTimeout (504 DEADLINE_EXCEEDED)

OpenAI routes answer `{"error": {"message", "type", "code", "param"}, "detail"}`, Gemini-native
routes `{"error": {"code", "message", "status"}, "detail"}`; `detail` is the contract's field.
"""

from typing import Any, ClassVar


def is_google_route(path: str) -> bool:
    return path.startswith(("/gemini/", "/v1beta/")) or (
        path.startswith("/v1/models/") and ":" in path
    )


class ProxyError(Exception):
    status_code: ClassVar[int] = 500
    openai_type: ClassVar[str] = "server_error"
    code: ClassVar[str] = "internal_error"
    google_status: ClassVar[str] = "INTERNAL"
    retryable: bool = True
    """False: the upstream said another try would fail the same way."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        return {"Retry-After": str(max(1, round(self.retry_after + 0.499)))}

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

    def body_for(self, path: str) -> dict[str, Any]:
        """Google's shape on Gemini-native routes, OpenAI's everywhere else."""
        return self.google_body() if is_google_route(path) else self.openai_body()

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


class Unauthorized(ProxyError):
    status_code = 401
    openai_type = "authentication_error"
    code = "invalid_api_key"
    google_status = "UNAUTHENTICATED"


class Forbidden(ProxyError):
    status_code = 403
    openai_type = "permission_error"
    code = "forbidden"
    google_status = "PERMISSION_DENIED"


class NotFound(ProxyError):
    status_code = 404
    openai_type = "invalid_request_error"
    code = "not_found"
    google_status = "NOT_FOUND"


class MethodNotAllowed(ProxyError):
    status_code = 405
    openai_type = "invalid_request_error"
    code = "method_not_allowed"
    google_status = "INVALID_ARGUMENT"


class Conflict(ProxyError):
    status_code = 409
    openai_type = "invalid_request_error"
    code = "conflict"
    google_status = "ALREADY_EXISTS"


class PayloadTooLarge(ProxyError):
    status_code = 413
    openai_type = "invalid_request_error"
    code = "payload_too_large"
    google_status = "INVALID_ARGUMENT"


class RateLimited(ProxyError):
    status_code = 429
    openai_type = "rate_limit_error"
    code = "rate_limit_exceeded"
    google_status = "RESOURCE_EXHAUSTED"


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


class StorageFailed(ServiceUnavailable):
    code = "storage_unavailable"


class GatewayTimeout(ProxyError):
    status_code = 504
    openai_type = "timeout_error"
    code = "timeout"
    google_status = "DEADLINE_EXCEEDED"


_BY_STATUS: dict[int, type[ProxyError]] = {
    cls.status_code: cls
    for cls in (BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, Conflict,
                PayloadTooLarge, RateLimited, UpstreamFailed, ServiceUnavailable, GatewayTimeout)
}  # fmt: skip


def error_for_status(status: int, message: str, retry_after: float | None = None) -> ProxyError:
    """The ProxyError for an HTTP status; unknown 4xx are bad requests, unknown 5xx upstream."""
    cls = _BY_STATUS.get(status) or (BadRequest if 400 <= status < 500 else UpstreamFailed)
    return cls(message, retry_after=retry_after)
