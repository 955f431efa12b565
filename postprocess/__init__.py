"""Image post-processing: visible-watermark removal, fast lossless encoding, storage with URLs.

Data flows one way: the proxy builds a `Pipeline` (from config) and a `Storage` and runs
`ImageArtifact`s through it; nothing here imports the proxy or the providers.

    pipeline = Pipeline.from_config(config, storage=build_storage(storage_config),
                                    observer=metrics)
    result = await pipeline.run(ImageArtifact(data, "image/png", prompt=prompt,
                                              base_url=base_url))
    result.data, result.url, result.report

Only the visible logo is removed; the invisible SynthID mark is not.

Importing the package loads no image or cloud library: `codec`, `png` and `watermark` (numpy,
Pillow, scipy) are imported by the first image a step processes, `storage.s3` (boto3) when S3
is configured; code that calls them directly imports them by name.
"""

from .artifact import ImageArtifact
from .errors import InvalidImageError, PipelineConfigError, PostprocessError, StorageError
from .layouts import LAYOUTS, Layout
from .naming import keyword, object_name
from .pipeline import DEFAULT_STEPS, Pipeline, build_step
from .step import NullObserver, PipelineObserver, Step, StepContext
from .steps import DecodeStep, EncodeStep, StoreStep, WatermarkStep
from .storage import LocalStorage, Storage, build_storage

__all__ = [
    "DEFAULT_STEPS",
    "LAYOUTS",
    "DecodeStep",
    "EncodeStep",
    "ImageArtifact",
    "InvalidImageError",
    "Layout",
    "LocalStorage",
    "NullObserver",
    "Pipeline",
    "PipelineConfigError",
    "PipelineObserver",
    "PostprocessError",
    "Step",
    "StepContext",
    "Storage",
    "StorageError",
    "StoreStep",
    "WatermarkStep",
    "build_step",
    "build_storage",
    "keyword",
    "object_name",
]
