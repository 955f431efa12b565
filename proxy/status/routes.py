"""Status routes: health, info, cookie status, the model lists, and Prometheus metrics.

`/v1/models` is shared with google-genai 3.x (its default API version): Google's clients get
Google's documents there, everyone else OpenAI's.
"""

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from proxy.core.auth import require_api_key
from proxy.core.dialect import is_google_client
from proxy.core.metrics import Metrics
from proxy.deps import StatusDep
from proxy.status.schema import CookieStatus, Health, Info, ModelList, OpenAIModel, OpenAIModelList

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


@router.get("/v1/models", response_model=None, responses={200: {"model": OpenAIModelList}})
async def openai_models(request: Request, status: StatusDep) -> JSONResponse:
    if is_google_client(request):
        return JSONResponse(status.google_models().model_dump(by_alias=True))
    return JSONResponse(status.openai_models().model_dump())


@router.get("/v1/models/{model:path}", response_model=None, responses={200: {"model": OpenAIModel}})
async def openai_model(model: str, request: Request, status: StatusDep) -> JSONResponse:
    if is_google_client(request):
        return JSONResponse(status.google_model(model).model_dump(by_alias=True))
    return JSONResponse(status.openai_model(model).model_dump())
