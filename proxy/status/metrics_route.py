"""Prometheus exposition (no API key: it holds no secrets, and scrapers rarely send one)."""

from fastapi import APIRouter, Response

from proxy.deps import ServicesDep

router = APIRouter(tags=["metrics"])


@router.get("/metrics")
async def metrics(services: ServicesDep) -> Response:
    services.live.tasks = await services.jobs.task_stats()
    return Response(services.metrics.render(), media_type=services.metrics.content_type)
