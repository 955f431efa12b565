"""Gemini-native routes: `generateContent`, `streamGenerateContent` and `editImage`.

Image models (mode `image_generation`) answer with `inlineData` image parts, drawn and
post-processed like every image of the proxy; `editImage` draws with any model and needs a
reference image.

Served under `/gemini/v1beta` (the contract), `/v1beta` and `/v1` (google-genai with a custom
base URL calls `/v1`, or `/v1beta` when `api_version="v1beta"`), so the SDK needs only a base
URL. The model sits in the path before the colon: `/v1beta/models/{model}:generateContent`.
"""

import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from proxy.chat.openai import ChatRequest, router_request
from proxy.core.auth import require_api_key
from proxy.core.errors import BadRequest, ProxyError
from proxy.deps import ServicesDep
from proxy.gemini.request import GenerateContentRequest, chat_request, image_prompt
from proxy.gemini.response import (
    JsonArrayFrames,
    NativeStream,
    ReplyShape,
    SseFrames,
    content_parts,
)
from proxy.images.service import ImageRequest
from proxy.services import Services

PREFIXES = ("/gemini/v1beta", "/v1beta", "/v1")

router = APIRouter(tags=["gemini"], dependencies=[Depends(require_api_key)])


def _prepare(
    services: Services, http: Request, model: str, body: GenerateContentRequest, stream: bool
) -> tuple[ChatRequest, ReplyShape]:
    """Validate everything before routing: a bad request must never reach a fallback."""
    public = services.model_for(model)
    chat = chat_request(body, public, stream)
    services.check_prompt_size(chat.prompt_chars())
    services.admit(http, public)
    return chat, ReplyShape(public, body.include_thoughts, body.safety_categories)


async def _draw(
    services: Services, http: Request, chat: ChatRequest, shape: ReplyShape, editing: bool
) -> dict[str, Any]:
    prompt, references = image_prompt(chat)
    if not prompt.strip():
        raise BadRequest("the last user content needs a text part saying what to draw")
    if editing and not references:
        raise BadRequest("editImage needs a reference image as an inlineData part")
    request = ImageRequest(
        model=shape.model, prompt=prompt, references=services.check_references(references),
        base_url=services.public_base_url(http),
    )  # fmt: skip
    images = await services.draw(request)
    parts = content_parts(
        text=images[0].revised_prompt, images=[(i.mime_type, i.data) for i in images]
    )
    return shape.body(parts, f"img-{uuid.uuid4().hex[:24]}", "stop")


async def generate_content(
    model: str, body: GenerateContentRequest, http: Request, services: ServicesDep
) -> dict[str, Any]:
    chat, shape = _prepare(services, http, model, body, stream=False)
    if services.is_image_model(shape.model):
        return await _draw(services, http, chat, shape, editing=False)
    return shape.response(await services.upstream.chat(router_request(chat, shape.model)))


async def edit_image(
    model: str, body: GenerateContentRequest, http: Request, services: ServicesDep
) -> dict[str, Any]:
    chat, shape = _prepare(services, http, model, body, stream=False)
    return await _draw(services, http, chat, shape, editing=True)


async def stream_generate_content(
    model: str,
    body: GenerateContentRequest,
    http: Request,
    services: ServicesDep,
    alt: str | None = None,
) -> StreamingResponse:
    chat, shape = _prepare(services, http, model, body, stream=True)
    frames = SseFrames() if alt == "sse" else JsonArrayFrames()
    if services.is_image_model(shape.model):
        # An image arrives whole: one event, once it is drawn.
        drawn = await _draw(services, http, chat, shape, editing=False)
        return StreamingResponse(
            iter([frames.event(drawn), frames.end()]), media_type=frames.media_type
        )
    # The first chunk is awaited here, so an early failure still gets its HTTP status.
    stream = await services.upstream.chat_stream(router_request(chat, shape.model))
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
    router.add_api_route(f"{prefix}/models/{{model}}:editImage", edit_image, methods=["POST"])
