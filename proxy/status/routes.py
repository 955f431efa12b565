"""Service information: health, info, cookie status and the model lists."""

from typing import Any

from fastapi import APIRouter, Depends

from proxy.core.auth import require_api_key
from proxy.core.version import API_VERSION, PACKAGE_VERSION
from proxy.deps import ServicesDep

health_router = APIRouter(tags=["info"])
router = APIRouter(tags=["info"], dependencies=[Depends(require_api_key)])

COOKIE_VALID = "Cookie有效，客户端已就绪"
COOKIE_INVALID = "Cookie无效或已过期"


@health_router.get("/health")
async def health(services: ServicesDep) -> dict[str, Any]:
    pacing = services.gate.pacing_stats
    pool = services.gate.pool_stats
    return {
        "status": "ok",
        "version": API_VERSION,
        "client_ready": any(a.health.cookie_valid for a in services.accounts),
        "watermark_removal": "watermark" in services.images.pipeline.step_names,
        "rate_limiter": {
            "current_delay": round(pacing.current_delay, 2),
            "requests_last_minute": pacing.requests_last_minute,
            "consecutive_429s": pacing.consecutive_429s,
            "rpm_limit": pacing.rpm_limit,
        },
        "task_stats": await services.jobs.task_stats(),
        "concurrency": {"max": pool.max, "available": pool.available, "queued": pool.queued},
    }


@router.get("/api/info")
async def info(services: ServicesDep) -> dict[str, Any]:
    return {
        "name": "gemini-proxy",
        "version": API_VERSION,
        "package_version": PACKAGE_VERSION,
        "default_model": services.settings.default_model,
        "endpoints": {
            "health": "GET /health",
            "models": ["GET /api/models", "GET /v1/models"],
            "cookies": "GET /api/cookies/status",
            "chat": "POST /v1/chat/completions",
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
            ],
            "metrics": "GET /metrics",
        },
        "features": [
            "watermark_removal",
            "smart_retry",
            "concurrency_pool",
            "resumable_batch_jobs",
            "openai_chat",
            "streaming",
            "gemini_native",
            "function_calling",
            "multiple_accounts",
            "optional_api_keys",
            "prometheus_metrics",
        ],
    }


@router.get("/api/cookies/status")
async def cookie_status(services: ServicesDep) -> dict[str, Any]:
    accounts = [
        {"name": a.name, "valid": a.health.cookie_valid, "error": a.health.last_error}
        for a in services.accounts
    ]
    valid = any(a["valid"] for a in accounts)
    return {
        "valid": valid,
        "message": COOKIE_VALID if valid else COOKIE_INVALID,
        "accounts": accounts,
    }


@router.get("/api/models")
async def api_models(services: ServicesDep) -> dict[str, Any]:
    models: list[dict[str, str]] = []
    text: list[str] = []
    image: list[str] = []
    for deployment in services.settings.public_models:
        info = deployment.model_info
        models.append(
            {
                "id": deployment.model_name,
                "name": info.get("name", deployment.model_name),
                "description": info.get("description", ""),
            }
        )
        is_image = info.get("mode") == "image_generation"
        (image if is_image else text).append(deployment.model_name)
    return {
        "models": models,
        "categories": {"text": text, "image": image},
        "default": services.settings.default_model,
    }


@router.get("/v1/models")
async def openai_models(services: ServicesDep) -> dict[str, Any]:
    created = int(services.started_at)
    return {
        "object": "list",
        "data": [
            {"id": d.model_name, "object": "model", "created": created, "owned_by": "gemini-proxy"}
            for d in services.settings.public_models
        ],
    }
