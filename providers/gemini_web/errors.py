"""What each `gemini_webapi` (and curl_cffi) failure means for a client, as one table.

Every failure leaves the provider as a `CustomLLMError` with an HTTP status that litellm maps
to its typed exceptions, a message safe to show (no cookies, no tracebacks), and for rate
limits a `retry-after` header that the Router and our clients honour.
"""

import asyncio
import re
from dataclasses import dataclass

import gemini_webapi
from curl_cffi.requests.exceptions import RequestException
from litellm.llms.custom_llm import CustomLLMError


class GeminiWebError(CustomLLMError):
    """A provider failure with a status, a client-safe message and optional headers."""

    def __init__(
        self,
        status_code: int,
        message: str,
        retry_after: float | None = None,
        reason: str = "",
        *,
        retryable: bool = True,
    ) -> None:
        super().__init__(status_code=status_code, message=message)  # type: ignore[no-untyped-call]
        self.reason = reason or str(status_code)
        self.headers = {"retry-after": str(round(retry_after))} if retry_after else {}
        if not retryable:
            # Another try would fail the same way: the header OpenAI's clients honour, which
            # litellm hands on to the caller with our other headers.
            self.headers["x-should-retry"] = "false"


@dataclass(frozen=True)
class _Outcome:
    status: int
    reason: str
    message: str
    retry_after: float | None = None


_AUTH = _Outcome(503, "auth", "Gemini web cookies are invalid or expired")
_BLOCKED = _Outcome(429, "blocked", "Gemini web temporarily blocked this account or IP", 600)

# Order matters: subclasses before their bases (TimeoutError, UsageLimit... are GeminiErrors).
_TABLE: tuple[tuple[type[BaseException], _Outcome], ...] = (
    (
        gemini_webapi.UsageLimitExceededError,
        _Outcome(429, "usage_limit", "Gemini web usage limit reached for this account", 300),
    ),
    (gemini_webapi.TemporarilyBlockedError, _BLOCKED),
    (
        gemini_webapi.ModelInvalidError,
        _Outcome(
            400,
            "model_invalid",
            "Gemini web rejected the model: the account may no longer publish it; check its "
            "web_model in config.yaml",
        ),
    ),
    (gemini_webapi.AuthError, _AUTH),
    (gemini_webapi.TimeoutError, _Outcome(504, "timeout", "Gemini web did not answer in time")),
    (TimeoutError, _Outcome(504, "timeout", "Gemini web did not answer in time")),
    (asyncio.TimeoutError, _Outcome(504, "timeout", "Gemini web did not answer in time")),
    (gemini_webapi.APIError, _Outcome(502, "upstream", "Gemini web request failed")),
    (gemini_webapi.GeminiError, _Outcome(502, "upstream", "Gemini web returned an error")),
    (RequestException, _Outcome(502, "network", "Could not reach Gemini web")),
)


# The library reports HTTP failures of StreamGenerate / batchexecute only in APIError's text.
_HTTP_STATUS = re.compile(r"(?:Status:|status code) (\d{3})")
_BY_HTTP_STATUS = {
    302: _BLOCKED,  # a redirect to google.com/sorry: this IP is blocked for a while
    401: _AUTH,
    403: _AUTH,
    429: _Outcome(429, "rate_limited", "Gemini web is rate limiting this account"),
}


def _outcome(exc: BaseException) -> _Outcome | None:
    if isinstance(exc, gemini_webapi.APIError):
        found = _HTTP_STATUS.search(str(exc))
        if found and int(found[1]) in _BY_HTTP_STATUS:
            return _BY_HTTP_STATUS[int(found[1])]
    return next((outcome for kind, outcome in _TABLE if isinstance(exc, kind)), None)


def map_exception(exc: BaseException, model: str = "") -> GeminiWebError:
    """Translate any failure of a Gemini web call into a `GeminiWebError`."""
    if isinstance(exc, GeminiWebError):
        return exc
    outcome = _outcome(exc)
    if outcome is not None:
        message = outcome.message + (f" (model {model})" if model else "")
        return GeminiWebError(outcome.status, message, outcome.retry_after, outcome.reason)
    return GeminiWebError(502, "Unexpected failure talking to Gemini web", reason="unexpected")
