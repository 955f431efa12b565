"""Image generation and editing: the Router call, then the post-processing pipeline.

A request for `count` images makes `count` upstream calls at once (each through the pool and
pacing like any call) and keeps the first `count` images; every image then goes through the
pipeline (watermark removal, encoding) and, when a URL is wanted, into storage.
"""

import asyncio
import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from postprocess import (
    ImageArtifact,
    InvalidImageError,
    Pipeline,
    StorageError,
    probe,
)
from proxy.core.errors import BadRequest, UpstreamFailed
from proxy.core.metrics import Metrics
from proxy.core.upstream import Upstream
from proxy.jobs import TaskInfo, object_name_seed


@dataclass(frozen=True)
class ImageRequest:
    model: str
    prompt: str
    count: int = 1
    references: Sequence[bytes] = ()
    want_url: bool = False
    base_url: str = ""
    name_seed: str | None = None
    """Names stored images from this seed (batch tasks: a re-run overwrites, never adds)."""
    named_at: datetime | None = None


@dataclass(frozen=True)
class ImageResult:
    data: bytes
    mime_type: str
    url: str | None
    revised_prompt: str | None
    watermark: dict[str, object]

    def b64(self) -> str:
        return base64.b64encode(self.data).decode()

    def data_url(self) -> str:
        return f"data:{self.mime_type};base64,{self.b64()}"


def check_reference(data: bytes, max_bytes: int) -> bytes:
    """A reference image the client sent: an image, within the byte and pixel limits."""
    try:
        probe(data, max_bytes=max_bytes)
    except InvalidImageError as exc:
        raise BadRequest(f"reference image rejected: {exc}") from None
    return data


def decode_base64_image(value: str, field: str) -> bytes:
    """Base64 image data, with or without a `data:image/...;base64,` prefix."""
    payload = value.split(",", 1)[1] if value.startswith("data:") and "," in value else value
    try:
        return base64.b64decode(payload, validate=True)
    except ValueError:
        raise BadRequest(f"{field} is not valid base64 image data") from None


class ImageService:
    def __init__(
        self, upstream: Upstream, pipeline: Pipeline, storage_kind: str, metrics: Metrics
    ) -> None:
        self.upstream = upstream
        self.pipeline = pipeline
        self.storage_kind = storage_kind
        self.metrics = metrics

    async def create(self, request: ImageRequest) -> list[ImageResult]:
        drawn = await asyncio.gather(*(self._draw(request) for _ in range(request.count)))
        images = [image for batch in drawn for image in batch][: request.count]
        return [
            await self._finish(request, index, data, revised)
            for index, (data, revised) in enumerate(images)
        ]

    async def run_batch_task(self, task: TaskInfo) -> dict[str, Any]:
        """One batch task: one image, stored under a name derived from the task, so that a
        re-run after a crash overwrites instead of adding a second image."""
        params = task.params
        want_url = params.get("response_type", "url") == "url"
        request = ImageRequest(
            model=params["model"], prompt=task.prompt, want_url=want_url,
            base_url=params.get("base_url", ""), name_seed=object_name_seed(task),
            named_at=task.created_at,
        )  # fmt: skip
        (image,) = await self.create(request)
        return {"url": image.url} if want_url else {"image": image.data_url()}

    async def _draw(self, request: ImageRequest) -> list[tuple[bytes, str | None]]:
        call = {"model": request.model, "prompt": request.prompt}
        if request.references:
            response = await self.upstream.image_edit({**call, "image": list(request.references)})
        else:
            response = await self.upstream.image_generation(call)
        drawn = []
        for item in response.data or []:
            if item.b64_json:
                drawn.append((base64.b64decode(item.b64_json), item.revised_prompt))
        if not drawn:
            raise UpstreamFailed("The upstream returned no image")
        return drawn

    async def _finish(
        self, request: ImageRequest, index: int, data: bytes, revised: str | None
    ) -> ImageResult:
        seed = None if request.name_seed is None else f"{request.name_seed}:{index}"
        artifact = ImageArtifact(
            data, _mime(data), prompt=request.prompt, base_url=request.base_url,
            name_seed=seed, named_at=request.named_at,
        )  # fmt: skip
        try:
            result = await self.pipeline.run(artifact, skip=() if request.want_url else {"store"})
        except StorageError as exc:
            self.metrics.storage.labels(self.storage_kind, "error").inc()
            raise UpstreamFailed(f"Could not store the image: {exc}") from None
        if request.want_url:
            self.metrics.storage.labels(self.storage_kind, "ok").inc()
        return ImageResult(
            data=result.data,
            mime_type=result.mime_type,
            url=result.url,
            revised_prompt=revised,
            watermark=dict(result.report.get("watermark", {})),
        )


def _mime(data: bytes) -> str:
    try:
        return probe(data).mime_type or "image/png"
    except InvalidImageError:
        return "application/octet-stream"
