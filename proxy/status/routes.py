"""Status routes: health, info, cookie status, the model lists, and Prometheus metrics."""

from fastapi import APIRouter, Depends, Response

from proxy.core.auth import require_api_key
from proxy.core.metrics import Metrics
from proxy.deps import StatusDep
from proxy.status.schema import CookieStatus, Health, Info, ModelList, OpenAIModelList

open_router = APIRouter(tags=["info"])
"""No API key: health checks and scrapers rarely send one, and these hold no secrets."""
router = APIRouter(tags=["info"], dependencies=[Depends(require_api_key)])


@open_router.get("/health")
async def health(status: StatusDep) -> Health:
    return await status.health()


@open_router.get("/metrics", response_class=Response, tags=["metrics"])
async def metrics(status: StatusDep) -> Response:
    return Response(await status.metrics_text(), media_type=Metrics.content_type)


@router.get("/api/info")
async def info(status: StatusDep) -> Info:
    return status.info()


@router.get("/api/cookies/status")
async def cookie_status(status: StatusDep) -> CookieStatus:
    return status.cookies()


@router.get("/api/models")
async def api_models(status: StatusDep) -> ModelList:
    return status.models()


@router.get("/v1/models")
async def openai_models(status: StatusDep) -> OpenAIModelList:
    return status.openai_models()
