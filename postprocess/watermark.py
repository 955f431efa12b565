"""Visible-watermark detection and removal by reverse alpha blending.

Gemini blends a white logo: `w = a * 255 + (1 - a) * original`, so `original = (w - a * 255) /
(1 - a)`. Where the logo sits changes over time, so instead of guessing from the image size every
layout of the catalogue is scored by normalised cross-correlation (NCC) of its box with the alpha
map and of their gradients. Candidates are tried in order (layouts the image's model or size
point to first, then by score) and confirmed by the evidence together: the blend gain fitted in
the box (a clean box fits a gain near 0) and, for a weak score, a check that removing the fitted
mark leaves a box that no longer correlates with the logo either way (a real mark comes out
neutral; a clean box "restored" comes out with a dark logo). The first confirmed one is removed.
An image where none is confirmed is left alone. Only the logo box is touched. The invisible
SynthID mark is a different thing and is not removed by this.
"""

from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from skimage.filters import sobel

from .defaults import WATERMARK_MIN_GAIN, WATERMARK_THRESHOLD
from .gain import (
    CHANNEL_MIN_SPREAD,
    MAX_ALPHA,
    SMOOTH_LEVELS,
    SNAP_BELOW,
    bandpass_kernel,
    channel_gains,
    fit_gain,
    restore,
    snap,
    texture,
)
from .layouts import LAYOUTS, Layout, alpha_map

NCC_WEIGHT = 0.5
GRADIENT_WEIGHT = 0.3
# Candidates scoring between SCORE_FLOOR and the threshold (defaults.WATERMARK_THRESHOLD: real
# marks on noise-like, busy or lossy content score down to ~0.2) are confirmed only when the
# restored box's score is within RESIDUE_MAX of zero.
SCORE_FLOOR = 0.12
RESIDUE_MAX = 0.10
MIN_ALPHA = 0.002  # below this a pixel is left as it is

Gains = float | tuple[float, float, float]


@dataclass(frozen=True)
class Detection:
    layout: Layout
    x: int  # top-left of the logo box
    y: int
    score: float  # NCC_WEIGHT * NCC + GRADIENT_WEIGHT * gradient NCC
    fitted_gain: float | None = None  # set once confirmed
    gain: float | None = None  # the gain removed with: the layout's when the fit snapped to it
    channel_gains: tuple[float, float, float] | None = None  # when the mark is not neutral
    residue: float | None = None  # the score of the restored box


@dataclass(frozen=True)
class _Template:
    alpha: np.ndarray
    centred: np.ndarray  # alpha - mean, unit norm, for NCC
    gradient: np.ndarray  # sobel(alpha) - mean, unit norm, for gradient NCC
    gain_kernel: np.ndarray  # see gain.bandpass_kernel


@cache
def _template(name: str) -> _Template:
    alpha = alpha_map(name)
    gradient = sobel(alpha)  # type: ignore[no-untyped-call]
    centred, unit_gradient = _unit(alpha - alpha.mean()), _unit(gradient - gradient.mean())
    return _Template(alpha, centred, unit_gradient, bandpass_kernel(alpha))


def _unit(array: np.ndarray) -> np.ndarray:
    unit: np.ndarray = (array / np.linalg.norm(array)).astype(np.float32)
    return unit


def _ncc_map(region: np.ndarray, unit_template: np.ndarray) -> np.ndarray:
    """NCC of `unit_template` (zero mean, unit norm) at every position inside `region`."""
    windows = sliding_window_view(region, unit_template.shape)
    products = np.einsum("pqij,ij->pq", windows, unit_template)
    count = unit_template.size
    sums = np.einsum("pqij->pq", windows)
    energy = np.einsum("pqij,pqij->pq", windows, windows) - sums * sums / count
    norm = np.sqrt(np.maximum(energy, 0.0))
    scores: np.ndarray = np.divide(products, norm, out=np.zeros_like(products), where=norm > 1e-3)
    return scores


def _scores(region: np.ndarray, template: _Template) -> np.ndarray:
    scores = NCC_WEIGHT * _ncc_map(region, template.centred)
    scores += GRADIENT_WEIGHT * _ncc_map(sobel(region), template.gradient)  # type: ignore[no-untyped-call]
    return scores


def score_layout(pixels: np.ndarray, layout: Layout) -> Detection | None:
    """The best-scoring position of `layout` within `layout.search` px of its anchor."""
    height, width = pixels.shape[:2]
    anchor_x, anchor_y = layout.origin(width, height)
    reach = layout.search
    top, left = max(0, anchor_y - reach), max(0, anchor_x - reach)
    bottom = min(height, anchor_y + layout.size + reach)
    right = min(width, anchor_x + layout.size + reach)
    if bottom - top < layout.size or right - left < layout.size:
        return None
    region = pixels[top:bottom, left:right, :3].mean(axis=2, dtype=np.float32)
    scores = _scores(region, _template(layout.map))
    dy, dx = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return Detection(layout, left + int(dx), top + int(dy), float(scores[dy, dx]))


