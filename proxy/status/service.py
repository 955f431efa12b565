"""Status: what the proxy can tell about itself (health, info, cookies, models, metrics)."""

import time

from postprocess import Pipeline
from providers.gemini_web import AccountPool
from proxy.accounts.gate import AccountLimits
from proxy.accounts.service import view
from proxy.core.config import Deployment, Settings
from proxy.core.errors import NotFound
from proxy.core.metrics import Metrics
from proxy.core.version import API_VERSION, PACKAGE_VERSION
from proxy.gemini.models import GoogleModel, GoogleModelList, google_model
from proxy.jobs import JobStore
from proxy.status.live_metrics import LiveState
from proxy.status.schema import (
    AccountsFigures,
    AccountStatus,
    ConcurrencyFigures,
    CookieStatus,
    Health,
    Info,
    ModelCategories,
    ModelEntry,
    ModelList,
    OpenAIModel,
    OpenAIModelList,
    RateLimiterFigures,
)

COOKIE_VALID = "Cookie有效，客户端已就绪"
COOKIE_INVALID = "Cookie无效或已过期"

ENDPOINTS: dict[str, str | list[str]] = {
    "health": "GET /health",
    "models": ["GET /api/models", "GET /v1/models", "GET /v1/models/{model}"],
    "cookies": "GET /api/cookies/status",
    "chat": "POST /v1/chat/completions",
    "responses": [
        "POST /v1/responses",
        "GET /v1/responses/{response_id}",
        "DELETE /v1/responses/{response_id}",
    ],
    "anthropic": ["POST /v1/messages", "POST /v1/messages/count_tokens"],
    "generate": "POST /v1/generate",
    "images": [
        "POST /v1/generate-images",
        "POST /v1/images/generations",
        "POST /v1/images/edit",
        "POST /v1/images/edits",
    ],
    "batch": [
        "POST /v1/batch/images",
        "GET /v1/batch/{batch_id}/status",
        "DELETE /v1/batch/{batch_id}",
        "GET /v1/batch",
    ],
    "gemini": [
        "POST /gemini/v1beta/models/{model}:generateContent",
        "POST /gemini/v1beta/models/{model}:streamGenerateContent",
        "POST /gemini/v1beta/models/{model}:editImage",
        "POST /gemini/v1beta/models/{model}:countTokens",
        "GET /gemini/v1beta/models",
        "GET /gemini/v1beta/models/{model}",
    ],
    "metrics": "GET /metrics",
}

FEATURES = [
    "watermark_removal",
    "smart_retry",
    "concurrency_pool",
    "resumable_batch_jobs",
    "openai_chat",
    "streaming",
    "gemini_native",
    "function_calling",
    "structured_output",
    "responses_api",
    "anthropic_messages",
    "extended_thinking",
    "multiple_accounts",
    "optional_api_keys",
    "prometheus_metrics",
]


class StatusService:
    def __init__(
        self,
        settings: Settings,
        accounts: AccountPool,
        gate: AccountLimits,
        jobs: JobStore,
        pipeline: Pipeline,
        metrics: Metrics,
        replica: str | None = None,
    ) -> None:
        """`replica`: this process's id among replicas sharing their limits (metrics label)."""
        self.settings = settings
        self.accounts = accounts
        self.gate = gate
        self.jobs = jobs
        self.pipeline = pipeline
        self.metrics = metrics
        self.live = LiveState(accounts, gate, replica)
        self.started_at = time.time()
        metrics.watch(self.live)

    async def health(self) -> Health:
        await self.gate.refresh()
        pacing = self.gate.pacing_stats
        pool = self.gate.pool_stats
        now = self.accounts.now()
        accounts = list(self.accounts)
        ready = [a for a in accounts if a.state.usable(now)]
        reason = None
        if not ready:
            states = ", ".join(f"{a.name} {a.state.state}: {a.state.reason}" for a in accounts)
            reason = f"no account is ready ({states or 'none configured'})"
        return Health(
            status="degraded" if reason else "ok",
            reason=reason,
            version=API_VERSION,
            client_ready=any(a.health.cookie_valid for a in ready),
            accounts=AccountsFigures(ready=len(ready), total=len(accounts)),
            watermark_removal="watermark" in self.pipeline.step_names,
            rate_limiter=RateLimiterFigures(
                current_delay=round(pacing.current_delay, 2),
                requests_last_minute=pacing.requests_last_minute,
                consecutive_429s=pacing.consecutive_429s,
                rpm_limit=pacing.rpm_limit,
            ),
            task_stats=await self.jobs.task_stats(),
            concurrency=ConcurrencyFigures(
                max=pool.max, available=pool.available, queued=pool.queued
            ),
        )

    def info(self) -> Info:
        return Info(
            name="gemini-proxy",
            version=API_VERSION,
            package_version=PACKAGE_VERSION,
            default_model=self.settings.default_model,
            endpoints=ENDPOINTS,
            features=FEATURES,
        )

    def cookies(self) -> CookieStatus:
        now = self.accounts.now()
        accounts = [
            AccountStatus(
                **view(a, now).model_dump(), valid=a.health.cookie_valid, error=a.health.last_error
            )
            for a in self.accounts
        ]
        valid = any(a.valid and a.state == "ready" for a in accounts)
        return CookieStatus(
            valid=valid, message=COOKIE_VALID if valid else COOKIE_INVALID, accounts=accounts
        )

    def models(self) -> ModelList:
        entries: list[ModelEntry] = []
        text: list[str] = []
        image: list[str] = []
        for deployment in self.settings.public_models:
            info = deployment.model_info
            name = deployment.model_name
            entries.append(
                ModelEntry(
                    id=name,
                    name=info.get("name", name),
                    description=info.get("description", ""),
                )
            )
            (image if info.get("mode") == "image_generation" else text).append(name)
        return ModelList(
            models=entries,
            categories=ModelCategories(text=text, image=image),
            default=self.settings.default_model,
        )

    def openai_models(self) -> OpenAIModelList:
        return OpenAIModelList(data=[self._openai(d) for d in self.settings.public_models])

    def openai_model(self, model: str) -> OpenAIModel:
        return self._openai(self.model(model))

    def _openai(self, deployment: Deployment) -> OpenAIModel:
        return OpenAIModel(id=deployment.model_name, created=int(self.started_at))

    def google_models(self) -> GoogleModelList:
        return GoogleModelList(models=[google_model(d) for d in self.settings.public_models])

    def google_model(self, model: str) -> GoogleModel:
        return google_model(self.model(model))

    def model(self, model: str) -> Deployment:
        """A public model by id (`models/` prefix allowed, as Google's clients send it)."""
        wanted = model.removeprefix("models/")
        for deployment in self.settings.public_models:
            if deployment.model_name == wanted:
                return deployment
        raise NotFound(f"Model '{wanted}' not found")

    async def metrics_text(self) -> bytes:
        """Prometheus exposition; job task counts are read first (the store is async)."""
        self.live.tasks = await self.jobs.task_stats()
        await self.gate.refresh()
        return self.metrics.render()
