"""Batch image jobs: submit, follow, cancel, list."""

from fastapi import APIRouter, Depends, Query

from proxy.batches.schema import (
    BatchCancelled,
    BatchCreated,
    BatchList,
    BatchReport,
    BatchRequest,
)
from proxy.core.auth import require_api_key
from proxy.deps import BatchesDep, CallerDep

router = APIRouter(tags=["batch"], dependencies=[Depends(require_api_key)])


@router.post("/v1/batch/images", response_model_exclude_none=True)
async def submit(body: BatchRequest, caller: CallerDep, batches: BatchesDep) -> BatchCreated:
    return await batches.submit(caller, body)


@router.get("/v1/batch/{batch_id}/status", response_model_exclude_none=True)
async def status(batch_id: str, batches: BatchesDep) -> BatchReport:
    return await batches.status(batch_id)


@router.delete("/v1/batch/{batch_id}", response_model_exclude_none=True)
async def cancel(batch_id: str, batches: BatchesDep) -> BatchCancelled:
    return await batches.cancel(batch_id)


@router.get("/v1/batch", response_model_exclude_none=True)
async def recent(batches: BatchesDep, limit: int = Query(default=20, ge=1, le=100)) -> BatchList:
    return await batches.recent(limit)
