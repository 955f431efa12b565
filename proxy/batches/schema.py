"""Batch documents: what a client sends and gets back, and what a task keeps in the store."""

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from proxy.jobs import MAX_BATCH_CONCURRENCY


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


class BatchTaskParams(BaseModel):
    """What each task of a batch keeps in the store besides its prompt."""

    model: str
    response_type: Literal["url", "base64"] = "url"
    base_url: str = ""


class BatchTaskResult(BaseModel):
    """A finished task's result: the image's URL, or the image itself as a data URL."""

    url: str | None = None
    image: str | None = None


class BatchCreated(BaseModel):
    batch_id: str
    total: int
    status: str
    message: str


class BatchSummary(BaseModel):
    batch_id: str
    total: int
    completed: int
    failed: int
    pending: int
    progress: str
    status: str
    processing: int
    cancelled: int
    model: str | None
    created_at: str


class TaskResult(BatchTaskResult):
    task_id: str


class TaskError(BaseModel):
    task_id: str
    error: str | None


class BatchReport(BatchSummary):
    results: list[TaskResult]
    errors: list[TaskError]


class BatchCancelled(BaseModel):
    batch_id: str
    cancelled: int
    running: int


class BatchList(BaseModel):
    batches: list[BatchSummary]
