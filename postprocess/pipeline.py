"""The image pipeline: a list of steps built from config, run with graceful fallback.

Config is a list of `{"step": name, "enabled": true, ...options}`. `name` is a built-in step
(`decode`, `watermark`, `encode`, `store`) or a dotted path `package.module.attribute` to either a
ready `Step` object or a factory called like the built-ins: `factory(context, **options)`.

When a step raises, the artifact stays as it was before that step (so the caller gets the
original image), the failure is recorded in `report[step]` and the observer hears of it. A
`StorageError` propagates instead: a client that asked for a URL must not get none silently.
"""

import asyncio
import importlib
import logging
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

from .artifact import ImageArtifact
from .errors import PipelineConfigError, StorageError
from .step import NullObserver, PipelineObserver, Step, StepContext
from .steps import BUILTIN_STEPS, StoreStep, load_image_libraries
from .storage.base import Storage

logger = logging.getLogger(__name__)

DEFAULT_STEPS: tuple[Mapping[str, Any], ...] = (
    {"step": "decode"},
    {"step": "watermark"},
    {"step": "encode"},
    {"step": "store"},
)


class Pipeline:
    def __init__(self, steps: Sequence[Step], observer: PipelineObserver | None = None) -> None:
        self.steps = tuple(steps)
        self.observer = observer or NullObserver()
        self._libraries_loaded = False

    @classmethod
    def from_config(
        cls,
        config: Sequence[Mapping[str, Any]] | None = None,
        *,
        storage: Storage | None = None,
        observer: PipelineObserver | None = None,
    ) -> "Pipeline":
        """Build the steps of `config` (default `DEFAULT_STEPS`); raises `PipelineConfigError`."""
        context = StepContext(storage, observer or NullObserver())
        steps = [
            build_step(entry, context)
            for entry in (DEFAULT_STEPS if config is None else config)
            if _enabled(entry)
        ]
        return cls(steps, context.observer)

    async def forget_stored_before(self, moment: float) -> int:
        """Delete what the pipeline's store steps stored before `moment`; returns how many."""
        stores = [step for step in self.steps if isinstance(step, StoreStep)]
        return sum([await store.forget_before(moment) for store in stores])

    @property
    def step_names(self) -> tuple[str, ...]:
        return tuple(step.name for step in self.steps)

    async def load_libraries(self) -> None:
        """Import the image libraries (numpy, Pillow, SciPy, scikit-image), once, in a thread:
        that takes most of a second, which the event loop (every other request) must not lose."""
        if not self._libraries_loaded:
            await asyncio.to_thread(load_image_libraries)
            self._libraries_loaded = True

    async def run(self, artifact: ImageArtifact, *, skip: Collection[str] = ()) -> ImageArtifact:
        """Run every step not named in `skip` (e.g. `{"store"}` for a base64 response).

        The caller's artifact keeps its own report; only `pixels` it passed in may be changed.
        """
        artifact = replace(artifact, report=dict(artifact.report))
        await self.load_libraries()
        for step in self.steps:
            if step.name in skip:
                continue
            started = time.perf_counter()
            try:
                result = await step.process(artifact)
            except StorageError:
                self.observer.step_done(step.name, time.perf_counter() - started, "error")
                raise
            except Exception as exc:
                seconds = time.perf_counter() - started
                logger.warning(
                    "image step %s failed, keeping the image as it was: %r", step.name, exc
                )
                artifact.report[step.name] = {"error": f"{type(exc).__name__}: {exc}"}
                self.observer.step_done(step.name, seconds, "fallback")
                continue
            self.observer.step_done(step.name, time.perf_counter() - started, "ok")
            artifact = result
        return artifact


def _enabled(entry: Mapping[str, Any]) -> bool:
    if not isinstance(entry, Mapping):
        raise PipelineConfigError(
            f"a step entry must be a mapping like {{'step': 'decode'}}: {entry!r}"
        )
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise PipelineConfigError(f"step {entry.get('step')!r}: 'enabled' must be true or false")
    return enabled


def build_step(entry: Mapping[str, Any], context: StepContext) -> Step:
    """One step from its config entry."""
    if not isinstance(entry.get("step"), str):
        raise PipelineConfigError(f"a step entry needs a 'step' name: {entry!r}")
    name = entry["step"]
    options = {key: value for key, value in entry.items() if key not in ("step", "enabled")}
    target = BUILTIN_STEPS.get(name) or _import(name)
    if isinstance(target, Step) and not isinstance(target, type):
        if options:
            raise PipelineConfigError(f"step {name!r} is an object and takes no options")
        return target
    if not callable(target):
        raise PipelineConfigError(f"step {name!r} is neither a step nor a step factory")
    try:
        step = target(context, **options)
    except (TypeError, ValueError) as exc:
        raise PipelineConfigError(f"step {name!r}: {exc}") from None
    if not isinstance(step, Step):
        raise PipelineConfigError(f"step {name!r} did not build a step (no name/process)")
    return step


def _import(path: str) -> Any:
    module_name, _, attribute = path.rpartition(".")
    if not module_name:
        raise PipelineConfigError(
            f"unknown step {path!r}: use one of {sorted(BUILTIN_STEPS)} or a dotted path"
        )
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise PipelineConfigError(f"cannot import step {path!r}: {exc}") from None
