"""Which dialect a request speaks, and the error shape each gets."""

import pytest
from starlette.requests import Request

from proxy.core.dialect import Dialect, dialect_of
from proxy.core.errors import NotImplementedByGeminiWeb, RateLimited


def request(path: str, query: str = "", **headers: str) -> Request:
    raw = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "path": path, "query_string": query.encode(), "headers": raw})


@pytest.mark.parametrize(
    ("connection", "dialect"),
    [
        (request("/v1/chat/completions"), Dialect.OPENAI),
        (request("/v1/models"), Dialect.OPENAI),
        (request("/v1/models/gemini-2.5-flash"), Dialect.OPENAI),
        (request("/v1/models", x_goog_api_key="k"), Dialect.GOOGLE),
        (request("/v1/models/x", "key=k"), Dialect.GOOGLE),
        (request("/v1/models", user_agent="google-genai-sdk/3.6.1 gl-python/3.11"), Dialect.GOOGLE),
        (request("/v1/models/x:generateContent"), Dialect.GOOGLE),
        (request("/v1beta/models"), Dialect.GOOGLE),
        (request("/gemini/v1beta/models/x:countTokens"), Dialect.GOOGLE),
        (request("/upload/v1beta/files"), Dialect.GOOGLE),
        (request("/v1/messages"), Dialect.ANTHROPIC),
        (request("/v1/messages/count_tokens"), Dialect.ANTHROPIC),
        (request("/v1/responses"), Dialect.OPENAI),
    ],
)
def test_dialects(connection: Request, dialect: Dialect) -> None:
    assert dialect_of(connection) == dialect


def test_each_dialect_has_its_own_error_shape() -> None:
    error = RateLimited("slow down", retry_after=2.2)
    assert error.body(Dialect.OPENAI)["error"]["type"] == "rate_limit_error"
    assert error.body(Dialect.GOOGLE)["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert error.body(Dialect.ANTHROPIC) == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "slow down"},
        "detail": "slow down",
    }
    assert error.headers == {"Retry-After": "3"}
    unsupported = NotImplementedByGeminiWeb("no embeddings")
    assert unsupported.status_code == 501
    assert unsupported.body(Dialect.GOOGLE)["error"]["status"] == "UNIMPLEMENTED"
