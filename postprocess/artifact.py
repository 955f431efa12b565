"""The unit that flows through the image pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


@dataclass
class ImageArtifact:
    """One image and what the pipeline learnt and did to it.

    Steps return a new artifact (`dataclasses.replace`) rather than changing the one they got,
    so the pipeline can fall back to it when a step fails. The one exception is `pixels`, which a
    step may write in place after all of its fallible work is done (it avoids a whole-image
    copy); `changed_from_row` then says which rows no longer match `data`.
    """

    data: bytes  # encoded image bytes as they are now
    mime_type: str  # "image/png", "image/jpeg", ...
    prompt: str = ""  # for the object name keyword
    pixels: np.ndarray | None = None  # decoded uint8 HxWx3/4 once a step decoded it
    # Callers that need an idempotent name (a task run twice stores one object) give a seed
    # (hashed instead of the bytes) and the time to name it by.
    name_seed: str | None = None
    named_at: datetime | None = None
    base_url: str = ""  # request base URL, for storages without a configured public URL
    model: str | None = None  # id of the model that drew the image: ranks watermark layouts
    object_name: str | None = None  # set by the store step
    url: str | None = None  # set by the store step
    report: dict[str, Any] = field(default_factory=dict)  # what each step did
    # First pixel row that differs from `data`; None while `pixels` (if any) match `data`.
    changed_from_row: int | None = None
