from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from postprocess import (
    ImageArtifact,
    LocalStorage,
    Pipeline,
    PipelineConfigError,
    StepContext,
    StorageError,
)
from postprocess.codec import decode
from postprocess.layouts import LAYOUTS

from .images import encode, scene, watermarked


class RecordingObserver:
    def __init__(self) -> None:
        self.steps: list[tuple[str, float, str]] = []
        self.watermarks: list[tuple[str | None, float]] = []

    def step_done(self, step: str, seconds: float, outcome: str) -> None:
        self.steps.append((step, seconds, outcome))

    def watermark(self, layout: str | None, score: float) -> None:
        self.watermarks.append((layout, score))


class TagStep:
    """A custom step, built from a dotted path like the built-ins: (context, **options)."""

    name = "tag"

    def __init__(self, context: StepContext, label: str = "tagged") -> None:
        self.label = label

    async def process(self, artifact: ImageArtifact) -> ImageArtifact:
        artifact.report[self.name] = self.label
        return replace(artifact, prompt=f"{artifact.prompt}+{self.label}")


class FailingStep:
    name = "explode"

    async def process(self, artifact: ImageArtifact) -> ImageArtifact:
        raise RuntimeError("boom")


FAILING_STEP = FailingStep()


class BrokenStorage:
    async def put(self, name: str, data: bytes, content_type: str, base_url: str) -> str:
        raise StorageError("bucket said no")

    async def get(self, name: str) -> bytes | None:
        return None


HERE = __name__
PROCESS = [{"step": "decode"}, {"step": "watermark"}, {"step": "encode"}]


@pytest.fixture(scope="module")
def watermarked_png() -> bytes:
    return encode(watermarked(scene("astronaut", 1024, 1024), LAYOUTS[1]), compress_level=1)


async def test_the_default_pipeline_removes_stores_and_reports(tmp_path, watermarked_png):
    observer = RecordingObserver()
    storage = LocalStorage(tmp_path)
    pipeline = Pipeline.from_config(storage=storage, observer=observer)
    artifact = ImageArtifact(
        watermarked_png, "image/png", prompt="an astronaut", base_url="http://proxy:8100/"
    )

    result = await pipeline.run(artifact)

    assert pipeline.step_names == ("decode", "watermark", "encode", "store")
    assert result.report["watermark"]["layout"] == "classic_large"
    assert result.report["encode"]["mode"] == "splice"
    assert result.url == f"http://proxy:8100/images/{result.object_name}"
    assert result.object_name.startswith("gemini-images/") and "_astronaut_" in result.object_name
    assert storage.path(result.object_name).read_bytes() == result.data
    _, pixels = decode(result.data)
    assert np.array_equal(pixels, result.pixels)
    assert [step for step, _, _ in observer.steps] == ["decode", "watermark", "encode", "store"]
    assert all(seconds >= 0 and outcome == "ok" for _, seconds, outcome in observer.steps)
    [(layout, score)] = observer.watermarks
    assert (layout, score) == (
        "classic_large",
        pytest.approx(result.report["watermark"]["score"], abs=1e-3),
    )


async def test_a_clean_image_passes_through_untouched():
    data = encode(scene("coffee", 1024, 1024), compress_level=1)
    observer = RecordingObserver()

    result = await Pipeline.from_config(PROCESS, observer=observer).run(
        ImageArtifact(data, "image/png")
    )

    assert result.data is data
    assert result.report["watermark"]["detected"] is False
    assert result.report["encode"] == {"mode": "passthrough"}
    assert observer.watermarks[0][0] is None


async def test_skip_leaves_out_named_steps(tmp_path, watermarked_png):
    pipeline = Pipeline.from_config(storage=LocalStorage(tmp_path))

    result = await pipeline.run(ImageArtifact(watermarked_png, "image/png"), skip={"store"})

    assert result.url is None and "store" not in result.report
    assert not any(tmp_path.iterdir())


async def test_dotted_path_steps_factories_and_objects():
    pipeline = Pipeline.from_config(
        [
            {"step": f"{HERE}.TagStep", "label": "first"},
            {"step": f"{HERE}.FAILING_STEP", "enabled": False},
            {"step": f"{HERE}.TagStep"},
        ]
    )

    result = await pipeline.run(ImageArtifact(b"", "image/png", prompt="p"))

    assert pipeline.step_names == ("tag", "tag")
    assert result.prompt == "p+first+tagged"


