"""Post-processing benchmark: watermark removal, the whole image path, and PNG encoders.

Run from the repository root: `python -m benchmarks.postprocess [sizes...]` (default 1024 2048
4096). Images are photo mosaics from scikit-image (busy, so they compress like real pictures)
with the classic large logo blended in; the source file is a Pillow level-6 PNG.
"""

import asyncio
import io
import itertools
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import imagecodecs
import numpy as np
from PIL import Image

from postprocess import ImageArtifact, LocalStorage, Pipeline, codec, png, watermark
from postprocess.layouts import LAYOUTS
from tests.postprocess.images import encode, mosaic, watermarked

LAYOUT = LAYOUTS[1]  # classic_large


def best_ms(run: Callable[[], Any], repeat: int, setup: Callable[[], Any] = lambda: None) -> float:
    times = []
    for _ in range(repeat):
        setup()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


class StepTimes:
    """Observer keeping the best duration of each pipeline step."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def step_done(self, step: str, seconds: float, outcome: str) -> None:
        self.seconds[step] = min(seconds, self.seconds.get(step, seconds))

    def watermark(self, layout: str | None, score: float) -> None:
        pass


def pillow_png(pixels: np.ndarray, level: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", compress_level=level)
    return buffer.getvalue()


def measure(size: int, directory: str) -> dict[str, tuple[float, int | None]]:
    """name -> (milliseconds, output bytes or None) for one image size."""
    repeat = 3 if size <= 2048 else 2
    source = encode(watermarked(mosaic(size, size), LAYOUT), compress_level=6)
    _, decoded = codec.decode(source)
    rows: dict[str, tuple[float, int | None]] = {}
    state: dict[str, np.ndarray] = {}

    def fresh() -> None:
        state["pixels"] = decoded.copy()

    def remove() -> None:
        found, _, _ = watermark.find_and_remove(state["pixels"])
        assert found is not None and found.layout == LAYOUT

    rows["removal (detect + fit + inverse, box only)"] = (best_ms(remove, 5, fresh), None)
    cleaned = state["pixels"]
    storage = LocalStorage(directory)
    loop = asyncio.new_event_loop()
    counter = itertools.count()
    for label, encode_options in (("splice", {}), ("full encode", {"splice": False})):
        steps = StepTimes()
        pipeline = Pipeline.from_config(
            [
                {"step": "decode"},
                {"step": "watermark"},
                {"step": "encode", **encode_options},
                {"step": "store"},
            ],
            storage=storage,
            observer=steps,
        )
        results: list[ImageArtifact] = []

        def run(pipeline: Pipeline = pipeline, results: list[ImageArtifact] = results) -> None:
            name = f"bench/{size}-{next(counter)}.png"  # a new file each run, not a no-op
            artifact = ImageArtifact(source, "image/png", object_name=name)
            results[:] = [loop.run_until_complete(pipeline.run(artifact))]

        milliseconds = best_ms(run, repeat)
        assert np.array_equal(codec.decode(results[-1].data)[1], cleaned)
        rows[f"pipeline: decode+remove+{label}+local store"] = (milliseconds, len(results[-1].data))
        for step, seconds in steps.seconds.items():
            rows[f"  {label}: {step} step (best run)"] = (seconds * 1000, None)

    loop.close()

    def plain_pillow() -> None:
        with Image.open(io.BytesIO(source)) as image:
            image.load()
            image.save(io.BytesIO(), "PNG")

    rows["Pillow decode + encode (level 6)"] = (
        best_ms(plain_pillow, 1 if size > 2048 else 2),
        None,
    )
    rows["decode: Pillow + np.array"] = (
        best_ms(lambda: np.array(Image.open(io.BytesIO(source))), repeat),
        None,
    )
    rows["decode: imagecodecs (used)"] = (best_ms(lambda: codec.decode(source), repeat), None)
    encoders: dict[str, Callable[[], bytes]] = {
        "encode: Pillow level 6": lambda: pillow_png(cleaned, 6),
        "encode: Pillow level 1": lambda: pillow_png(cleaned, 1),
        "encode: imagecodecs libpng level 1": lambda: imagecodecs.png_encode(cleaned, level=1),
        "encode: imagecodecs libpng 1+RLE+Sub": lambda: imagecodecs.png_encode(
            cleaned, level=1, strategy=3, filter=16
        ),
        "encode: imagecodecs libspng level 1": lambda: imagecodecs.spng_encode(cleaned, level=1),
        "encode: numpy Up + zlib-ng 1": lambda: png.encode(cleaned, 1),
        "encode: numpy Up + zlib-ng 2 (full, used)": lambda: png.encode(cleaned, 2),
        "encode: numpy Up + zlib-ng 6": lambda: png.encode(cleaned, 6),
        "encode: splice, zlib-ng 2 tail (used)": lambda: (
            png.splice(source, cleaned, LAYOUT.origin(size, size)[1]) or b""
        ),
        "encode: JPEG q95 (libjpeg-turbo)": lambda: codec.encode_jpeg(cleaned, 95),
    }
    for name, encoder in encoders.items():
        outputs: list[bytes] = []
        slow = "level 6" in name and "Pillow" in name and size > 2048
        milliseconds = best_ms(
            lambda encoder=encoder, outputs=outputs: outputs.append(encoder()),
            1 if slow else repeat,
        )
        rows[name] = (milliseconds, len(outputs[-1]))
    return rows


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        results = {size: measure(size, directory) for size in sizes}
    names = list(results[sizes[0]])
    width = max(map(len, names))
    header = "".join(f"{f'{size}² ms':>11}{'KiB':>8}" for size in sizes)
    print(f"{'operation':<{width}}{header}")
    for name in names:
        cells = ""
        for size in sizes:
            milliseconds, length = results[size][name]
            kib = f"{length / 1024:.0f}" if length is not None else ""
            cells += f"{milliseconds:>11.1f}{kib:>8}"
        print(f"{name:<{width}}{cells}")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1024, 2048, 4096])
