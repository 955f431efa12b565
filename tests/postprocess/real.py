"""The team's real Gemini files (`../shared/watermark/real` beside the repository), with the
true mark of each as its README gives it, for tests and the evaluation benchmark."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from postprocess.codec import decode

REAL_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "watermark" / "real"
MISSING = f"the shared real Gemini files are not at {REAL_DIR}"
TRUE_BOX = (2240, 1632, 96)  # x, y, size: alpha_96 at margins 64/64 on all five marked files
MARKED = ("blue", "grey", "magenta", "yellow", "white")
NEGATIVES = ("2400x1792-pure-black.png", "2400x1792-pure-white.png")


@dataclass(frozen=True)
class RealFile:
    name: str
    pixels: np.ndarray  # decoded, RGB or RGBA
    clean: np.ndarray | None  # the known clean image (the requested colour), RGB


def available() -> bool:
    return REAL_DIR.is_dir()


def _clean_colour(pixels: np.ndarray) -> np.ndarray:
    """Per-channel median of the 16 px ring around the true box (the README's definition)."""
    x, y, size = TRUE_BOX
    ring = pixels[y - 16 : y + size + 16, x - 16 : x + size + 16, :3].astype(np.int32)
    mask = np.ones(ring.shape[:2], dtype=bool)
    mask[16:-16, 16:-16] = False
    return np.median(ring[mask], axis=0).astype(np.uint8)


def marked(colour: str) -> RealFile:
    name = f"2400x1792-pure-{colour}-gemini.png"
    _, pixels = decode((REAL_DIR / name).read_bytes())
    clean = np.broadcast_to(_clean_colour(pixels), (*pixels.shape[:2], 3))
    return RealFile(name, pixels, clean)


def negative(name: str) -> RealFile:
    _, pixels = decode((REAL_DIR / name).read_bytes())
    return RealFile(name, pixels, None)
