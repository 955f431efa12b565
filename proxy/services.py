"""Everything a request may need, built once per app in its lifespan and closed with it."""

import logging
import os
import time
from dataclasses import dataclass, field

from fastapi import Request
from litellm.llms.custom_llm import CustomLLM

from providers.gemini_web import AccountPool, GeminiWebLLM, bridge_library_logs

from .clock import Clock
from .config import Settings
from .errors import BadRequest, RateLimited
from .limits import ClientLimiter, client_ip
from .live_metrics import LiveState
from .metrics import Metrics
from .routing import build_router, configure_litellm
from .upstream import Upstream

logger = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    accounts: AccountPool
    upstream: Upstream
    client_limiter: ClientLimiter
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

    def model_for(self, requested: str | None) -> str:
        """The public model a request names (or the default), or a 400 naming the choices."""
        model = requested or self.settings.default_model
        if not self.upstream.has_model(model):
            choices = ", ".join(sorted(self.upstream.router.model_names))
            raise BadRequest(f"Unknown model '{model}'. Available models: {choices}")
        return model

    async def close(self) -> None:
        await self.accounts.close()


async def build_services(
    settings: Settings, plugins: dict[str, CustomLLM], clock: Clock, metrics: Metrics
) -> Services:
    data_dir = settings.server.data_dir
    cookie_dir = data_dir / "cookies"
    cookie_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # The library caches cookies here; its default is /tmp/gemini_webapi, shared by all users.
    os.environ.setdefault("GEMINI_COOKIE_PATH", str(cookie_dir.resolve()))
    bridge_library_logs(settings.gemini_web.log_level)

    accounts = AccountPool(settings.accounts, settings.gemini_web)
    configure_litellm(settings, GeminiWebLLM(accounts), plugins)
    metrics.pool_size.labels("upstream").set(settings.limits.pool.size)
    services = Services(
        settings=settings,
        accounts=accounts,
        upstream=Upstream(build_router(settings), settings.limits, clock, metrics),
        client_limiter=ClientLimiter(settings.limits.client, clock),
        metrics=metrics,
        api_keys=tuple(k.get_secret_value().encode() for k in settings.auth.api_keys),
    )
    metrics.watch(LiveState(accounts, services.upstream.pacer))
    if not len(accounts):
        logger.warning("no Gemini web account configured: set GEMINI_SECURE_1PSID or accounts:")
    accounts.start()
    return services
