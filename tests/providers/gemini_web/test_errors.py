import gemini_webapi
import pytest
from curl_cffi.requests.exceptions import HTTPError

from providers.gemini_web.errors import map_exception


@pytest.mark.parametrize(
    ("exc", "status", "retry_after"),
    [
        (gemini_webapi.UsageLimitExceededError("limit"), 429, "300"),
        (gemini_webapi.TemporarilyBlockedError("blocked"), 429, "600"),
        (gemini_webapi.ModelInvalidError("bad header"), 400, None),
        (gemini_webapi.AuthError("cookies"), 503, None),
        (gemini_webapi.TimeoutError("slow"), 504, None),
        (TimeoutError(), 504, None),
        (gemini_webapi.APIError("Failed to generate contents. Status: 500"), 502, None),
        (gemini_webapi.APIError("Failed to generate contents. Status: 401"), 503, None),
        (gemini_webapi.APIError("Batch execution failed with status code 429"), 429, None),
        (gemini_webapi.GeminiError("lost"), 502, None),
        (HTTPError("HTTP Error 413"), 502, None),
        (AssertionError(), 502, None),  # a library assertion is no client error
        (RuntimeError("boom"), 502, None),
    ],
)
def test_every_library_failure_maps_to_a_status(
    exc: Exception, status: int, retry_after: str | None
) -> None:
    error = map_exception(exc, "gemini-2.5-flash")
    assert error.status_code == status
    assert error.headers.get("retry-after") == retry_after


def test_messages_never_echo_the_library_text() -> None:
    secret = "__Secure-1PSID=g.a000secretvalue"
    error = map_exception(gemini_webapi.APIError(f"failed with cookie {secret}"))
    assert secret not in error.message
