"""Prometheus metrics: one naming scheme (`gemini_proxy_*`), bounded label values only.

Labels never carry prompts, IPs or keys: routes are route templates, models are configured
public ids, accounts are configured names, reasons and steps come from fixed sets.

Each app has its own registry. Event counts and timings are recorded as they happen; live
state (accounts, pacing, jobs) is read at scrape time by a collector (`proxy/live_metrics.py`).
With several uvicorn workers the CLI sets `PROMETHEUS_MULTIPROC_DIR`: event metrics then live
in files shared by the workers and `/metrics` aggregates them, plus the live state of the
worker that answers.
"""

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.registry import Collector

_LATENCY = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300)
_STEP = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, *, multiprocess: bool = False) -> None:
        """`multiprocess`: event metrics live in prometheus_client's shared folder (named by
        `PROMETHEUS_MULTIPROC_DIR`, which the CLI sets for its workers)."""
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.multiprocess = multiprocess

        self.requests = Counter(
            "gemini_proxy_requests_total", "HTTP requests by route, model and status",
            ["route", "model", "status"], registry=registry,
        )  # fmt: skip
        self.request_seconds = Histogram(
            "gemini_proxy_request_duration_seconds", "Whole-request latency",
            ["route"], buckets=_LATENCY, registry=registry,
        )  # fmt: skip
        self.upstream_seconds = Histogram(
            "gemini_proxy_upstream_duration_seconds", "Upstream call latency by model and outcome",
            ["model", "outcome"], buckets=_LATENCY, registry=registry,
        )  # fmt: skip
        self.first_token_seconds = Histogram(
            "gemini_proxy_time_to_first_token_seconds", "Time to the first streamed chunk",
            ["model"], buckets=_LATENCY, registry=registry,
        )  # fmt: skip
        self.upstream_errors = Counter(
            "gemini_proxy_upstream_errors_total", "Upstream failures by model and status",
            ["model", "status"], registry=registry,
        )  # fmt: skip
        self.retries = Counter(
            "gemini_proxy_retries_total", "Upstream retries by status that caused them",
            ["status"], registry=registry,
        )  # fmt: skip
        self.limiter_rejections = Counter(
            "gemini_proxy_limiter_rejections_total", "Requests refused by a limit, by reason",
            ["reason"], registry=registry,
        )  # fmt: skip
        self.workers = Gauge(
            "gemini_proxy_workers", "Worker processes serving", registry=registry,
            multiprocess_mode="livesum",
        )  # fmt: skip
        self.watermarks = Counter(
            "gemini_proxy_watermark_total", "Watermark detection per image by layout (none: clean)",
            ["layout"], registry=registry,
        )  # fmt: skip
        self.image_step_seconds = Histogram(
            "gemini_proxy_image_step_duration_seconds", "Image pipeline step duration",
            ["step"], buckets=_STEP, registry=registry,
        )  # fmt: skip
        self.image_step_failures = Counter(
            "gemini_proxy_image_step_failures_total", "Image steps that failed (input kept)",
            ["step"], registry=registry,
        )  # fmt: skip
        self.storage = Counter(
            "gemini_proxy_storage_total", "Stored images by backend and result",
            ["backend", "result"], registry=registry,
        )  # fmt: skip

        self._live: Collector | None = None

    # The image pipeline's observer (postprocess.PipelineObserver).
    def step_done(self, step: str, seconds: float, outcome: str) -> None:
        self.image_step_seconds.labels(step).observe(seconds)
        if outcome != "ok":
            self.image_step_failures.labels(step).inc()

    def watermark(self, layout: str | None, score: float) -> None:
        self.watermarks.labels(layout or "none").inc()

    def watch(self, live: Collector) -> None:
        """Add a collector that reads live state (accounts, pacing, jobs) at scrape time."""
        self._live = live
        self.registry.register(live)

    def render(self) -> bytes:
        if not self.multiprocess:
            return generate_latest(self.registry)
        aggregate = CollectorRegistry()
        multiprocess.MultiProcessCollector(aggregate)  # type: ignore[no-untyped-call]
        if self._live is not None:
            aggregate.register(self._live)  # this worker's view of live state
        return generate_latest(aggregate)
