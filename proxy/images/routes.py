"""Image routes: the contract's own (`/v1/generate-images`, `/v1/images/edit`) and OpenAI's
(`/v1/images/generations`, `/v1/images/edits`, JSON or multipart)."""

import time
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from proxy.core.auth import require_api_key
from proxy.core.errors import BadRequest
from proxy.deps import ServicesDep
from proxy.images.service import ImageRequest, ImageResult, decode_base64_image
from proxy.services import Services

router = APIRouter(tags=["images"], dependencies=[Depends(require_api_key)])

Prompt = Field(min_length=1, max_length=100_000)


class GenerateImages(BaseModel):
    prompt: str = Prompt
    count: int = Field(default=1, ge=1)
    response_type: Literal["base64", "url"] = "base64"
    image: str | None = None
    model: str | None = None


class OpenAIImages(BaseModel):
    prompt: str = Prompt
    model: str | None = None
    n: int = Field(default=1, ge=1)
    size: str | None = Field(default=None, pattern=r"^(auto|\d{2,5}x\d{2,5})$")
    response_format: Literal["url", "b64_json"] = "url"
    quality: str | None = None
    style: str | None = None
    user: str | None = None


class EditImage(BaseModel):
    prompt: str = Prompt
    image: str | list[str]
    model: str | None = None
    count: int | None = Field(default=None, ge=1)
    n: int | None = Field(default=None, ge=1)
    response_type: Literal["base64", "url"] | None = None
    response_format: Literal["url", "b64_json"] | None = None


async def _create(
    services: Services,
    http: Request,
    *,
    prompt: str,
    model: str | None,
    count: int,
    want_url: bool,
    references: list[bytes] = (),  # type: ignore[assignment]
    size: str | None = None,
) -> tuple[str, list[ImageResult]]:
    if not prompt.strip():
        raise BadRequest("prompt must not be empty")
    limit = services.settings.images.max_count
    if count > limit:
        raise BadRequest(f"at most {limit} images per request")
    chosen = services.image_model_for(model, prompt, size)
    services.admit(http, chosen)
    request = ImageRequest(
        model=chosen, prompt=prompt, count=count, references=references,
        want_url=want_url, base_url=services.public_base_url(http),
    )  # fmt: skip
    return chosen, await services.draw(request)


def _references(services: Services, images: list[bytes]) -> list[bytes]:
    if not images:
        raise BadRequest("image is required")
    return services.check_references(images)


def _watermark_header(results: list[ImageResult]) -> dict[str, str]:
    layouts = [str(r.watermark.get("layout") or "none") for r in results]
    return {"X-Watermark-Removed": ",".join(layouts)}


def _contract_body(model: str, results: list[ImageResult], want_url: bool) -> JSONResponse:
    body = {
        "images": [r.url if want_url else r.data_url() for r in results],
        "model": model,
        "watermark": [r.watermark for r in results],
    }
    return JSONResponse(body, headers=_watermark_header(results))


def _openai_body(results: list[ImageResult], want_url: bool) -> JSONResponse:
    data: list[dict[str, Any]] = []
    for result in results:
        item: dict[str, Any] = {"url": result.url} if want_url else {"b64_json": result.b64()}
        if result.revised_prompt:
            item["revised_prompt"] = result.revised_prompt
        data.append(item)
    return JSONResponse(
        {"created": int(time.time()), "data": data}, headers=_watermark_header(results)
    )


@router.post("/v1/generate-images")
async def generate_images(
    body: GenerateImages, http: Request, services: ServicesDep
) -> JSONResponse:
    want_url = body.response_type == "url"
    references = []
    if body.image:
        references = _references(services, [decode_base64_image(body.image, "image")])
    model, results = await _create(
        services, http, prompt=body.prompt, model=body.model, count=body.count,
        want_url=want_url, references=references,
    )  # fmt: skip
    return _contract_body(model, results, want_url)


@router.post("/v1/images/generations")
async def openai_generations(
    body: OpenAIImages, http: Request, services: ServicesDep
) -> JSONResponse:
    want_url = body.response_format == "url"
    _, results = await _create(
        services, http, prompt=body.prompt, model=body.model, count=body.n,
        want_url=want_url, size=body.size,
    )  # fmt: skip
    return _openai_body(results, want_url)


@router.post("/v1/images/edit")
async def edit_image(body: EditImage, http: Request, services: ServicesDep) -> JSONResponse:
    want_url = body.response_type == "url" or body.response_format == "url"
    images = body.image if isinstance(body.image, list) else [body.image]
    references = _references(services, [decode_base64_image(i, "image") for i in images])
    model, results = await _create(
        services, http, prompt=body.prompt, model=body.model, count=body.count or body.n or 1,
        want_url=want_url, references=references,
    )  # fmt: skip
    return _contract_body(model, results, want_url)


@router.post("/v1/images/edits")
async def openai_edits(http: Request, services: ServicesDep) -> JSONResponse:
    """OpenAI's multipart form (`image` files, `prompt`, `model`, `n`, `response_format`), or
    the same fields as JSON with base64 images."""
    if http.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await http.form()
        files = [f for key in ("image", "image[]") for f in form.getlist(key) if hasattr(f, "read")]
        images = [await f.read() for f in files]  # type: ignore[union-attr]
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        body = EditImage.model_validate({**fields, "image": []})
    else:
        body = EditImage.model_validate(await _json(http))
        raw = body.image if isinstance(body.image, list) else [body.image]
        images = [decode_base64_image(i, "image") for i in raw]
    want_url = (body.response_format or "b64_json") == "url" or body.response_type == "url"
    _, results = await _create(
        services, http, prompt=body.prompt, model=body.model, count=body.n or body.count or 1,
        want_url=want_url, references=_references(services, images),
    )  # fmt: skip
    return _openai_body(results, want_url)


async def _json(http: Request) -> Any:
    try:
        return await http.json()
    except ValueError:
        raise BadRequest("Request body is not valid JSON") from None
