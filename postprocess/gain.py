"""Fitting the strength ("gain") at which a found logo was blended, jointly or per channel.

The gain is the one at which the restored box stops correlating with the logo's band-pass
(Laplacian of Gaussian) image. A band-pass rather than a plain Laplacian: the Laplacian weighs
the finest detail most, which JPEG/WebP smooth away, so on lossy smooth content it measured
the gain 40-70% low; at sigma 1.5 px the fit is within 6% of the true gain for 90% of cases
(flat, gradient, noise, photo and busy backgrounds, PNG, JPEG and WebP q90; max 14%).
"""

import numpy as np
from scipy import ndimage

MAX_ALPHA = 0.99  # keeps 1 - a away from zero
BANDPASS_SIGMA = 1.5
_COARSE_STEP = 0.05
_COARSE_GAINS = np.arange(-0.5, 2.0 + _COARSE_STEP / 2, _COARSE_STEP, dtype=np.float32)
_FINE_STEP = 0.0025
# A fit is taken as a known layout gain g when within [SNAP_BELOW * g, SNAP_ABOVE * g] (fits on
# busy and lossy boxes measured within 14%); the nearest such gain wins, so the 3.6 mark's fit
# (~0.60) is never snapped down to a weaker gain, and a strong mark (~1.4) is not snapped at all.
SNAP_BELOW = 0.8
SNAP_ABOVE = 1.15
# Per-channel gains are used only when they spread by more than this (a neutral mark's channel
# fits differ by noise alone) and each is kept within CHANNEL_BOUND x the joint gain of it, so a
# noisy channel fit cannot paint a coloured mark.
CHANNEL_MIN_SPREAD = 0.04
CHANNEL_BOUND = 0.2
# A box whose restored band-pass image varies less than this (levels) is smooth: there the fit
# is exact (within 0.005 of the true gain on flat, gradient and the real files' boxes, where a
# gain off by 0.01 leaves ~2.5 levels on a dark plateau), so it is used as it is, per channel,
# rather than snapped. Photo and busy boxes measured >= 0.8.
SMOOTH_LEVELS = 0.3


def bandpass_kernel(alpha: np.ndarray) -> np.ndarray:
    """K with <restored, K> = <B restored, B alpha>, B the Laplacian of Gaussian (zero mean)."""
    pad = 4 * round(BANDPASS_SIGMA) + 2
    band = ndimage.gaussian_laplace(np.pad(alpha.astype(np.float64), pad), BANDPASS_SIGMA)
    kernel = ndimage.gaussian_laplace(band, BANDPASS_SIGMA)[pad:-pad, pad:-pad]
    centred: np.ndarray = (kernel - kernel.mean()).astype(np.float32)
    return centred


def restore(values: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Invert `values = a * 255 + (1 - a) * original` (float, unclamped)."""
    restored: np.ndarray = (values - a * 255.0) / (1.0 - a)
    return restored


def _correlation(
    box: np.ndarray, alpha: np.ndarray, kernel: np.ndarray, gains: np.ndarray
) -> np.ndarray:
    a = np.clip(alpha[None] * gains[:, None, None], -MAX_ALPHA, MAX_ALPHA)
    sums: np.ndarray = (restore(box[None], a) * kernel[None]).sum(axis=(1, 2))
    return sums


def fit_gain(
    box: np.ndarray, alpha: np.ndarray, kernel: np.ndarray, gains: np.ndarray = _COARSE_GAINS
) -> float | None:
    """The gain at which the restored `box` (one channel, float) stops correlating with the
    logo, searched over `gains` (ascending, _COARSE_STEP apart), or None when the correlation
    does not change sign there (e.g. a channel saturated at 255)."""
    coarse = _correlation(box, alpha, kernel, gains)
    crossings = np.flatnonzero((coarse[:-1] > 0) & (coarse[1:] <= 0))
    if crossings.size == 0:
        return None
    low = gains[crossings[0]]
    fine_gains = np.arange(low, low + _COARSE_STEP + _FINE_STEP / 2, _FINE_STEP, dtype=np.float32)
    fine = _correlation(box, alpha, kernel, fine_gains)
    i = int(np.flatnonzero(fine > 0)[-1]) if (fine > 0).any() else 0
    if i + 1 >= fine.size:
        return float(fine_gains[i])
    return float(fine_gains[i] + _FINE_STEP * fine[i] / (fine[i] - fine[i + 1]))


def texture(restored: np.ndarray) -> float:
    """Standard deviation (levels) of the band-passed interior of a restored grey box."""
    margin = 4 * round(BANDPASS_SIGMA)
    band = ndimage.gaussian_laplace(restored, BANDPASS_SIGMA)[margin:-margin, margin:-margin]
    return float(band.std())


def snap(fitted: float, known: tuple[float, ...]) -> float | None:
    """The known gain `fitted` is taken for, or None when it is none of them."""
    near = [gain for gain in known if SNAP_BELOW * gain <= fitted <= SNAP_ABOVE * gain]
    return min(near, key=lambda gain: abs(gain - fitted)) if near else None


def channel_gains(
    box: np.ndarray,
    alpha: np.ndarray,
    kernel: np.ndarray,
    joint: float,
    min_spread: float = CHANNEL_MIN_SPREAD,
) -> tuple[float, float, float] | None:
    """Per-channel gains for a mark that is not neutral, or None when it is (or can't tell).
    Each is searched within CHANNEL_BOUND of `joint`; a channel whose fit fails there (e.g.
    saturated near 255, where the mark has nothing to brighten) takes the joint gain."""
    low, high = joint * (1 - CHANNEL_BOUND), joint * (1 + CHANNEL_BOUND)
    search = np.arange(low, high + _COARSE_STEP / 2, _COARSE_STEP, dtype=np.float32)
    fits = [fit_gain(box[..., channel], alpha, kernel, search) for channel in range(3)]
    gains = [joint if fit is None else fit for fit in fits]
    if max(gains) - min(gains) <= min_spread:
        return None
    r, g, b = gains
    return r, g, b
