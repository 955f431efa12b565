"""Calls into the `Router`, retried on 429/5xx with backoff.

(The per-account pool and pacing sit behind the Router, in the provider's gate: see gate.py.)
litellm's exceptions leave as our `ProxyError`s. Streams are opened here and their first chunk
awaited (inside the retry), so a failure that happens early still gets a real HTTP status.
"""

import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import litellm
from litellm.router import Router
from litellm.types.utils import ImageResponse, ModelResponse, ModelResponseStream

from proxy.core.client_urls import Prepare
from proxy.core.clock import Clock
from proxy.core.errors import ProxyError, RateLimited, UpstreamFailed, error_for_status
from proxy.core.limits import Attempt, RetrySettings, call_with_retry, parse_retry_after
from proxy.core.metrics import Metrics

logger = logging.getLogger(__name__)
T = TypeVar("T")

# "litellm.RateLimitError: Gemini-webException - <message>\n\nLiteLLM: model group ..."
_LITELLM_MESSAGE = re.compile(
    r"^litellm\.\w+: (?:[\w.-]+Exception - )?(?P<message>.*?)(?:\n\n|$)", re.S
)


def translate(exc: BaseException) -> ProxyError:
    """Our error for any failure raised by the Router or a provider; never leaks a traceback."""
    if isinstance(exc, ProxyError):
        return exc
    if isinstance(exc, litellm.RouterRateLimitError):
        return RateLimited("All deployments of this model are cooling down", retry_after=5)
    status = getattr(exc, "status_code", None)
    if not isinstance(status, int) or status == 500:
        logger.error("provider failure: %s", type(exc).__name__)
        return UpstreamFailed("The upstream provider failed unexpectedly")
    match = _LITELLM_MESSAGE.match(str(getattr(exc, "message", exc)))
    message = match["message"].strip() if match else "upstream request failed"
    headers = getattr(exc, "litellm_response_headers", None) or {}
    if not hasattr(headers, "get"):
        headers = {}
    error = error_for_status(status, message, parse_retry_after(headers.get("retry-after")))
    error.retryable = headers.get("x-should-retry") != "false"
    return error


def _status_of(exc: Exception) -> int | None:
    """The status the retry policy decides on; None (never retried) when the upstream said
    another try would fail the same way."""
    return exc.status_code if isinstance(exc, ProxyError) and exc.retryable else None


def _retry_after_of(exc: Exception) -> float | None:
    return exc.retry_after if isinstance(exc, ProxyError) else None


class Upstream:
    """The Router behind one small interface, with the retry policy applied."""

    def __init__(
        self,
        router: Router,
        retry: RetrySettings,
        clock: Clock,
        metrics: Metrics,
        prepare: Prepare | None = None,
        request_timeout: float | None = None,
    ) -> None:
        self.router = router
        # Bounds a whole request, retries included. Each attempt is told the seconds left as
        # `time_left`, which litellm hands to the provider in `optional_params` (its own
        # `timeout` is overridden by stream timeouts).
        self.request_timeout = request_timeout
        # Runs once per chat request, before any attempt (e.g. fetching client URLs).
        self.prepare = prepare
        self.retry = retry
        self.clock = clock
        self.metrics = metrics

    def has_model(self, model: str) -> bool:
        return model in self.router.model_names

    async def _attempt(self, model: str, call: Callable[[], Awaitable[T]]) -> T:
        """One upstream attempt, timed and counted."""
        started = time.perf_counter()
        try:
            result = await call()
        except Exception as exc:
            error = translate(exc)
            self.metrics.upstream_errors.labels(model, str(error.status_code)).inc()
            self.metrics.upstream_seconds.labels(model, "error").observe(
                time.perf_counter() - started
            )
            raise error from None
        self.metrics.upstream_seconds.labels(model, "ok").observe(time.perf_counter() - started)
        return result

    async def _retrying(self, model: str, call: Callable[[float | None], Awaitable[T]]) -> T:
        """`call(time_left)` retried; `time_left` is what the request has left (None: no bound)."""
        attempts: list[Attempt] = []
        deadline = None if self.request_timeout is None else self.clock.now() + self.request_timeout

        def left() -> float | None:
            return None if deadline is None else max(0.0, deadline - self.clock.now())

        try:
            return await call_with_retry(
                lambda: self._attempt(model, lambda: call(left())),
                policy=self.retry,
                clock=self.clock,
                status_of=_status_of,
                retry_after_of=_retry_after_of,
                attempts=attempts,
                deadline=deadline,
            )
        finally:
            for attempt in attempts:
                if attempt.delay is not None:
                    self.metrics.retries.labels(str(attempt.status)).inc()

    async def _prepared(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self.prepare(request) if self.prepare else request

    async def chat(self, request: dict[str, Any]) -> ModelResponse:
        request = await self._prepared(request)
        return await self._retrying(
            request["model"],
            lambda time_left: self.router.acompletion(**request, stream=False, time_left=time_left),
        )

    async def image_generation(self, request: dict[str, Any]) -> ImageResponse:
        return await self._retrying(
            request["model"],
            lambda time_left: self.router.aimage_generation(**request, time_left=time_left),
        )

    async def image_edit(self, request: dict[str, Any]) -> ImageResponse:
        return await self._retrying(
            request["model"],
            lambda time_left: self.router.aimage_edit(**request, time_left=time_left),
        )

    async def chat_stream(self, request: dict[str, Any]) -> AsyncIterator[ModelResponseStream]:
        """A stream whose first chunk has already arrived (errors before it raise here)."""
        request = await self._prepared(request)
        model = request["model"]
        started = time.perf_counter()

        async def first_chunk(
            time_left: float | None,
        ) -> tuple[ModelResponseStream | None, AsyncIterator[ModelResponseStream]]:
            stream = await self.router.acompletion(**request, stream=True, time_left=time_left)
            chunks = aiter(stream)
            return await anext(chunks, None), chunks

        first, chunks = await self._retrying(model, first_chunk)
        self.metrics.first_token_seconds.labels(model).observe(time.perf_counter() - started)
        return self._continue(first, chunks)

    @staticmethod
    async def _continue(
        first: ModelResponseStream | None, chunks: AsyncIterator[ModelResponseStream]
    ) -> AsyncIterator[ModelResponseStream]:
        try:
            if first is None:
                return
            yield first
            async for chunk in chunks:
                yield chunk
        except Exception as exc:
            raise translate(exc) from None
        finally:
            # Ends the upstream stream too when the client went away, which frees the
            # account's slot in the provider's gate.
            close = getattr(chunks, "aclose", None)
            if close is not None:
                await close()
