"""Batches: admit and record a batch of prompts, run its tasks in the background (one image
each, through the image service), report, cancel and list. State lives in the job store, so a
batch survives a crash and resumes when the proxy starts again."""

from datetime import datetime

from proxy.batches.schema import (
    BatchCancelled,
    BatchCreated,
    BatchList,
    BatchReport,
    BatchRequest,
    BatchSummary,
    BatchTaskParams,
    BatchTaskResult,
)
from proxy.core.admission import Admission, Caller
from proxy.core.errors import BadRequest, NotFound
from proxy.core.models import ModelCatalog
from proxy.images.service import Drawing, ImageService
from proxy.jobs import JobsConfig, JobStore, JobWorker, TaskInfo, object_name_seed


class BatchService:
    def __init__(
        self,
        admission: Admission,
        models: ModelCatalog,
        images: ImageService,
        jobs: JobStore,
        options: JobsConfig,
    ) -> None:
        self.admission = admission
        self.models = models
        self.images = images
        self.jobs = jobs
        self.max_prompts = options.max_prompts
        # Its own clock: polling on a test's fake clock would race that clock forward.
        self.worker = JobWorker(
            jobs, self.run_task, concurrency=options.worker_concurrency,
            lease_seconds=options.lease_seconds, poll_interval=options.poll_interval,
            max_attempts=options.max_attempts,
        )  # fmt: skip

    async def submit(self, caller: Caller, request: BatchRequest) -> BatchCreated:
        prompts = request.prompts
        if len(prompts) > self.max_prompts:
            raise BadRequest(f"at most {self.max_prompts} prompts per batch, got {len(prompts)}")
        model = self.models.resolve_image(request.model, prompts[0], None)
        await self.admission.admit(caller, model, max(len(p) for p in prompts))
        params = BatchTaskParams(
            model=model, response_type=request.response_type, base_url=caller.base_url
        )
        batch = await self.jobs.create_batch(
            prompts, params.model_dump(), concurrency=request.concurrency
        )
        self.worker.wake()
        return BatchCreated(
            batch_id=batch.id,
            total=batch.total,
            status="processing",
            message=f"批量任务已创建，共 {batch.total} 个任务；"
            f"进度请查询 /v1/batch/{batch.id}/status",
        )

    async def status(self, batch_id: str) -> BatchReport:
        found = await self.jobs.batch_status(batch_id)
        if found is None:
            raise NotFound(f"No batch {batch_id!r}")
        return BatchReport.model_validate(found)

    async def cancel(self, batch_id: str) -> BatchCancelled:
        cancelled = await self.worker.cancel_batch(batch_id)
        if cancelled is None:
            raise NotFound(f"No batch {batch_id!r}")
        return BatchCancelled.model_validate(cancelled)

    async def recent(self, limit: int) -> BatchList:
        summaries = await self.jobs.list_batches(limit)
        return BatchList(batches=[BatchSummary.model_validate(s) for s in summaries])

    async def run_task(self, task: TaskInfo) -> dict[str, str]:
        """One batch task: one image, stored under a name derived from the task, so that a
        re-run after a crash overwrites instead of adding a second image."""
        params = BatchTaskParams.model_validate(task.params)
        want_url = params.response_type == "url"
        drawing = Drawing(
            model=params.model, prompt=task.prompt, want_url=want_url, base_url=params.base_url,
            name_seed=object_name_seed(task), named_at=task.created_at,
        )  # fmt: skip
        (image,) = await self.images.render(drawing)
        result = (
            BatchTaskResult(url=image.url) if want_url else BatchTaskResult(image=image.data_url())
        )
        return result.model_dump(exclude_none=True)

    async def forget_finished(self, before: datetime) -> int:
        """Job records of batches and single requests that ended before `before`."""
        return await self.jobs.forget_finished(before)

    def start(self) -> None:
        self.worker.start()

    async def close(self) -> None:
        await self.worker.stop(grace_seconds=5)
