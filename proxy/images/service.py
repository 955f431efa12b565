"""Images: admit the caller, draw through the Router, post-process (watermark removal,
encoding, storage), and record the request as a task so `/health`'s task_stats counts it.

A request for `count` images makes `count` upstream calls at once (each through the account's
pool and pacing like any call) in one task group, so that one failure cancels its siblings
(each spends account quota), and keeps the first `count` images.

`postprocess.codec` (Pillow, numpy) is imported where an image is first looked at, not with this
module: a proxy that serves chat alone never loads it.
"""

import asyncio
import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from postprocess import (
    ImageArtifact,
    InvalidImageError,
    LocalStorage,
    Pipeline,
    Storage,
    StorageError,
)
from proxy.core.admission import Admission, Caller
from proxy.core.config import ImagesSettings
from proxy.core.errors import BadRequest, StorageFailed, UpstreamFailed
from proxy.core.metrics import Metrics
from proxy.core.models import ModelCatalog
from proxy.core.upstream import Upstream
from proxy.jobs import JobStore


@dataclass(frozen=True)
class ImageOrder:
    """What a client asks for, in any dialect, before admission."""

    prompt: str
    model: str | None = None
    count: int = 1
    references: Sequence[bytes] = ()
    want_url: bool = False
    size: str | None = None
    """OpenAI's `size`, which picks the 2K/4K variant when no model is named."""
    editing: bool = False
    """An edit: at least one reference image is required."""


@dataclass(frozen=True)
class Drawing:
    """One drawing job for the Router: a resolved model, and how to name stored images."""

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


def decode_base64_image(value: str, field: str) -> bytes:
    """Base64 image data, with or without a `data:image/...;base64,` prefix."""
    payload = value.split(",", 1)[1] if value.startswith("data:") and "," in value else value
    try:
        return base64.b64decode(payload, validate=True)
    except ValueError:
        raise BadRequest(f"{field} is not valid base64 image data") from None


class ImageService:
    def __init__(
        self,
        admission: Admission,
        models: ModelCatalog,
        upstream: Upstream,
        pipeline: Pipeline,
        storage: Storage,
        jobs: JobStore,
        options: ImagesSettings,
        storage_kind: str,
        metrics: Metrics,
    ) -> None:
        self.admission = admission
        self.models = models
        self.upstream = upstream
        self.pipeline = pipeline
        self.storage = storage
        self.jobs = jobs
        self.options = options
        self.storage_kind = storage_kind
        self.metrics = metrics

    async def admit(self, caller: Caller, order: ImageOrder) -> Drawing:
        """Check the order and admit `caller`; the drawing it asks for."""
        if not order.prompt.strip():
            raise BadRequest("prompt must not be empty")
        if order.count > self.options.max_count:
            raise BadRequest(f"at most {self.options.max_count} images per request")
        if order.editing and not order.references:
            raise BadRequest("image is required")
        if order.references:
            await self.pipeline.load_libraries()  # the check reads images with them
        references = [self._checked_reference(data) for data in order.references]
        model = self.models.resolve_image(order.model, order.prompt, order.size)
        await self.admission.admit(caller, model, len(order.prompt))
        return Drawing(
            model=model, prompt=order.prompt, count=order.count, references=references,
            want_url=order.want_url, base_url=caller.base_url,
        )  # fmt: skip

    async def create(self, caller: Caller, order: ImageOrder) -> list[ImageResult]:
        """Images for one client request, recorded as a task (closed however it ends)."""
        drawing = await self.admit(caller, order)
        task = await self.jobs.create_single_task(
            drawing.prompt, {"model": drawing.model, "count": drawing.count}
        )
        try:
            results = await self.render(drawing)
        except BaseException as exc:
            # A client that hangs up cancels us: the row must still be closed.
            await asyncio.shield(self.jobs.finish_single(task, error=_reason_of(exc)))
            raise
        await self.jobs.finish_single(task, result=_task_result(results))
        return results

    async def render(self, drawing: Drawing) -> list[ImageResult]:
        """Draw and post-process `drawing` (already admitted)."""
        try:
            async with asyncio.TaskGroup() as group:
                draws = [group.create_task(self._draw(drawing)) for _ in range(drawing.count)]
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
        images = [image for draw in draws for image in draw.result()][: drawing.count]
        return [
            await self._finish(drawing, index, data, revised)
            for index, (data, revised) in enumerate(images)
        ]

    async def forget_stored(self, before: datetime) -> int:
        """Stored images written before `before`."""
        try:
            return await self.pipeline.forget_stored_before(before.timestamp())
        except StorageError as exc:
            raise StorageFailed(f"Could not clean up stored images: {exc}") from None

    def stored_file(self, name: str) -> Path | None:
        """The file of a stored image, when this proxy serves them (local storage)."""
        if not isinstance(self.storage, LocalStorage):
            return None
        try:
            path = self.storage.path(name)
            return path if path.is_file() else None
        except (StorageError, OSError, RuntimeError):  # too long a name, a symlink loop...
            return None

    def _checked_reference(self, data: bytes) -> bytes:
        """A reference image the client sent: an image, within the byte and pixel limits."""
        from postprocess.codec import probe

        try:
            probe(data, max_bytes=self.options.max_reference_bytes)
        except InvalidImageError as exc:
            raise BadRequest(f"reference image rejected: {exc}") from None
        return data

    async def _draw(self, drawing: Drawing) -> list[tuple[bytes, str | None]]:
        call = {"model": drawing.model, "prompt": drawing.prompt}
        if drawing.references:
            response = await self.upstream.image_edit({**call, "image": list(drawing.references)})
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
        self, drawing: Drawing, index: int, data: bytes, revised: str | None
    ) -> ImageResult:
        seed = None if drawing.name_seed is None else f"{drawing.name_seed}:{index}"
        await self.pipeline.load_libraries()  # before `_mime` reads the image with them
        artifact = ImageArtifact(
            data, _mime(data), prompt=drawing.prompt, base_url=drawing.base_url,
            name_seed=seed, named_at=drawing.named_at, model=drawing.model,
        )  # fmt: skip
        try:
            result = await self.pipeline.run(artifact, skip=() if drawing.want_url else {"store"})
        except StorageError as exc:
            self.metrics.storage.labels(self.storage_kind, "error").inc()
            raise StorageFailed(f"Could not store the image: {exc}") from None
        if drawing.want_url:
            self.metrics.storage.labels(self.storage_kind, "ok").inc()
        return ImageResult(
            data=result.data,
            mime_type=result.mime_type,
            url=result.url,
            revised_prompt=revised,
            watermark=dict(result.report.get("watermark", {})),
        )


def _task_result(results: list[ImageResult]) -> dict[str, object]:
    """What the task row keeps of a request (the console lists it): per image, its URL when
    stored and the watermark outcome (the layout removed, or none detected)."""
    return {
        "images": len(results),
        "urls": [r.url for r in results],
        "watermark": [r.watermark for r in results],
    }


def _reason_of(exc: BaseException) -> str:
    if isinstance(exc, asyncio.CancelledError):
        return "the client went away"
    message = getattr(exc, "message", None)
    return message if isinstance(message, str) else type(exc).__name__


def _mime(data: bytes) -> str:
    from postprocess.codec import probe

    try:
        return probe(data).mime_type or "image/png"
    except InvalidImageError:
        return "application/octet-stream"
