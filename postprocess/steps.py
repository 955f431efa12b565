"""The built-in pipeline steps: decode, watermark, encode, store.

Each is built as `Step(context, **options)`; the CPU-heavy ones run in a worker thread so the
event loop stays free. Building one loads no image library: the modules that use numpy, Pillow
and scipy (`codec`, `png`, `watermark`) are imported by the first image a step processes, so a
proxy serving chat alone never loads them.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

from .artifact import ImageArtifact
from .defaults import (
    JPEG_QUALITY,
    MAX_BYTES,
    MAX_PIXELS,
    PNG_LEVEL,
    WATERMARK_MIN_GAIN,
    WATERMARK_THRESHOLD,
)
from .errors import PipelineConfigError
from .layouts import select_layouts
from .naming import DEFAULT_PREFIX, object_name
from .step import StepContext

if TYPE_CHECKING:
    import numpy as np


def load_image_libraries() -> None:
    """Import what the steps work pixels with (numpy, Pillow, SciPy, scikit-image): they load
    with the first image, not at start-up."""
    from . import codec, png, watermark  # noqa: F401


class DecodeStep:
    """Decodes `data` into `pixels`, rejecting non-images and images over the limits."""

    name = "decode"

    def __init__(
        self,
        context: StepContext,
        max_pixels: int = MAX_PIXELS,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self.max_pixels = max_pixels
        self.max_bytes = max_bytes

    async def process(self, artifact: ImageArtifact) -> ImageArtifact:
        from . import codec

        info, pixels = await asyncio.to_thread(
            codec.decode, artifact.data, self.max_pixels, self.max_bytes
        )
        report = {"format": info.format, "width": info.width, "height": info.height}
        artifact.report[self.name] = report
        mime_type = info.mime_type or artifact.mime_type
        return replace(artifact, pixels=pixels, mime_type=mime_type, changed_from_row=None)


class WatermarkStep:
    """Detects the visible logo over the layout catalogue and removes it from `pixels`; the
    artifact's `model`, when set, ranks the layouts that model is known to use first.

    Leaves the artifact untouched when nothing is detected, so the encode step passes the
    original bytes through.
    """

    name = "watermark"

    def __init__(
        self,
        context: StepContext,
        threshold: float = WATERMARK_THRESHOLD,
        min_gain: float = WATERMARK_MIN_GAIN,
        fit_gain: bool = True,
        layouts: list[str | dict[str, Any]] | None = None,
    ) -> None:
        self.observer = context.observer
        self.threshold = threshold
        self.min_gain = min_gain
        self.fit_gain = fit_gain
        self.layouts = select_layouts(layouts)

    async def process(self, artifact: ImageArtifact) -> ImageArtifact:
        if artifact.pixels is None:
            artifact.report[self.name] = {"skipped": "not decoded"}
            return artifact
        from . import watermark

        found, best, gain = await asyncio.to_thread(
            watermark.find_and_remove,
            artifact.pixels, self.layouts, self.threshold, self.min_gain, self.fit_gain,
            artifact.model,
        )  # fmt: skip
        best_score = best.score if best else 0.0
        self.observer.watermark(found.layout.name if found else None, best_score)
        if found is None:
            artifact.report[self.name] = {
                "detected": False,
                "best_score": round(best_score, 3),
                "best_layout": best.layout.name if best else None,
            }
            return artifact
        artifact.report[self.name] = {
            "layout": found.layout.name,
            "score": round(found.score, 3),
            "gain": round(gain, 3),
            "fitted_gain": round(found.fitted_gain or 0.0, 3),
            "x": found.x,
            "y": found.y,
        }
        if self.fit_gain and found.channel_gains:
            artifact.report[self.name]["channel_gains"] = [round(g, 3) for g in found.channel_gains]
        first_row = found.y
        if artifact.changed_from_row is not None:
            first_row = min(first_row, artifact.changed_from_row)
        return replace(artifact, changed_from_row=first_row)


class EncodeStep:
    """Encodes changed `pixels` back into `data`; passes `data` through when nothing changed.

    `format`: "png" always writes PNG (lossless); "auto" writes JPEG input back as JPEG at
    `quality` and everything else as PNG. PNG input is spliced (only the rows from the first
    changed one are re-compressed) when possible.
    """

    name = "encode"

    def __init__(
        self,
        context: StepContext,
        format: Literal["png", "auto"] = "png",
        level: int = PNG_LEVEL,
        quality: int = JPEG_QUALITY,
        splice: bool = True,
    ) -> None:
        if format not in ("png", "auto"):
            raise PipelineConfigError(f"encode format must be 'png' or 'auto', not {format!r}")
        self.format = format
        self.level = level
        self.quality = quality
        self.splice = splice

    async def process(self, artifact: ImageArtifact) -> ImageArtifact:
        if artifact.pixels is None or artifact.changed_from_row is None:
            artifact.report[self.name] = {"mode": "passthrough"}
            return artifact
        data, mime_type, mode = await asyncio.to_thread(
            self._encode,
            artifact.data,
            artifact.mime_type,
            artifact.pixels,
            artifact.changed_from_row,
        )
        artifact.report[self.name] = {"mode": mode, "bytes": len(data)}
        return replace(artifact, data=data, mime_type=mime_type, changed_from_row=None)

    def _encode(
        self, original: bytes, mime_type: str, pixels: np.ndarray, first_row: int
    ) -> tuple[bytes, str, str]:
        """(encoded bytes, their MIME type, how: "jpeg", "splice" or "full")."""
        from . import codec, png

        if self.format == "auto" and mime_type == "image/jpeg":
            return codec.encode_jpeg(pixels, self.quality), "image/jpeg", "jpeg"
        if self.splice and mime_type == "image/png":
            spliced = png.splice(original, pixels, first_row, self.level)
            if spliced is not None:
                return spliced, "image/png", "splice"
        return codec.encode_png(pixels, self.level), "image/png", "full"


class StoreStep:
    """Uploads `data` under a contract-style name and sets `object_name` and `url`."""

    name = "store"

    def __init__(self, context: StepContext, prefix: str = DEFAULT_PREFIX) -> None:
        if context.storage is None:
            raise PipelineConfigError("the store step needs a storage")
        self.storage = context.storage
        self.prefix = prefix

    async def forget_before(self, moment: float) -> int:
        """The images this step stored before `moment` (retention)."""
        return await self.storage.forget_before(moment, self.prefix)

    async def process(self, artifact: ImageArtifact) -> ImageArtifact:
        name = object_name(
            artifact.prompt, artifact.data, prefix=self.prefix, mime_type=artifact.mime_type,
            now=artifact.named_at, seed=artifact.name_seed,
        )  # fmt: skip
        url = await self.storage.put(name, artifact.data, artifact.mime_type, artifact.base_url)
        artifact.report[self.name] = {"name": name, "bytes": len(artifact.data)}
        return replace(artifact, object_name=name, url=url)


BUILTIN_STEPS = {step.name: step for step in (DecodeStep, WatermarkStep, EncodeStep, StoreStep)}
