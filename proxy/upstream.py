"""Calls into the `litellm.Router`, through the concurrency pool, pacing and retry policy.

Every upstream call holds a pool slot (a stream holds it until it ends), waits its paced turn,
and is retried on 429/5xx with backoff. litellm's exceptions leave as our `ProxyError`s.
Streams are opened here and their first chunk awaited (inside the retry), so a failure that
happens early still gets a real HTTP status.
"""

import logging
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any, TypeVar

import litellm
from litellm.types.utils import ImageResponse, ModelResponse, ModelResponseStream

from .clock import Clock
from .errors import ProxyError, RateLimited, UpstreamFailed, error_for_status
from .limits import Attempt, ConcurrencyPool, LimitError, LimitsSettings, Pacer, call_with_retry
from .metrics import Metrics

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
    if isinstance(exc, LimitError):
        return RateLimited(exc.detail, retry_after=exc.retry_after)
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
    try:
        seconds = float(retry_after) if retry_after is not None else None
    except ValueError:
        seconds = None
    return error_for_status(status, message, seconds)


def _status_of(exc: Exception) -> int | None:
    return exc.status_code if isinstance(exc, ProxyError) else None


def _retry_after_of(exc: Exception) -> float | None:
    return exc.retry_after if isinstance(exc, ProxyError) else None


class Upstream:
    """The Router behind one small interface, with the account-safety limits applied."""

    def __init__(
        self,
        router: litellm.Router,
        limits: LimitsSettings,
        clock: Clock,
        metrics: Metrics,
        rng: random.Random | None = None,
    ) -> None:
        self.router = router
        self.limits = limits
        self.clock = clock
        self.metrics = metrics
        self.pool = ConcurrencyPool(limits.pool, clock)
        self.pacer = Pacer(limits.pacing, clock, rng or random.Random())

    def has_model(self, model: str) -> bool:
        return model in self.router.model_names

    async def _paced(self, model: str, call: Callable[[], Awaitable[T]]) -> T:
        """One upstream attempt: wait the paced turn, call, tell the pacer how it went."""
        await self.pacer.wait_turn()
        started = time.perf_counter()
        try:
            result = await call()
        except Exception as exc:
            error = translate(exc)
            self.pacer.record(error.status_code)
            self.metrics.upstream_errors.labels(model, str(error.status_code)).inc()
            self.metrics.upstream_seconds.labels(model, "error").observe(
                time.perf_counter() - started
            )
            raise error from None
        self.pacer.record(200)
        self.metrics.upstream_seconds.labels(model, "ok").observe(time.perf_counter() - started)
        return result

    async def _retrying(self, model: str, call: Callable[[], Awaitable[T]]) -> T:
        attempts: list[Attempt] = []
        try:
            return await call_with_retry(
                lambda: self._paced(model, call),
                policy=self.limits.retry,
                clock=self.clock,
                status_of=_status_of,
                retry_after_of=_retry_after_of,
                attempts=attempts,
            )
        finally:
            for attempt in attempts:
                if attempt.delay is not None:
                    self.metrics.retries.labels(str(attempt.status)).inc()

    async def _slot(self, stack: AsyncExitStack) -> None:
        try:
            await stack.enter_async_context(self.pool.slot())
        except LimitError as exc:
            self.metrics.limiter_rejections.labels(exc.reason).inc()
            raise translate(exc) from None
        finally:
            self._report_pool()

    def _report_pool(self) -> None:
        stats = self.pool.stats
        self.metrics.pool_in_use.labels("upstream").set(stats.in_use)
        self.metrics.pool_queued.labels("upstream").set(stats.queued)

    async def _call(self, model: str, call: Callable[[], Awaitable[T]]) -> T:
        async with AsyncExitStack() as stack:
            stack.callback(self._report_pool)  # runs last, once the slot is free again
            await self._slot(stack)
            return await self._retrying(model, call)

    async def chat(self, request: dict[str, Any]) -> ModelResponse:
        return await self._call(
            request["model"], lambda: self.router.acompletion(**request, stream=False)
        )

    async def image_generation(self, request: dict[str, Any]) -> ImageResponse:
        return await self._call(request["model"], lambda: self.router.aimage_generation(**request))

    async def image_edit(self, request: dict[str, Any]) -> ImageResponse:
        return await self._call(request["model"], lambda: self.router.aimage_edit(**request))

    async def chat_stream(self, request: dict[str, Any]) -> AsyncIterator[ModelResponseStream]:
        """A stream whose first chunk has already arrived; it holds a pool slot until it ends."""
        model = request["model"]
        started = time.perf_counter()

        async def first_chunk() -> tuple[
            ModelResponseStream | None, AsyncIterator[ModelResponseStream]
        ]:
            stream = await self.router.acompletion(**request, stream=True)
            chunks = aiter(stream)
            return await anext(chunks, None), chunks

        stack = AsyncExitStack()
        stack.callback(self._report_pool)  # runs last, once the slot is free again
        try:
            await self._slot(stack)
            first, chunks = await self._retrying(model, first_chunk)
        except BaseException:
            await stack.aclose()
            raise
        self.metrics.first_token_seconds.labels(model).observe(time.perf_counter() - started)
        return self._continue(first, chunks, stack)

    @staticmethod
    async def _continue(
        first: ModelResponseStream | None,
        chunks: AsyncIterator[ModelResponseStream],
        stack: AsyncExitStack,
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
            # Ends the upstream stream too when the client went away, and frees the slot.
            close = getattr(chunks, "aclose", None)
            if close is not None:
                await close()
            await stack.aclose()
