"""The interfaces a pipeline step works with: the step itself, its context and the observer."""

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from .artifact import ImageArtifact
from .storage.base import Storage


@runtime_checkable
class Step(Protocol):
    name: str

    async def process(self, artifact: ImageArtifact) -> ImageArtifact:
        """The artifact after this step; never changes the one it was given (see ImageArtifact)."""
        ...


class PipelineObserver(Protocol):
    """Receives what the pipeline did, e.g. to feed metrics; must not raise."""

    def step_done(self, step: str, seconds: float, outcome: str) -> None:
        """`outcome` is "ok", "fallback" (failed, image kept as before) or "error" (raised)."""

    def watermark(self, layout: str | None, score: float) -> None:
        """The detected layout (None when not detected) and the best detection score."""


class NullObserver:
    def step_done(self, step: str, seconds: float, outcome: str) -> None:
        pass

    def watermark(self, layout: str | None, score: float) -> None:
        pass


@dataclass(frozen=True)
class StepContext:
    """What step factories get besides their options: `factory(context, **options)`."""

    storage: Storage | None = None
    observer: PipelineObserver = field(default_factory=NullObserver)
