"""Gemini-native routes: `generateContent`, `streamGenerateContent`, `editImage`,
`countTokens`, and the model list and lookup.

Image models (mode `image_generation`) answer with `inlineData` image parts, drawn and
post-processed like every image of the proxy; `editImage` draws with any model and needs a
reference image.

Served under `/gemini/v1beta` (the contract), `/v1beta` and `/v1` (google-genai with a custom
base URL calls `/v1`, or `/v1beta` when `api_version="v1beta"`), so the SDK needs only a base
URL. The model sits in the path before the colon: `/v1beta/models/{model}:generateContent`.
Under `/v1` the model list and lookup are shared with OpenAI's (see `proxy/status/routes.py`).
"""

import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, StreamingResponse
from litellm.types.utils import ModelResponseStream

from proxy.core.admission import Caller
from proxy.core.auth import require_api_key
from proxy.core.errors import BadRequest, ProxyError
from proxy.core.paths import MODEL
from proxy.deps import CallerDep, ChatDep, ImagesDep, StatusDep
from proxy.gemini.models import (
    CountTokensRequest,
    CountTokensResponse,
    GoogleModel,
    GoogleModelList,
)
from proxy.gemini.response import (
    JsonArrayFrames,
    NativeStream,
    ReplyShape,
    SseFrames,
    content_parts,
)
from proxy.gemini.schema import GenerateContentRequest, GenerateContentResponse
from proxy.gemini.translate import chat_call, image_prompt
from proxy.images.service import ImageOrder, ImageService

PREFIXES = ("/gemini/v1beta", "/v1beta", "/v1")

router = APIRouter(tags=["gemini"], dependencies=[Depends(require_api_key)])


def _shape(model: str, body: GenerateContentRequest) -> ReplyShape:
    return ReplyShape(model, body.include_thoughts, body.safety_categories)


async def _draw(
    images: ImageService, caller: Caller, model: str, body: GenerateContentRequest, editing: bool
) -> dict[str, Any]:
    prompt, references = image_prompt(body)
    if not prompt.strip():
        raise BadRequest("the last user content needs a text part saying what to draw")
    if editing and not references:
        raise BadRequest("editImage needs a reference image as an inlineData part")
    order = ImageOrder(prompt, model, references=references, editing=editing)
    drawn = await images.create(caller, order)
    parts = content_parts(
        text=drawn[0].revised_prompt, images=[(i.mime_type, i.data) for i in drawn]
    )
    return _shape(caller.model, body).body(parts, f"img-{uuid.uuid4().hex[:24]}", "stop")


async def generate_content(
    model: str,
    body: GenerateContentRequest,
    caller: CallerDep,
    chat: ChatDep,
    images: ImagesDep,
) -> JSONResponse:
    if images.models.draws_images(model):
        return JSONResponse(await _draw(images, caller, model, body, editing=False))
    response = await chat.complete(caller, chat_call(body, model))
    return JSONResponse(_shape(caller.model, body).response(response))


async def edit_image(
    model: str, body: GenerateContentRequest, caller: CallerDep, images: ImagesDep
) -> JSONResponse:
    return JSONResponse(await _draw(images, caller, model, body, editing=True))


async def _events(
    stream: AsyncIterator[ModelResponseStream],
    encoder: NativeStream,
    frames: SseFrames | JsonArrayFrames,
) -> AsyncIterator[str]:
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


async def stream_generate_content(
    model: str,
    body: GenerateContentRequest,
    caller: CallerDep,
    chat: ChatDep,
    images: ImagesDep,
    alt: str | None = None,
) -> StreamingResponse:
    frames = SseFrames() if alt == "sse" else JsonArrayFrames()
    if images.models.draws_images(model):
        # An image arrives whole: one event, once it is drawn.
        drawn = await _draw(images, caller, model, body, editing=False)
        return StreamingResponse(
            iter([frames.event(drawn), frames.end()]), media_type=frames.media_type
        )
    stream = await chat.stream(caller, chat_call(body, model))
    encoder = NativeStream(_shape(caller.model, body))
    return StreamingResponse(_events(stream, encoder, frames), media_type=frames.media_type)


async def count_tokens(
    model: str, body: CountTokensRequest, caller: CallerDep, chat: ChatDep
) -> CountTokensResponse:
    """The estimate the usage block of an answer would start from (Gemini web counts none)."""
    call = chat_call(body.as_generate_request(), model)
    return CountTokensResponse(total_tokens=await chat.count_tokens(caller, call))


async def list_models(status: StatusDep) -> GoogleModelList:
    return status.google_models()


async def get_model(model: str, status: StatusDep) -> GoogleModel:
    return status.google_model(model)


_ANSWER: dict[int | str, dict[str, Any]] = {200: {"model": GenerateContentResponse}}
for prefix in PREFIXES:
    router.add_api_route(f"{prefix}/models/{{model}}:countTokens", count_tokens, methods=["POST"])
    if prefix != "/v1":
        router.add_api_route(f"{prefix}/models", list_models, methods=["GET"])
        router.add_api_route(f"{prefix}/models/{MODEL}", get_model, methods=["GET"])
    router.add_api_route(
        f"{prefix}/models/{{model}}:generateContent",
        generate_content, methods=["POST"], response_model=None, responses=_ANSWER,
    )  # fmt: skip
    router.add_api_route(
        f"{prefix}/models/{{model}}:streamGenerateContent",
        stream_generate_content, methods=["POST"], response_model=None, responses=_ANSWER,
    )  # fmt: skip
    router.add_api_route(
        f"{prefix}/models/{{model}}:editImage",
        edit_image, methods=["POST"], response_model=None, responses=_ANSWER,
    )  # fmt: skip