def _confirm(
    pixels: np.ndarray,
    found: Detection,
    siblings: list[Layout],
    threshold: float,
    min_gain: float,
) -> Detection | None:
    """`found` with its gains when the evidence says it is a mark, else None. `siblings` are
    the layouts blending the same map at the same box, whose gains the fit may snap to."""
    template = _template(found.layout.map)
    size = found.layout.size
    box = pixels[found.y : found.y + size, found.x : found.x + size, :3].astype(np.float32)
    fitted = fit_gain(box.mean(axis=2), template.alpha, template.gain_kernel)
    weakest = min(layout.gain for layout in siblings)
    if fitted is None or fitted < max(min_gain, SNAP_BELOW * weakest):
        return None  # weaker than any layout blends at this box
    gray_restored = restore(box.mean(axis=2), _effective_alpha(template.alpha, fitted)[..., 0])
    smooth = texture(gray_restored) < SMOOTH_LEVELS
    snapped = None if smooth else snap(fitted, tuple(layout.gain for layout in siblings))
    layout = min(siblings, key=lambda item: abs(item.gain - (snapped or fitted)))
    channels = None
    if smooth or snapped is None:
        spread = 0.0 if smooth else CHANNEL_MIN_SPREAD
        channels = channel_gains(box, template.alpha, template.gain_kernel, fitted, spread)
    gain = snapped or fitted
    restored = restore(box, _effective_alpha(template.alpha, channels or gain)).mean(axis=2)
    residue = float(_scores(restored, template)[0, 0])
    if found.score < threshold and abs(residue) > RESIDUE_MAX:
        return None
    return Detection(layout, found.x, found.y, found.score, fitted, gain, channels, residue)


def detect(
    pixels: np.ndarray,
    layouts: tuple[Layout, ...] = LAYOUTS,
    threshold: float = WATERMARK_THRESHOLD,
    min_gain: float = WATERMARK_MIN_GAIN,
    model: str | None = None,
) -> tuple[Detection | None, Detection | None]:
    """(the detected watermark or None, the best-scoring candidate for reports). `model` (the
    id of the model that drew the image, when known) ranks its layouts first."""
    height, width = pixels.shape[:2]
    candidates = [found for layout in layouts if (found := score_layout(pixels, layout))]
    if not candidates:
        return None, None
    best = max(candidates, key=lambda found: found.score)
    candidates.sort(
        key=lambda found: (not found.layout.expected(width, height, model), -found.score)
    )
    tried: set[tuple[str, int, int]] = set()
    for found in candidates:
        box = (found.layout.map, found.x, found.y)
        if found.score < SCORE_FLOOR or box in tried:
            continue
        tried.add(box)
        siblings = [item.layout for item in candidates if (item.layout.map, item.x, item.y) == box]
        confirmed = _confirm(pixels, found, siblings, threshold, min_gain)
        if confirmed:
            return confirmed, best
    return None, best


def find_and_remove(
    pixels: np.ndarray,
    layouts: tuple[Layout, ...] = LAYOUTS,
    threshold: float = WATERMARK_THRESHOLD,
    min_gain: float = WATERMARK_MIN_GAIN,
    fit: bool = True,
    model: str | None = None,
) -> tuple[Detection | None, Detection | None, float]:
    """Detect the logo and remove it from `pixels` in place: (what was removed or None, the
    best-scoring candidate for reports, the gain used). Without `fit` the found layout's own
    gain is used."""
    found, best = detect(pixels, layouts, threshold, min_gain, model)
    if found is None:
        return None, best, 0.0
    gains: Gains = found.layout.gain
    if fit and found.gain is not None:
        gains = found.channel_gains or found.gain
    remove(pixels, found.x, found.y, alpha_map(found.layout.map), gains)
    return found, best, found.gain if fit and found.gain is not None else found.layout.gain


def _effective_alpha(alpha: np.ndarray, gains: Gains) -> np.ndarray:
    """gains * alpha as (size, size, 1) or, per channel, (size, size, 3)."""
    a = np.clip(alpha[..., None] * np.asarray(gains, dtype=np.float32).reshape(-1), 0, MAX_ALPHA)
    a[a < MIN_ALPHA] = 0.0
    return a


def remove(pixels: np.ndarray, x: int, y: int, alpha: np.ndarray, gain: Gains = 1.0) -> None:
    """Invert the blend of `alpha` at (x, y) in place, with one gain or one per RGB channel."""
    size = alpha.shape[0]
    box = pixels[y : y + size, x : x + size, :3]
    restored = restore(box.astype(np.float32), _effective_alpha(alpha, gain))
    box[...] = np.clip(np.rint(restored), 0, 255).astype(np.uint8)


def blend(pixels: np.ndarray, x: int, y: int, alpha: np.ndarray, gain: Gains = 1.0) -> None:
    """Apply the forward blend in place, as Gemini does (for tests and benchmarks); one gain or
    one per RGB channel."""
    size = alpha.shape[0]
    box = pixels[y : y + size, x : x + size, :3]
    a = alpha[..., None] * np.asarray(gain, dtype=np.float32).reshape(-1)
    box[...] = np.clip(np.rint(a * 255.0 + (1.0 - a) * box), 0, 255).astype(np.uint8)
