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
    retry_after = headers.get("retry-after") if hasattr(headers, "get") else None
    return error_for_status(status, message, parse_retry_after(retry_after))


def _status_of(exc: Exception) -> int | None:
    return exc.status_code if isinstance(exc, ProxyError) else None


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
    ) -> None:
        self.router = router
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

    async def _retrying(self, model: str, call: Callable[[], Awaitable[T]]) -> T:
        attempts: list[Attempt] = []
        try:
            return await call_with_retry(
                lambda: self._attempt(model, call),
                policy=self.retry,
                clock=self.clock,
                status_of=_status_of,
                retry_after_of=_retry_after_of,
                attempts=attempts,
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
            request["model"], lambda: self.router.acompletion(**request, stream=False)
        )

    async def image_generation(self, request: dict[str, Any]) -> ImageResponse:
        return await self._retrying(
            request["model"], lambda: self.router.aimage_generation(**request)
        )

    async def image_edit(self, request: dict[str, Any]) -> ImageResponse:
        return await self._retrying(request["model"], lambda: self.router.aimage_edit(**request))

    async def chat_stream(self, request: dict[str, Any]) -> AsyncIterator[ModelResponseStream]:
        """A stream whose first chunk has already arrived (errors before it raise here)."""
        request = await self._prepared(request)
        model = request["model"]
        started = time.perf_counter()

        async def first_chunk() -> tuple[
            ModelResponseStream | None, AsyncIterator[ModelResponseStream]
        ]:
            stream = await self.router.acompletion(**request, stream=True)
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
