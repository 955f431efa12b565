import numpy as np
import pytest

from postprocess import watermark
from postprocess.codec import decode
from postprocess.defaults import WATERMARK_THRESHOLD
from postprocess.errors import PipelineConfigError
from postprocess.layouts import LAYOUTS, Layout, alpha_map, select_layouts

from .images import SCENES, encode, logo_psnr, scene, watermarked

SIZES = ((1024, 1024), (2048, 2048), (2816, 1536), (768, 1376))


def remove_detected(pixels: np.ndarray, fit_gain: bool = True) -> watermark.Detection | None:
    found, _, _ = watermark.find_and_remove(pixels, fit=fit_gain)
    return found


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
@pytest.mark.parametrize("name", SCENES)
def test_each_layout_is_found_and_removed(name: str, size: tuple[int, int], layout: Layout):
    clean = scene(name, *size)
    pixels = watermarked(clean, layout)
    x, y = layout.origin(*size)

    found = remove_detected(pixels)

    assert found is not None
    assert (found.layout.name, found.x, found.y) == (layout.name, x, y)
    assert logo_psnr(pixels, clean, layout) >= 50
    box = np.s_[y : y + layout.size, x : x + layout.size]
    pixels[box] = clean[box]
    assert np.array_equal(pixels, clean), "pixels outside the logo box changed"


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_removal_without_gain_fit_uses_the_layout_gain(layout: Layout):
    clean = scene("coffee", 2048, 2048)
    pixels = watermarked(clean, layout)

    found = remove_detected(pixels, fit_gain=False)

    assert found is not None and found.layout == layout
    assert logo_psnr(pixels, clean, layout) >= 50


def flat(value: int) -> np.ndarray:
    return np.full((1024, 1024, 3), value, dtype=np.uint8)


def noise(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (1024, 1024, 3), dtype=np.uint8)


CLEAN_IMAGES = {
    "white": lambda: flat(255),
    "black": lambda: flat(0),
    "gray": lambda: flat(128),
    "noise": lambda: noise(1),
    "astronaut": lambda: scene("astronaut", 1024, 1024),
    "coffee-2816": lambda: scene("coffee", 2816, 1536),
    "chelsea-768": lambda: scene("chelsea", 768, 1376),
    "astronaut-flipped": lambda: scene("astronaut", 2048, 2048)[::-1, ::-1],
}


@pytest.mark.parametrize("make", CLEAN_IMAGES.values(), ids=CLEAN_IMAGES.keys())
def test_nothing_is_detected_on_clean_images(make):
    found, best = watermark.detect(np.ascontiguousarray(make()))

    assert found is None
    assert best is None or best.score < WATERMARK_THRESHOLD


def test_a_jpeg_q90_copy_is_still_detected():
    layout = LAYOUTS[1]  # classic_large
    clean = scene("astronaut", 2048, 2048)
    _, pixels = decode(encode(watermarked(clean, layout), "JPEG", quality=90))
    before = logo_psnr(pixels, clean, layout)

    found = remove_detected(pixels)

    assert found is not None and found.layout == layout
    assert logo_psnr(pixels, clean, layout) > max(30.0, before + 10)


def test_a_layout_added_by_config_is_detected():
    layouts = select_layouts(
        ["classic_small", {"name": "m40", "map": "48", "size": 48, "margin": 40}]
    )
    custom = layouts[1]
    pixels = watermarked(scene("chelsea", 1024, 1024), custom)

    found, _ = watermark.detect(pixels, layouts)

    assert found is not None and found.layout.name == "m40"


@pytest.mark.parametrize(
    "entry",
    ["nope", {"name": "x", "map": "48", "size": 96, "margin": 1}, {"name": "x", "map": "zz"}],
)
def test_bad_layout_config_is_rejected(entry):
    with pytest.raises(PipelineConfigError):
        select_layouts([entry])


def test_blend_then_remove_is_exact_up_to_rounding():
    clean = scene("coffee", 1024, 1024)
    pixels = clean.copy()
    alpha = alpha_map("96")
    watermark.blend(pixels, 10, 20, alpha)
    watermark.remove(pixels, 10, 20, alpha)
    assert np.abs(pixels.astype(int) - clean).max() <= 1
