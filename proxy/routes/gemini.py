"""Gemini-native text routes: `generateContent` and `streamGenerateContent`.

Served under `/gemini/v1beta` (the contract), `/v1beta` and `/v1` (google-genai with a custom
base URL calls `/v1`, or `/v1beta` when `api_version="v1beta"`), so the SDK needs only a base
URL. The model sits in the path before the colon: `/v1beta/models/{model}:generateContent`.
"""

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from ..adapters.gemini_native import GenerateContentRequest, chat_request
from ..adapters.gemini_response import JsonArrayFrames, NativeStream, ReplyShape, SseFrames
from ..adapters.openai_chat import router_request
from ..auth import require_api_key
from ..deps import ServicesDep
from ..errors import ProxyError
from ..services import Services
from .openai import check_prompt_size

PREFIXES = ("/gemini/v1beta", "/v1beta", "/v1")

router = APIRouter(tags=["gemini"], dependencies=[Depends(require_api_key)])


def _prepare(
    services: Services, http: Request, model: str, body: GenerateContentRequest, stream: bool
) -> tuple[dict[str, Any], ReplyShape]:
    """Validate everything before routing: a bad request must never reach a fallback."""
    public = services.model_for(model)
    chat = chat_request(body, public, stream)
    check_prompt_size(services, chat.prompt_chars())
    services.admit(http, public)
    shape = ReplyShape(public, body.include_thoughts, body.safety_categories)
    return router_request(chat, public), shape


async def generate_content(
    model: str, body: GenerateContentRequest, http: Request, services: ServicesDep
) -> dict[str, Any]:
    request, shape = _prepare(services, http, model, body, stream=False)
    return shape.response(await services.upstream.chat(request))


async def stream_generate_content(
    model: str,
    body: GenerateContentRequest,
    http: Request,
    services: ServicesDep,
    alt: str | None = None,
) -> StreamingResponse:
    request, shape = _prepare(services, http, model, body, stream=True)
    # The first chunk is awaited here, so an early failure still gets its HTTP status.
    stream = await services.upstream.chat_stream(request)
    frames = SseFrames() if alt == "sse" else JsonArrayFrames()
    encoder = NativeStream(shape)

    async def events() -> AsyncIterator[str]:
        try:
            async for chunk in stream:
                event = encoder.event(chunk)
                if event is not None:
                    yield frames.event(event)
            yield frames.event(encoder.last())
        except ProxyError as exc:
            # Content has been sent already: the status is 200, so report in-band and end.
            yield frames.event(exc.google_body())
        end = frames.end()
        if end:
            yield end

    return StreamingResponse(events(), media_type=frames.media_type)


for prefix in PREFIXES:
    router.add_api_route(
        f"{prefix}/models/{{model}}:generateContent", generate_content, methods=["POST"]
    )
    router.add_api_route(
        f"{prefix}/models/{{model}}:streamGenerateContent",
        stream_generate_content,
        methods=["POST"],
        response_model=None,
    )