async def test_a_failing_step_falls_back_to_the_image_before_it(watermarked_png):
    observer = RecordingObserver()
    pipeline = Pipeline.from_config(
        [*PROCESS[:2], {"step": f"{HERE}.FAILING_STEP"}, PROCESS[2]], observer=observer
    )

    result = await pipeline.run(ImageArtifact(watermarked_png, "image/png"))

    assert result.report["explode"] == {"error": "RuntimeError: boom"}
    assert ("explode", "fallback") in [(step, outcome) for step, _, outcome in observer.steps]
    assert result.report["encode"]["mode"] == "splice"  # later steps still ran


async def test_an_undecodable_image_comes_back_as_it_was():
    observer = RecordingObserver()
    data = b"definitely not an image"

    result = await Pipeline.from_config(PROCESS, observer=observer).run(
        ImageArtifact(data, "image/png")
    )

    assert result.data is data
    assert "InvalidImageError" in result.report["decode"]["error"]
    assert result.report["watermark"] == {"skipped": "not decoded"}
    assert [outcome for _, _, outcome in observer.steps] == ["fallback", "ok", "ok"]


async def test_a_failing_encode_returns_the_original_bytes(monkeypatch, watermarked_png):
    def fail(*args, **kwargs):
        raise MemoryError("no room")

    monkeypatch.setattr("postprocess.png.splice", fail)
    result = await Pipeline.from_config(PROCESS).run(ImageArtifact(watermarked_png, "image/png"))

    assert result.data is watermarked_png
    assert result.report["encode"] == {"error": "MemoryError: no room"}


async def test_a_storage_failure_propagates(watermarked_png):
    observer = RecordingObserver()
    pipeline = Pipeline.from_config(storage=BrokenStorage(), observer=observer)

    with pytest.raises(StorageError, match="bucket said no"):
        await pipeline.run(ImageArtifact(watermarked_png, "image/png"))
    assert observer.steps[-1][0::2] == ("store", "error")


async def test_a_name_seed_makes_reruns_store_one_object(tmp_path, watermarked_png):
    storage = LocalStorage(tmp_path, public_base_url="https://cdn")
    config = [*PROCESS, {"step": "store", "prefix": "batches"}]
    pipeline = Pipeline.from_config(config, storage=storage)
    when = datetime(2025, 12, 26, 10, 31, 53, tzinfo=UTC)
    artifact = ImageArtifact(
        watermarked_png, "image/png", prompt="a cat", name_seed="batch_1_task_0", named_at=when
    )

    first = await pipeline.run(artifact)
    second = await pipeline.run(artifact)

    assert first.url == second.url
    assert first.object_name is not None
    assert first.object_name.startswith("batches/20251226_103153_cat_")  # the configured prefix
    assert [p.name for p in (tmp_path / "batches").iterdir()] == [first.object_name.split("/")[1]]


async def test_jpeg_input_can_stay_jpeg_or_become_png():
    jpeg = encode(watermarked(scene("chelsea", 1024, 1024), LAYOUTS[0]), "JPEG", quality=95)
    artifact = ImageArtifact(jpeg, "image/jpeg")
    auto = [*PROCESS[:2], {"step": "encode", "format": "auto", "quality": 90}]

    as_png = await Pipeline.from_config(PROCESS).run(artifact)
    as_jpeg = await Pipeline.from_config(auto).run(artifact)

    assert (as_png.mime_type, as_png.report["encode"]["mode"]) == ("image/png", "full")
    assert as_png.data.startswith(b"\x89PNG")
    assert (as_jpeg.mime_type, as_jpeg.report["encode"]["mode"]) == ("image/jpeg", "jpeg")
    assert as_jpeg.data.startswith(b"\xff\xd8")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ([{"step": "nope"}], "unknown step 'nope'"),
        ([{"step": "no.such.module.Step"}], "cannot import"),
        ([{"step": "encode", "levle": 3}], "unexpected keyword"),
        ([{"step": "encode", "format": "gif"}], "format"),
        ([{"step": "store"}], "needs a storage"),
        ([{"step": "decode", "enabled": "yes"}], "true or false"),
        ([{"enabled": True}], "needs a 'step'"),
        (["decode"], "must be a mapping"),
        ([{"step": f"{HERE}.FAILING_STEP", "x": 1}], "takes no options"),
        ([{"step": f"{HERE}.HERE"}], "neither a step"),
    ],
)
def test_bad_configs_are_rejected_with_a_clear_message(config, message):
    with pytest.raises(PipelineConfigError, match=message):
        Pipeline.from_config(config)
