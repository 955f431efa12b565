"""Which API dialect a request speaks: the one mapping every error shape and shared path uses.

Most paths belong to one dialect. `/v1/models...` is shared: google-genai 3.x lists, gets and
calls models there like OpenAI's SDK does. Google's clients are told apart by Google's key
header, a `?key=` query, their API-client header or their user agent.
"""

from enum import StrEnum

from starlette.requests import HTTPConnection


class Dialect(StrEnum):
    OPENAI = "openai"
    GOOGLE = "google"
    ANTHROPIC = "anthropic"


# First match wins; paths not listed are OpenAI's (or the contract's own, shaped alike).
_BY_PREFIX: tuple[tuple[str, Dialect], ...] = (
    ("/gemini/", Dialect.GOOGLE),
    ("/v1beta/", Dialect.GOOGLE),
    ("/upload/", Dialect.GOOGLE),
    ("/v1/messages", Dialect.ANTHROPIC),
)
_GOOGLE_AGENTS = ("google-genai", "google-api-python-client", "gl-python")


def is_google_client(connection: HTTPConnection) -> bool:
    headers = connection.headers
    agent = headers.get("user-agent", "").lower()
    return (
        "x-goog-api-key" in headers
        or "x-goog-api-client" in headers
        or "key" in connection.query_params
        or any(name in agent for name in _GOOGLE_AGENTS)
    )


def dialect_of(connection: HTTPConnection) -> Dialect:
    path = connection.url.path
    for prefix, dialect in _BY_PREFIX:
        if path.startswith(prefix):
            return dialect
    if path.startswith("/v1/models") and (":" in path or is_google_client(connection)):
        return Dialect.GOOGLE
    return Dialect.OPENAI
