"""Synthetic images for the post-processing tests and benchmark, from scikit-image's photos."""

import io
from functools import cache

import numpy as np
from PIL import Image
from skimage import data

from postprocess.layouts import Layout, alpha_map
from postprocess.watermark import Gains, blend

SCENES = ("astronaut", "coffee", "chelsea")
_TILES = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry")


@cache
def _photo(name: str) -> np.ndarray:
    return np.ascontiguousarray(getattr(data, name)()[..., :3])


@cache
def scene(name: str, width: int, height: int) -> np.ndarray:
    """Photo `name` resized to width x height (smooth, like a generated image's corners)."""
    resized = Image.fromarray(_photo(name)).resize((width, height), Image.Resampling.BILINEAR)
    pixels = np.asarray(resized)
    pixels.setflags(write=False)
    return pixels


@cache
def mosaic(width: int, height: int) -> np.ndarray:
    """Photos tiled at their native resolution: busy, photo-like content that compresses like
    a real image (resized photos compress unrealistically well)."""
    out = np.empty((height, width, 3), dtype=np.uint8)
    index = 0
    for top in range(0, height, 300):
        left = 0
        while left < width:
            tile = _photo(_TILES[index % len(_TILES)])
            index += 1
            rows, cols = min(300, height - top), min(tile.shape[1], width - left)
            out[top : top + rows, left : left + cols] = tile[:rows, :cols]
            left += cols
    out.setflags(write=False)
    return out


def background(kind: str, width: int, height: int) -> np.ndarray:
    """A synthetic background: "flat" (dark), "gradient", "noise" (uniform) or "photo"."""
    if kind == "flat":
        return np.full((height, width, 3), 40, dtype=np.uint8)
    if kind == "gradient":
        ramp = np.linspace(0, 255, width, dtype=np.float32)[None, :]
        ramp = ramp * np.linspace(0.3, 1.0, height, dtype=np.float32)[:, None]
        return np.repeat(np.rint(ramp).astype(np.uint8)[..., None], 3, axis=2)
    if kind == "noise":
        return np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    if kind == "photo":
        return scene("astronaut", width, height).copy()
    raise ValueError(f"unknown background {kind!r}")


def watermarked(
    clean: np.ndarray, layout: Layout, alpha: np.ndarray | None = None, gain: Gains | None = None
) -> np.ndarray:
    """A copy of `clean` with `layout`'s logo blended in where the layout puts it; `alpha` and
    `gain` (one or per channel) replace the layout's map and gain, e.g. with a real capture."""
    pixels = clean.copy()
    x, y = layout.origin(pixels.shape[1], pixels.shape[0])
    alpha = alpha_map(layout.map) if alpha is None else alpha
    blend(pixels, x, y, alpha, layout.gain if gain is None else gain)
    return pixels


def lossy(pixels: np.ndarray, format: str = "JPEG", quality: int = 90) -> np.ndarray:
    """`pixels` after a round trip through a lossy codec."""
    return pixels_of(encode(pixels, format, quality=quality)).copy()


def encode(pixels: np.ndarray, format: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format, **options)
    return buffer.getvalue()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def logo_psnr(result: np.ndarray, clean: np.ndarray, layout: Layout) -> float:
    """PSNR of `result` against `clean` inside `layout`'s logo box."""
    x, y = layout.origin(clean.shape[1], clean.shape[0])
    box = np.s_[y : y + layout.size, x : x + layout.size, :3]
    return psnr(result[box], clean[box])


def pixels_of(data: bytes) -> np.ndarray:
    """The RGB pixels of encoded image bytes."""
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
