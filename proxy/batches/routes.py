"""Batch image jobs: submit, follow, cancel, list. State lives in the job store, so a batch
survives a crash and resumes when the proxy starts again."""

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, field_validator

from proxy.core.auth import require_api_key
from proxy.core.errors import BadRequest, NotFound
from proxy.deps import ServicesDep
from proxy.jobs import MAX_BATCH_CONCURRENCY

router = APIRouter(tags=["batch"], dependencies=[Depends(require_api_key)])


class BatchRequest(BaseModel):
    prompts: list[str] = Field(min_length=1)
    response_type: Literal["url", "base64"] = "url"
    concurrency: int = Field(default=2, ge=1, le=MAX_BATCH_CONCURRENCY)
    model: str | None = None

    @field_validator("prompts")
    @classmethod
    def _non_empty(cls, prompts: list[str]) -> list[str]:
        if any(not p.strip() for p in prompts):
            raise ValueError("every prompt must be a non-empty string")
        return prompts


@router.post("/v1/batch/images")
async def submit(body: BatchRequest, http: Request, services: ServicesDep) -> dict[str, Any]:
    limit = services.settings.jobs.max_prompts
    if len(body.prompts) > limit:
        raise BadRequest(f"at most {limit} prompts per batch, got {len(body.prompts)}")
    model = services.image_model_for(body.model, body.prompts[0], None)
    services.admit(http, model)
    params = {
        "model": model,
        "response_type": body.response_type,
        "base_url": services.public_base_url(http),
    }
    batch = await services.jobs.create_batch(body.prompts, params, concurrency=body.concurrency)
    services.worker.wake()
    return {
        "batch_id": batch.id,
        "total": batch.total,
        "status": "processing",
        "message": f"批量任务已创建，共 {batch.total} 个任务；"
        f"进度请查询 /v1/batch/{batch.id}/status",
    }


@router.get("/v1/batch/{batch_id}/status")
async def status(batch_id: str, services: ServicesDep) -> dict[str, Any]:
    found = await services.jobs.batch_status(batch_id)
    if found is None:
        raise NotFound(f"No batch {batch_id!r}")
    return found


@router.delete("/v1/batch/{batch_id}")
async def cancel(batch_id: str, services: ServicesDep) -> dict[str, Any]:
    cancelled = await services.jobs.cancel_batch(batch_id)
    if cancelled is None:
        raise NotFound(f"No batch {batch_id!r}")
    return cancelled


@router.get("/v1/batch")
async def recent(
    services: ServicesDep, limit: int = Query(default=20, ge=1, le=100)
) -> dict[str, Any]:
    return {"batches": await services.jobs.list_batches(limit)}
