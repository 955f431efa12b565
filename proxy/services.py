"""Everything a request may need, built once per app in its lifespan and closed with it."""

import logging
import time
from dataclasses import dataclass, field

from fastapi import Request
from litellm.llms.custom_llm import CustomLLM

from postprocess import ConfigError as PostprocessConfigError
from postprocess import Pipeline, Storage, build_storage
from providers.gemini_web import AccountPool, GeminiWebLLM, bridge_library_logs
from providers.gemini_web.accounts import use_cookie_cache
from proxy.accounts.gate import AccountLimits
from proxy.core.catalogue import image_variant
from proxy.core.clock import Clock
from proxy.core.config import ConfigError, Settings
from proxy.core.errors import BadRequest, ProxyError, RateLimited
from proxy.core.limits import ClientLimiter, client_ip
from proxy.core.metrics import Metrics
from proxy.core.routing import build_router, configure_litellm
from proxy.core.upstream import Upstream
from proxy.images.service import ImageRequest, ImageResult, ImageService, check_reference
from proxy.jobs import JobStore, JobWorker
from proxy.status.live_metrics import LiveState

logger = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    accounts: AccountPool
    upstream: Upstream
    gate: AccountLimits
    client_limiter: ClientLimiter
    images: ImageService
    storage: Storage
    jobs: JobStore
    worker: JobWorker
    live: LiveState
    metrics: Metrics
    api_keys: tuple[bytes, ...]
    started_at: float = field(default_factory=time.time)

    def admit(self, request: Request, model: str) -> None:
        """Note the request's model (for metrics) and apply the per-client limits: an hourly
        quota per IP and one request per model interval."""
        request.state.model = model
        limits = self.settings.limits.client
        if not limits.enabled:
            return
        peer = request.client.host if request.client else ""
        ip = client_ip(peer, request.headers.get("x-forwarded-for"), limits.trusted_proxies)
        decision = self.client_limiter.check(ip, model)
        if not decision.allowed:
            self.metrics.limiter_rejections.labels(decision.reason or "client").inc()
            raise RateLimited(decision.detail, retry_after=decision.retry_after)

    def image_model_for(self, requested: str | None, prompt: str, size: str | None) -> str:
        """An explicit model; else the variant the prompt's or size's words ask for; else the
        default image model."""
        if requested:
            return self.model_for(requested)
        variant = image_variant(prompt, size)
        if variant and self.upstream.has_model(variant):
            return variant
        return self.model_for(self.settings.images.default_model)

    def check_prompt_size(self, chars: int) -> None:
        limit = self.settings.server.max_prompt_chars
        if chars > limit:
            raise BadRequest(f"Prompt is too long: {chars} characters, at most {limit}")

    def check_references(self, images: list[bytes]) -> list[bytes]:
        """Reference images a client sent: images within the byte and pixel limits."""
        limit = self.settings.images.max_reference_bytes
        return [check_reference(data, limit) for data in images]

    async def draw(self, request: ImageRequest) -> list[ImageResult]:
        """Images for one client request, recorded as a task so /health's task_stats counts it."""
        task = await self.jobs.create_single_task(
            request.prompt, {"model": request.model, "count": request.count}
        )
        try:
            results = await self.images.create(request)
        except ProxyError as exc:
            await self.jobs.finish_single(task, error=exc.message)
            raise
        await self.jobs.finish_single(task, result={"images": len(results)})
        return results

    def is_image_model(self, model: str) -> bool:
        return model in self.settings.image_models

    def public_base_url(self, request: Request) -> str:
        return (self.settings.server.public_base_url or str(request.base_url)).rstrip("/")

    def model_for(self, requested: str | None) -> str:
        """The public model a request names (or the default), or a 400 naming the choices."""
        model = requested or self.settings.default_model
        if not self.upstream.has_model(model):
            choices = ", ".join(sorted(self.upstream.router.model_names))
            raise BadRequest(f"Unknown model '{model}'. Available models: {choices}")
        return model

    async def close(self) -> None:
        await self.worker.stop(grace_seconds=5)
        await self.accounts.close()
        await self.jobs.close()


def build_image_pipeline(settings: Settings, metrics: Metrics) -> tuple[Storage, Pipeline]:
    """Storage and post-processing pipeline from config; a bad entry names its key."""
    server = settings.server
    try:
        storage = build_storage(settings.storage.options(server.data_dir, server.public_base_url))
        pipeline = Pipeline.from_config(settings.images.pipeline, storage=storage, observer=metrics)
    except PostprocessConfigError as exc:
        raise ConfigError(f"images/storage: {exc}") from None
    return storage, pipeline


async def build_services(
    settings: Settings,
    plugins: dict[str, CustomLLM],
    clock: Clock,
    metrics: Metrics,
    images: tuple[Storage, Pipeline],
) -> Services:
    use_cookie_cache(settings.server.data_dir)
    bridge_library_logs(settings.gemini_web.log_level)

    accounts = AccountPool(settings.accounts, settings.gemini_web)
    gate = AccountLimits([a.name for a in settings.accounts], settings.limits, clock, metrics)
    configure_litellm(settings, GeminiWebLLM(accounts, gate), plugins)
    upstream = Upstream(build_router(settings), settings.limits.retry, clock, metrics)
    storage, pipeline = images
    image_service = ImageService(upstream, pipeline, settings.storage.type, metrics)
    jobs = JobStore(
        settings.database_url, single_timeout_seconds=settings.jobs.single_timeout_seconds
    )
    await jobs.create_schema()
    options = settings.jobs
    # Its own clock: polling on a test's fake clock would race that clock forward.
    worker = JobWorker(
        jobs, image_service.run_batch_task, concurrency=options.worker_concurrency,
        lease_seconds=options.lease_seconds, poll_interval=options.poll_interval,
        max_attempts=options.max_attempts,
    )  # fmt: skip
    services = Services(
        settings=settings,
        accounts=accounts,
        upstream=upstream,
        gate=gate,
        client_limiter=ClientLimiter(settings.limits.client, clock),
        images=image_service,
        storage=storage,
        jobs=jobs,
        worker=worker,
        live=LiveState(accounts, gate),
        metrics=metrics,
        api_keys=tuple(k.get_secret_value().encode() for k in settings.auth.api_keys),
    )
    worker.start()
    metrics.workers.set(1)  # summed over live workers when several share the metrics
    metrics.watch(services.live)
    if not len(accounts):
        logger.warning("no Gemini web account configured: set GEMINI_SECURE_1PSID or accounts:")
    accounts.start()
    return services
