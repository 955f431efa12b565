"""Image routes: the contract's own (`/v1/generate-images`, `/v1/images/edit`) and OpenAI's
(`/v1/images/generations`, `/v1/images/edits`, JSON or multipart). Each turns its body into an
`ImageOrder` and shapes the results; the image service does the rest."""

import time
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from proxy.core.auth import require_api_key
from proxy.core.errors import BadRequest
from proxy.core.input_guard import check_fields
from proxy.deps import CallerDep, ImagesDep
from proxy.images.schema import (
    EditImage,
    GenerateImages,
    ImagesAnswer,
    OpenAIImage,
    OpenAIImages,
    OpenAIImagesAnswer,
)
from proxy.images.service import ImageOrder, ImageResult, decode_base64_image

router = APIRouter(tags=["images"], dependencies=[Depends(require_api_key)])


def watermark_header(response: Response, results: list[ImageResult]) -> None:
    layouts = [str(r.watermark.get("layout") or "none") for r in results]
    response.headers["X-Watermark-Removed"] = ",".join(layouts)


def _contract_answer(
    response: Response, model: str, results: list[ImageResult], want_url: bool
) -> ImagesAnswer:
    watermark_header(response, results)
    return ImagesAnswer(
        images=[(r.url or "") if want_url else r.data_url() for r in results],
        model=model,
        watermark=[r.watermark for r in results],
    )


def _openai_answer(
    response: Response, results: list[ImageResult], want_url: bool
) -> OpenAIImagesAnswer:
    watermark_header(response, results)
    data = [
        OpenAIImage(
            url=r.url if want_url else None,
            b64_json=None if want_url else r.b64(),
            revised_prompt=r.revised_prompt or None,
        )
        for r in results
    ]
    return OpenAIImagesAnswer(created=int(time.time()), data=data)


@router.post("/v1/generate-images", response_model_exclude_none=True)
async def generate_images(
    body: GenerateImages, response: Response, caller: CallerDep, images: ImagesDep
) -> ImagesAnswer:
    want_url = body.response_type == "url"
    references = [decode_base64_image(body.image, "image")] if body.image else []
    order = ImageOrder(body.prompt, body.model, body.count, references, want_url)
    results = await images.create(caller, order)
    return _contract_answer(response, caller.model, results, want_url)


@router.post("/v1/images/generations", response_model_exclude_none=True)
async def openai_generations(
    body: OpenAIImages, response: Response, caller: CallerDep, images: ImagesDep
) -> OpenAIImagesAnswer:
    want_url = body.response_format == "url"
    order = ImageOrder(body.prompt, body.model, body.n, want_url=want_url, size=body.size)
    return _openai_answer(response, await images.create(caller, order), want_url)


@router.post("/v1/images/edit", response_model_exclude_none=True)
async def edit_image(
    body: EditImage, response: Response, caller: CallerDep, images: ImagesDep
) -> ImagesAnswer:
    want_url = body.response_type == "url" or body.response_format == "url"
    references = [decode_base64_image(i, "image") for i in body.images]
    count = body.count or body.n or 1
    order = ImageOrder(body.prompt, body.model, count, references, want_url, editing=True)
    results = await images.create(caller, order)
    return _contract_answer(response, caller.model, results, want_url)


@router.post("/v1/images/edits", response_model_exclude_none=True)
async def openai_edits(
    http: Request, response: Response, caller: CallerDep, images: ImagesDep
) -> OpenAIImagesAnswer:
    """OpenAI's multipart form (`image` files, `prompt`, `model`, `n`, `response_format`), or
    the same fields as JSON with base64 images."""
    if http.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await http.form()
        files = [f for key in ("image", "image[]") for f in form.getlist(key) if hasattr(f, "read")]
        references = [await f.read() for f in files]
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        check_fields(fields)
        body = EditImage.model_validate({**fields, "image": []})
    else:
        body = EditImage.model_validate(await _json(http))
        references = [decode_base64_image(i, "image") for i in body.images]
    # OpenAI's default for edits is the same as for generations: a URL.
    want_url = (body.response_format or "url") == "url" or body.response_type == "url"
    count = body.n or body.count or 1
    order = ImageOrder(body.prompt, body.model, count, references, want_url, editing=True)
    return _openai_answer(response, await images.create(caller, order), want_url)


async def _json(http: Request) -> Any:
    try:
        return await http.json()
    except ValueError:
        raise BadRequest("Request body is not valid JSON") from None
