import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from postprocess import _inflate, codec, png
from postprocess.errors import InvalidImageError

from .images import encode, mosaic


def header_only_png(width: int, height: int) -> bytes:
    """A PNG that claims a size but holds no pixels: what a decompression bomb's header says."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return png.SIGNATURE + struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + crc


@pytest.mark.parametrize(
    "data",
    [b"", b"hello world", b"<html>not an image</html>", png.SIGNATURE + b"\x00" * 40],
    ids=["empty", "text", "html", "bad-png"],
)
def test_non_images_are_rejected(data: bytes):
    with pytest.raises(InvalidImageError):
        codec.decode(data)


@pytest.mark.parametrize("size", [(4097, 4096), (20000, 20000), (100000, 100000)])
def test_images_over_the_pixel_limit_are_rejected_from_the_header(size):
    with pytest.raises(InvalidImageError, match="limit"):
        codec.probe(header_only_png(*size))


def test_the_pixel_and_byte_limits_are_configurable():
    data = encode(mosaic(64, 64))
    assert codec.probe(data).width == 64
    with pytest.raises(InvalidImageError, match="4095 pixel limit"):
        codec.probe(data, max_pixels=4095)
    with pytest.raises(InvalidImageError, match="byte limit"):
        codec.decode(data, max_bytes=len(data) - 1)


def test_a_truncated_image_is_rejected():
    data = encode(mosaic(256, 256))
    with pytest.raises(InvalidImageError, match="cannot decode"):
        codec.decode(data[: len(data) // 2])


def saved(image: Image.Image, format: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P", "LA", "I;16"])
def test_decode_gives_writable_rgb_or_rgba(mode: str):
    rgb = Image.fromarray(mosaic(64, 48))
    image = Image.fromarray(np.arange(64 * 48, dtype=np.uint16).reshape(48, 64) * 21)
    if mode != "I;16":
        image = (rgb.convert("RGBA") if "A" in mode else rgb).convert(mode)

    info, pixels = codec.decode(saved(image))

    assert info.format == "PNG" and info.mime_type == "image/png"
    assert pixels.dtype == np.uint8 and pixels.shape[:2] == (48, 64)
    assert pixels.shape[2] == (4 if "A" in mode else 3)
    assert pixels.flags.writeable


def test_jpeg_roundtrip_and_webp_decodes():
    pixels = np.ascontiguousarray(mosaic(128, 96))
    info, decoded = codec.decode(codec.encode_jpeg(pixels, 95))
    assert info.mime_type == "image/jpeg" and decoded.shape == pixels.shape
    assert np.abs(decoded.astype(int) - pixels).mean() < 3
    info, decoded = codec.decode(encode(pixels, "WEBP", lossless=True))
    assert info.format == "WEBP" and np.array_equal(decoded, pixels)


@pytest.mark.parametrize("channels", [3, 4])
def test_full_png_encode_is_lossless(channels: int):
    pixels = np.dstack([mosaic(300, 200), np.arange(300 * 200).reshape(200, 300) % 251])
    pixels = np.ascontiguousarray(pixels[..., :channels].astype(np.uint8))

    assert np.array_equal(codec.decode(codec.encode_png(pixels))[1], pixels)


def changed(pixels: np.ndarray, first_row: int) -> np.ndarray:
    out = pixels.copy()
    out[first_row:, -70:, :3] //= 3
    return out


def idat(data: bytes) -> bytes:
    """The compressed image stream of a PNG (its IDAT chunks joined)."""
    return b"".join(bytes(body) for kind, body in png._chunks(data) if kind == b"IDAT")


@pytest.mark.parametrize("level", [0, 1, 6, 9])
@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_splice_rewrites_only_the_changed_rows(level: int, mode: str):
    image = Image.fromarray(mosaic(400, 300)).convert(mode)
    metadata = PngImagePlugin.PngInfo()
    metadata.add_text("parameters", "kept")
    original = encode(np.asarray(image), compress_level=level, pnginfo=metadata)
    _, pixels = codec.decode(original)

    for first_row in (1, 150, 299):
        new = changed(pixels, first_row)
        spliced = png.splice(original, new, first_row)

        assert spliced is not None
        assert np.array_equal(codec.decode(spliced)[1], new)
        if first_row == 299 and level:
            # Rows above the change keep their compressed bytes: a long shared prefix.
            before, after = idat(original), idat(spliced)
            shared = next(i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b)
            assert shared > len(before) // 2
        with Image.open(io.BytesIO(spliced)) as reread:
            assert reread.text == {"parameters": "kept"}
            assert np.array_equal(np.asarray(reread), new)  # Pillow agrees with libpng
    assert abs(len(spliced) - len(original)) < len(original) // 20 + 1000


def test_splice_works_with_many_idat_chunks():
    pixels = np.ascontiguousarray(mosaic(512, 512))
    stream = zlib.compress(png._filter_up(png._rows(pixels), None).tobytes(), 6)
    chunks = [stream[i : i + 4096] for i in range(0, len(stream), 4096)]
    original = png.SIGNATURE + b"".join(
        b"".join(png._chunk(kind, body))
        for kind, body in [
            (b"IHDR", struct.pack(">IIBBBBB", 512, 512, 8, 2, 0, 0, 0)),
            *[(b"IDAT", chunk) for chunk in chunks],
            (b"IEND", b""),
        ]
    )
    new = changed(pixels, 400)

    spliced = png.splice(original, new, 400)

    assert spliced is not None and np.array_equal(codec.decode(spliced)[1], new)


def test_splice_declines_what_it_cannot_do(monkeypatch):
    pixels = np.ascontiguousarray(mosaic(200, 100))
    plain = encode(pixels)
    new = changed(pixels, 50)
    assert png.splice(encode(pixels[..., 0]), new[..., :1].repeat(3, 2), 50) is None  # gray
    assert png.splice(plain, new, 0) is None  # nothing to keep
    assert png.splice(plain, new[:-1], 50) is None  # size mismatch
    assert png.splice(plain[:-30], new, 50) is None  # no IEND
    monkeypatch.setattr(_inflate, "_libz", lambda: None)
    assert png.splice(plain, new, 50) is None
