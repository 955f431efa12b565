"""Visible-watermark detection and removal by reverse alpha blending.

Gemini blends a white logo: `w = a * 255 + (1 - a) * original`, so `original = (w - a * 255) /
(1 - a)`. Where the logo sits changes over time, so instead of guessing from the image size every
layout of the catalogue is scored by normalised cross-correlation (NCC) of its box with the alpha
map and of their gradients; candidates above a threshold are confirmed by fitting the blend gain
(a clean box fits a gain near 0), and the best confirmed one is removed. An image where none
passes is left alone. Only the logo box is touched. The invisible SynthID mark is a different
thing and is not removed by this.
"""

from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from skimage.filters import sobel

from .layouts import LAYOUTS, Layout, alpha_map

NCC_WEIGHT = 0.5
GRADIENT_WEIGHT = 0.3
# On this score clean boxes measured <= ~0.36 (99% <= 0.25) and most watermarked ones >= 0.35;
# the gain check below removes the clean ones that score high, so the threshold can sit low.
DEFAULT_THRESHOLD = 0.30
# Fitted gain of clean boxes scoring >= 0.2: <= 0.2 measured; of watermarked: >= 0.75 x the
# true gain (0.41 for the 0.55 layouts).
MIN_GAIN = 0.3
GAIN_SNAP = 0.1  # a fit this close to a gain some layout uses is taken as exactly that gain
MAX_ALPHA = 0.99  # keeps 1 - a away from zero
MIN_ALPHA = 0.002  # below this a pixel is left as it is
_COARSE_GAINS = np.arange(-0.5, 1.85, 0.05, dtype=np.float32)
_FINE_STEP = 0.0025


@dataclass(frozen=True)
class Detection:
    layout: Layout
    x: int  # top-left of the logo box
    y: int
    score: float  # NCC_WEIGHT * NCC + GRADIENT_WEIGHT * gradient NCC
    fitted_gain: float | None = None  # set once confirmed


@dataclass(frozen=True)
class _Template:
    alpha: np.ndarray
    centred: np.ndarray  # alpha - mean, unit norm, for NCC
    gradient: np.ndarray  # sobel(alpha) - mean, unit norm, for gradient NCC
    gain_kernel: np.ndarray  # L^T L alpha: <restored, kernel> = <L restored, L alpha>


def _laplacian(a: np.ndarray) -> np.ndarray:
    """5-point Laplacian of the interior (no border guessing): shape (n - 2, m - 2)."""
    return a[:-2, 1:-1] + a[2:, 1:-1] + a[1:-1, :-2] + a[1:-1, 2:] - 4 * a[1:-1, 1:-1]


def _laplacian_adjoint(b: np.ndarray) -> np.ndarray:
    """The transpose of `_laplacian`: <_laplacian(a), b> == <a, _laplacian_adjoint(b)>."""
    out = np.zeros((b.shape[0] + 2, b.shape[1] + 2), dtype=np.float32)
    out[:-2, 1:-1] += b
    out[2:, 1:-1] += b
    out[1:-1, :-2] += b
    out[1:-1, 2:] += b
    out[1:-1, 1:-1] -= 4 * b
    return out


@cache
def _template(name: str) -> _Template:
    alpha = alpha_map(name)
    gradient = sobel(alpha)
    kernel = _laplacian_adjoint(_laplacian(alpha))
    return _Template(alpha, _unit(alpha - alpha.mean()), _unit(gradient - gradient.mean()), kernel)


def _unit(array: np.ndarray) -> np.ndarray:
    return (array / np.linalg.norm(array)).astype(np.float32)


def _ncc_map(region: np.ndarray, unit_template: np.ndarray) -> np.ndarray:
    """NCC of `unit_template` (zero mean, unit norm) at every position inside `region`."""
    windows = sliding_window_view(region, unit_template.shape)
    products = np.einsum("pqij,ij->pq", windows, unit_template)
    count = unit_template.size
    sums = np.einsum("pqij->pq", windows)
    energy = np.einsum("pqij,pqij->pq", windows, windows) - sums * sums / count
    norm = np.sqrt(np.maximum(energy, 0.0))
    return np.divide(products, norm, out=np.zeros_like(products), where=norm > 1e-3)


def _gray(pixels: np.ndarray, x: int, y: int, size: int) -> np.ndarray:
    return pixels[y : y + size, x : x + size, :3].mean(axis=2, dtype=np.float32)


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
    template = _template(layout.map)
    region = pixels[top:bottom, left:right, :3].mean(axis=2, dtype=np.float32)
    scores = NCC_WEIGHT * _ncc_map(region, template.centred)
    scores += GRADIENT_WEIGHT * _ncc_map(sobel(region), template.gradient)
    dy, dx = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return Detection(layout, left + int(dx), top + int(dy), float(scores[dy, dx]))


