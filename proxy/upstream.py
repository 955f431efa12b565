"""Calls into the `litellm.Router`, with litellm's exceptions translated into ours.

Streams are opened here and their first chunk awaited before a route starts answering, so a
failure that happens early still gets a real HTTP status.
"""

import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import litellm
from litellm.types.utils import ModelResponse, ModelResponseStream

from .errors import ProxyError, RateLimited, UpstreamFailed, error_for_status

logger = logging.getLogger(__name__)

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
    try:
        seconds = float(retry_after) if retry_after is not None else None
    except ValueError:
        seconds = None
    return error_for_status(status, message, seconds)


class Upstream:
    """The Router behind one small interface."""

    def __init__(self, router: litellm.Router) -> None:
        self.router = router

    def has_model(self, model: str) -> bool:
        return model in self.router.model_names

    async def chat(self, request: dict[str, Any]) -> ModelResponse:
        try:
            return await self.router.acompletion(**request, stream=False)
        except Exception as exc:
            raise translate(exc) from None

    async def chat_stream(self, request: dict[str, Any]) -> AsyncIterator[ModelResponseStream]:
        """A stream whose first chunk has already arrived (errors before it raise here)."""
        try:
            stream = await self.router.acompletion(**request, stream=True)
            chunks = aiter(stream)
            first = await anext(chunks, None)
        except Exception as exc:
            raise translate(exc) from None
        return self._continue(first, chunks)

    @staticmethod
    async def _continue(
        first: ModelResponseStream | None, chunks: AsyncIterator[ModelResponseStream]
    ) -> AsyncIterator[ModelResponseStream]:
        if first is None:
            return
        yield first
        try:
            async for chunk in chunks:
                yield chunk
        except Exception as exc:
            raise translate(exc) from None
