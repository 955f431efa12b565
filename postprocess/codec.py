"""Decoding with limits, and encoding chosen by measurement.

Pillow reads only the header to check the limits; 8-bit RGB/RGBA PNG and RGB JPEG are then
decoded by imagecodecs (libpng / libjpeg-turbo straight into one writable numpy array: 2-3x
faster than Pillow plus `np.array`), anything else by Pillow. PNG output comes from `png`
(see there for the encoder choice); JPEG output from libjpeg-turbo via imagecodecs (2x Pillow).
"""

import io
from dataclasses import dataclass

import imagecodecs
import numpy as np
from PIL import Image, UnidentifiedImageError

from . import png
from .defaults import JPEG_QUALITY, MAX_BYTES, MAX_PIXELS, PNG_LEVEL
from .errors import InvalidImageError


@dataclass(frozen=True)
class ImageInfo:
    format: str  # Pillow's name: "PNG", "JPEG", "WEBP", ...
    mime_type: str
    width: int
    height: int
    mode: str  # Pillow's mode: "RGB", "RGBA", "P", "L", ...


def probe(data: bytes, max_pixels: int = MAX_PIXELS, max_bytes: int = MAX_BYTES) -> ImageInfo:
    """What `data` is, from its header only; raises `InvalidImageError` past the limits."""
    if len(data) > max_bytes:
        raise InvalidImageError(f"image of {len(data)} bytes is over the {max_bytes} byte limit")
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            width, height = image.size
            info = ImageInfo(
                image.format or "", image.get_format_mimetype() or "", width, height, image.mode
            )
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise InvalidImageError("not a recognised image, or far over the size limit") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidImageError(f"unreadable image header: {exc}") from None
    if width * height > max_pixels:
        raise InvalidImageError(
            f"image of {width}x{height} pixels is over the {max_pixels} pixel limit"
        )
    return info


def _fast_decode(data: bytes, info: ImageInfo) -> np.ndarray | None:
    if info.format == "PNG":
        header = png.read_header(data)
        if header is None or header.channels is None:
            return None
        pixels = imagecodecs.png_decode(data)
        channels = header.channels
    elif info.format == "JPEG" and info.mode == "RGB":
        pixels = imagecodecs.jpeg8_decode(data)
        channels = 3
    else:
        return None
    if pixels.shape != (info.height, info.width, channels) or pixels.dtype != np.uint8:
        return None
    return pixels


def decode(
    data: bytes, max_pixels: int = MAX_PIXELS, max_bytes: int = MAX_BYTES
) -> tuple[ImageInfo, np.ndarray]:
    """The image's info and its pixels as a writable uint8 HxWx3 (or x4 with alpha) array."""
    info = probe(data, max_pixels, max_bytes)
    try:
        pixels = _fast_decode(data, info)
        if pixels is None:
            with Image.open(io.BytesIO(data)) as image:
                has_alpha = "A" in image.getbands() or "transparency" in image.info
                pixels = np.array(image.convert("RGBA" if has_alpha else "RGB"))
    except (OSError, ValueError, SyntaxError, RuntimeError) as exc:  # imagecodecs: RuntimeError
        raise InvalidImageError(f"cannot decode {info.format} image: {exc}") from None
    return info, pixels


def encode_png(pixels: np.ndarray, level: int = PNG_LEVEL) -> bytes:
    return png.encode(pixels, level)


def encode_jpeg(pixels: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    """JPEG of the RGB channels (JPEG has no alpha)."""
    return bytes(imagecodecs.jpeg8_encode(np.ascontiguousarray(pixels[..., :3]), level=quality))
