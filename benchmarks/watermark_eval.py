"""Watermark evaluation: real Gemini files, synthetic V2 / lossy / strong marks, clean images.

Run from the repository root: `python -m benchmarks.watermark_eval`. Per marked case it prints
the layout found, PSNR of the logo box against the clean reference and the plateau error (mean
error where the true alpha > 0.8 x its max, worst channel, in levels) before -> after, whether
a mark remains (plateau error > 1.5 levels), and the ms of detection plus removal; per clean
image whether it was changed; then the time at 4096x4096. Real files are read from
`../shared/watermark/real` when present.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from postprocess import watermark
from postprocess.layouts import LAYOUTS, V2_STRENGTH, Layout, alpha_map
from tests.postprocess import real
from tests.postprocess.images import background, lossy, mosaic, psnr, scene, watermarked

LAYOUT = {layout.name: layout for layout in LAYOUTS}
V2_CAPTURE = alpha_map("48-v2-still")  # the real 3.6 mark, not the scaled map the remover uses
STRONG_GAINS = (1.45, 1.38, 1.30)  # a strong, non-neutral mark: ~1.4x the classic map
RESIDUE_LEVELS = 1.5


@dataclass
class Case:
    name: str
    pixels: np.ndarray
    clean: np.ndarray
    box: tuple[int, int]  # true top-left
    alpha: np.ndarray  # true alpha at full strength (per-channel gains folded in below)
    gains: tuple[float, ...] = (1.0,)
    model: str | None = None


def marked_case(
    name: str, clean: np.ndarray, layout: Layout, alpha: np.ndarray, gains: tuple[float, ...],
    codec: str | None = None, model: str | None = None,
) -> Case:  # fmt: skip
    gain = gains[0] if len(gains) == 1 else (gains[0], gains[1], gains[2])
    pixels = watermarked(clean, layout, alpha, gain)
    if codec:
        pixels = lossy(pixels, codec)
    box = layout.origin(clean.shape[1], clean.shape[0])
    return Case(name, pixels, clean, box, alpha, gains, model)


def synthetic_cases() -> list[Case]:
    v2, v2_large = LAYOUT["large_margin_light"], LAYOUT["v2_large"]
    cases = []
    for width, height in ((896, 1200), (1376, 768), (1024, 1024)):
        for kind in ("flat", "gradient", "noise", "photo"):
            clean = background(kind, width, height)
            cases.append(marked_case(f"v2 {kind} {width}x{height}", clean, v2, V2_CAPTURE, (1,)))
        for kind in ("photo", "gradient"):
            clean = background(kind, width, height)
            name = f"v2 {kind} {width}x{height} jpeg90"
            cases.append(marked_case(name, clean, v2, V2_CAPTURE, (1,), "JPEG"))
    clean = scene("coffee", 2752, 1536)
    for codec in (None, "JPEG"):
        name = "v2 96@64 photo 2752x1536" + (" jpeg90" if codec else "")
        cases.append(marked_case(name, clean, v2_large, alpha_map("96"), (V2_STRENGTH,), codec))
    classic = LAYOUT["classic_large"]
    busy = mosaic(2048, 2048)
    for codec in ("JPEG", "WEBP"):
        name = f"classic busy 2048 {codec.lower()}90"
        cases.append(marked_case(name, busy, classic, alpha_map("96"), (1,), codec))
    for kind, clean in (("flat", background("flat", 2048, 2048)), ("busy", busy)):
        name = f"strong {kind} 2048"
        cases.append(marked_case(name, clean, classic, alpha_map("96"), STRONG_GAINS))
    return cases


def real_cases() -> list[Case]:
    if not real.available():
        print(f"(skipping real files: {real.MISSING})")
        return []
    x, y, _ = real.TRUE_BOX
    cases = []
    for colour in real.MARKED:
        file = real.marked(colour)
        assert file.clean is not None
        name = f"real {colour}"
        cases.append(Case(name, file.pixels, file.clean, (x, y), alpha_map("96"), (1.0,)))
    return cases


def clean_images() -> dict[str, Callable[[], np.ndarray]]:
    images: dict[str, Callable[[], np.ndarray]] = {
        "white 1024": lambda: np.full((1024, 1024, 3), 255, np.uint8),
        "black 1024": lambda: np.full((1024, 1024, 3), 0, np.uint8),
        "gray 1024": lambda: np.full((1024, 1024, 3), 128, np.uint8),
        "noise 1024": lambda: background("noise", 1024, 1024),
        "gradient 1376x768": lambda: background("gradient", 1376, 768),
        "astronaut 1024": lambda: scene("astronaut", 1024, 1024),
        "coffee 2816x1536": lambda: scene("coffee", 2816, 1536),
        "chelsea 768x1376": lambda: scene("chelsea", 768, 1376),
        "astronaut flipped 2048": lambda: scene("astronaut", 2048, 2048)[::-1, ::-1],
        "busy 2048": lambda: mosaic(2048, 2048),
        "busy 896x1200 jpeg90": lambda: lossy(mosaic(896, 1200)),
        "busy flipped 1376x768": lambda: mosaic(1376, 768)[::-1, ::-1],
    }
    if real.available():
        for name in real.NEGATIVES:
            images[f"real {name}"] = lambda name=name: real.negative(name).pixels
    return images


def plateau_error(pixels: np.ndarray, case: Case) -> tuple[float, float]:
    """(mean error, worst channel's mean error) in levels where the true alpha is > 0.8 x its
    max; the first is the shared real files' README measure."""
    x, y = case.box
    size = case.alpha.shape[0]
    plateau = case.alpha > 0.8 * case.alpha.max()
    box = np.s_[y : y + size, x : x + size, :3]
    error = pixels[box].astype(np.float64) - case.clean[box]
    per_channel = error[plateau].mean(axis=0)
    return float(per_channel.mean()), float(per_channel[np.argmax(np.abs(per_channel))])


def box_psnr(pixels: np.ndarray, case: Case) -> float:
    x, y = case.box
    size = case.alpha.shape[0]
    box = np.s_[y : y + size, x : x + size, :3]
    return psnr(pixels[box], case.clean[box])


def timed(pixels: np.ndarray, model: str | None = None):
    started = time.perf_counter()
    found, _, gain = watermark.find_and_remove(pixels, model=model)
    return found, gain, (time.perf_counter() - started) * 1000


def evaluate_marked(cases: list[Case]) -> list[bool]:
    print(f"{'case':<32}{'found':<19}{'gain':>15}{'PSNR dB':>15}{'plateau':>15}{'worst ch':>9}"
          f"{'mark':>5}{'ms':>6}")  # fmt: skip
    remains = []
    for case in cases:
        pixels = case.pixels.copy()
        before = (box_psnr(pixels, case), plateau_error(pixels, case))
        found, gain, ms = timed(pixels, case.model)
        after = (box_psnr(pixels, case), plateau_error(pixels, case))
        remains.append(abs(after[1][0]) > RESIDUE_LEVELS)
        gains = found.channel_gains if found and found.channel_gains else (gain,)
        print(
            f"{case.name:<32}{found.layout.name if found else '-':<19}"
            f"{'/'.join(f'{g:.3f}' for g in gains):>15}"
            f"{before[0]:>7.1f} ->{after[0]:>5.1f}{before[1][0]:>+7.1f} ->{after[1][0]:>+5.1f}"
            f"{after[1][1]:>+9.1f}{'yes' if remains[-1] else 'no':>5}{ms:>6.1f}"
        )
    return remains


def evaluate_clean(images: dict[str, Callable[[], np.ndarray]]) -> int:
    changed = 0
    print(f"\n{'clean image':<40}{'changed':>8}{'best score':>12}{'ms':>6}")
    for name, make in images.items():
        original = np.ascontiguousarray(make())
        pixels = original.copy()
        started = time.perf_counter()
        found, best, _ = watermark.find_and_remove(pixels)
        ms = (time.perf_counter() - started) * 1000
        differs = found is not None or not np.array_equal(pixels, original)
        changed += differs
        score = best.score if best else 0.0
        print(f"{name:<40}{'YES' if differs else 'no':>8}{score:>12.2f}{ms:>6.1f}")
    return changed


def time_4096() -> None:
    marked = watermarked(mosaic(4096, 4096), LAYOUT["classic_large"])
    for name, source in (("marked", marked), ("clean", mosaic(4096, 4096))):
        times = [timed(source.copy())[2] for _ in range(7)]
        print(f"4096x4096 {name}: detect + remove best {min(times):.1f} ms, "
              f"median {sorted(times)[3]:.1f} ms")  # fmt: skip


def main() -> None:
    watermark.find_and_remove(background("photo", 1024, 1024))  # build the templates untimed
    remains = evaluate_marked(real_cases() + synthetic_cases())
    changed = evaluate_clean(clean_images())
    print(f"\nmarked cases: {len(remains)}, mark remains in {sum(remains)}; "
          f"clean images changed: {changed}")  # fmt: skip
    time_4096()


if __name__ == "__main__":
    main()
