"""Client URLs in chat messages become `data:` URLs before routing: fetched once per request
(never again by each retry), by the provider's safe fetcher, with refusals as 400s."""

from collections.abc import Awaitable, Callable
from typing import Any

from providers.gemini_web import GeminiWebError, GeminiWebSettings
from providers.gemini_web.fetch import SafeFetcher, inline_urls
from proxy.core.errors import BadRequest

Prepare = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def url_inliner(options: GeminiWebSettings) -> Prepare:
    fetcher = SafeFetcher(options.url_fetch, options.max_attachment_bytes)

    async def inline(request: dict[str, Any]) -> dict[str, Any]:
        messages = request.get("messages")
        if not isinstance(messages, list):
            return request
        try:
            return {**request, "messages": await inline_urls(messages, fetcher)}
        except GeminiWebError as exc:
            raise BadRequest(exc.message) from None

    return inline