def fit_gain(pixels: np.ndarray, found: Detection) -> float:
    """The blend gain at which the restored box stops correlating with the logo's Laplacian.

    Measured more accurate than "the smoothest result", whose optimum the background's own
    texture biases: this fit is within 0.05 of the true gain for >= 93% of busy boxes.
    """
    template = _template(found.layout.map)
    gray = _gray(pixels, found.x, found.y, found.layout.size)

    def correlation(gains: np.ndarray) -> np.ndarray:
        a = np.clip(template.alpha[None] * gains[:, None, None], -MAX_ALPHA, MAX_ALPHA)
        restored = (gray[None] - a * 255.0) / (1.0 - a)
        return (restored * template.gain_kernel[None]).sum(axis=(1, 2))

    coarse = correlation(_COARSE_GAINS)
    crossings = np.flatnonzero((coarse[:-1] > 0) & (coarse[1:] <= 0))
    if crossings.size == 0:
        return 0.0 if coarse[0] <= 0 else float(_COARSE_GAINS[-1])
    low = _COARSE_GAINS[crossings[0]]
    fine_gains = np.arange(low, low + 0.05 + _FINE_STEP / 2, _FINE_STEP, dtype=np.float32)
    fine = correlation(fine_gains)
    i = int(np.flatnonzero(fine > 0)[-1]) if (fine > 0).any() else 0
    if i + 1 >= fine.size:
        return float(fine_gains[i])
    return float(fine_gains[i] + _FINE_STEP * fine[i] / (fine[i] - fine[i + 1]))


def detect(
    pixels: np.ndarray,
    layouts: tuple[Layout, ...] = LAYOUTS,
    threshold: float = DEFAULT_THRESHOLD,
    min_gain: float = MIN_GAIN,
) -> tuple[Detection | None, Detection | None]:
    """(the detected watermark or None, the best-scoring candidate for reports)."""
    candidates = [found for layout in layouts if (found := score_layout(pixels, layout))]
    candidates.sort(key=lambda found: found.score, reverse=True)
    for found in candidates:
        if found.score < threshold:
            break
        gain = fit_gain(pixels, found)
        if gain >= min_gain:
            return Detection(found.layout, found.x, found.y, found.score, gain), candidates[0]
    return None, candidates[0] if candidates else None


def choose_gain(found: Detection, known_gains: tuple[float, ...], fit: bool = True) -> float:
    """The gain to remove with: the fitted one (snapped to a known gain when close) or the
    layout's own."""
    fitted = found.fitted_gain
    if not fit or fitted is None:
        return found.layout.gain
    nearest = min(known_gains, key=lambda gain: abs(gain - fitted))
    return nearest if abs(nearest - fitted) <= GAIN_SNAP else fitted


def find_and_remove(
    pixels: np.ndarray,
    layouts: tuple[Layout, ...] = LAYOUTS,
    threshold: float = DEFAULT_THRESHOLD,
    min_gain: float = MIN_GAIN,
    fit: bool = True,
) -> tuple[Detection | None, Detection | None, float]:
    """Detect the logo and remove it from `pixels` in place: (what was removed or None, the
    best-scoring candidate for reports, the gain used)."""
    found, best = detect(pixels, layouts, threshold, min_gain)
    if found is None:
        return None, best, 0.0
    known_gains = tuple(sorted({layout.gain for layout in layouts}))
    gain = choose_gain(found, known_gains, fit)
    remove(pixels, found.x, found.y, alpha_map(found.layout.map), gain)
    return found, best, gain


def _effective_alpha(alpha: np.ndarray, gain: float) -> np.ndarray:
    a = np.clip(alpha * np.float32(gain), 0.0, MAX_ALPHA)
    a[a < MIN_ALPHA] = 0.0
    return a[..., None]


def remove(pixels: np.ndarray, x: int, y: int, alpha: np.ndarray, gain: float = 1.0) -> None:
    """Invert the blend of `alpha` at (x, y) in place; the whole box is computed before writing."""
    size = alpha.shape[0]
    box = pixels[y : y + size, x : x + size, :3]
    a = _effective_alpha(alpha, gain)
    restored = (box.astype(np.float32) - a * 255.0) / (1.0 - a)
    box[...] = np.clip(np.rint(restored), 0, 255).astype(np.uint8)


def blend(pixels: np.ndarray, x: int, y: int, alpha: np.ndarray, gain: float = 1.0) -> None:
    """Apply the forward blend in place, as Gemini does (for tests and benchmarks)."""
    size = alpha.shape[0]
    box = pixels[y : y + size, x : x + size, :3]
    a = (alpha * np.float32(gain))[..., None]
    box[...] = np.clip(np.rint(a * 255.0 + (1.0 - a) * box), 0, 255).astype(np.uint8)
