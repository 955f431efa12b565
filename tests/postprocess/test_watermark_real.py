"""The remover on real Gemini captures, the Gemini 3.6 mark, non-neutral and lossy marks, and
the catalogue against the team's spec."""

import re
from pathlib import Path

import numpy as np
import pytest

from postprocess import watermark
from postprocess.layouts import LAYOUTS, V2_STRENGTH, alpha_map

from . import real
from .images import background, lossy, watermarked

LAYOUT = {layout.name: layout for layout in LAYOUTS}
SPEC = Path(__file__).resolve().parents[2] / ".." / "shared" / "spec" / "watermark.md"
needs_real = pytest.mark.skipif(not real.available(), reason=real.MISSING)


def plateau_error(pixels: np.ndarray, clean: np.ndarray, x: int, y: int, alpha: np.ndarray):
    """Mean error (levels, over the channels) where `alpha` > 0.8 x its max."""
    size = alpha.shape[0]
    box = np.s_[y : y + size, x : x + size, :3]
    error = pixels[box].astype(np.float64) - clean[box]
    return float(error[alpha > 0.8 * alpha.max()].mean())


@needs_real
@pytest.mark.parametrize("colour", ["blue", "grey", "magenta", "yellow"])
def test_real_marks_are_removed_to_the_plateau(colour: str):
    file = real.marked(colour)
    assert file.clean is not None
    x, y, _ = real.TRUE_BOX
    pixels = file.pixels.copy()

    found, _, _ = watermark.find_and_remove(pixels)

    assert found is not None and (found.layout.name, found.x, found.y) == ("classic_large", x, y)
    assert abs(plateau_error(pixels, file.clean, x, y, alpha_map("96"))) <= 1.5


@needs_real
@pytest.mark.parametrize("name", real.NEGATIVES)
def test_real_negatives_are_left_alone(name: str):
    pixels = real.negative(name).pixels
    copy = pixels.copy()
    found, _, _ = watermark.find_and_remove(copy)
    assert found is None and np.array_equal(copy, pixels)


def test_the_v2_strength_is_the_shipped_capture_scale():
    capture, classic = alpha_map("48-v2-still"), alpha_map("48").astype(np.float64)
    assert abs((capture * classic).sum() / (classic * classic).sum() - V2_STRENGTH) < 1e-3


@pytest.mark.parametrize("size", [(896, 1200), (1376, 768), (1024, 1024)], ids=str)
@pytest.mark.parametrize("kind", ["flat", "gradient", "noise", "photo"])
def test_the_real_3_6_mark_leaves_no_plateau_error(kind: str, size: tuple[int, int]):
    layout = LAYOUT["large_margin_light"]
    clean = background(kind, *size)
    pixels = watermarked(clean, layout, alpha_map("48-v2-still"), 1.0)
    x, y = layout.origin(*size)

    found, _, gain = watermark.find_and_remove(pixels)

    assert found is not None and (found.x, found.y) == (x, y)
    assert abs(gain - V2_STRENGTH) < 0.01
    assert abs(plateau_error(pixels, clean, x, y, alpha_map("48-v2-still"))) <= 1.5


@pytest.mark.parametrize("kind", ["photo", "gradient"])
def test_a_jpeg_q90_3_6_mark_is_removed_at_its_strength(kind: str):
    layout = LAYOUT["large_margin_light"]
    clean = background(kind, 1024, 1024)
    pixels = lossy(watermarked(clean, layout))

    found, _, gain = watermark.find_and_remove(pixels)

    assert found is not None and abs(gain - V2_STRENGTH) < 0.01
    assert abs(plateau_error(pixels, clean, *layout.origin(1024, 1024), alpha_map("48"))) <= 1.5


def test_a_strong_coloured_mark_is_removed_per_channel():
    layout = LAYOUT["classic_large"]
    clean = background("flat", 2048, 2048)
    pixels = watermarked(clean, layout, gain=(1.45, 1.38, 1.30))

    found, _, _ = watermark.find_and_remove(pixels)

    assert found is not None and found.channel_gains is not None
    assert np.allclose(found.channel_gains, (1.45, 1.38, 1.30), atol=0.01)
    x, y = layout.origin(2048, 2048)
    box = np.s_[y : y + 96, x : x + 96]
    assert np.abs(pixels[box].astype(int) - clean[box]).max() <= 2


def test_the_model_ranks_the_layouts_that_share_a_box():
    clean = background("photo", 2048, 2048)
    pixels = watermarked(clean, LAYOUT["classic_large"])

    found, _ = watermark.detect(pixels, model="gemini-3.6-flash-image")

    assert found is not None and found.layout.name == "classic_large", "the fit decides the gain"
    assert LAYOUT["v2_large"].expected(2048, 2048, "gemini-3.6-flash-image")
    assert not LAYOUT["v2_large"].expected(1000, 1000, "gemini-3.1-pro")


@pytest.mark.skipif(not SPEC.is_file(), reason=f"the team's spec is not at {SPEC}")
def test_every_layout_of_the_spec_table_is_in_the_catalogue():
    row = re.compile(r"^\| [a-z][^|]* \| (\d+) \| (\d+), (\d+) \| ([^ |]+)", re.M)
    rows = row.findall(SPEC.read_text())
    assert len(rows) >= 5
    for size, right, bottom, map_name in rows:
        assert right == bottom
        assert any(
            (layout.size, layout.margin, layout.map) == (int(size), int(right), map_name)
            for layout in LAYOUTS
        ), f"spec layout {size} at {right}/{bottom} with map {map_name}"
