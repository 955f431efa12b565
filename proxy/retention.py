"""Retention: finished batches, single-request records, stored Responses and stored images are
kept for a while (`jobs.retention_days`, `storage.retention_days`), then forgotten, so nothing
grows forever.

One small loop per app, hourly; 0 days keeps everything. It asks each capability to forget its
own: the batch service its job rows, the Responses service its stored responses, the image
service its stored files.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from proxy.batches.service import BatchService
from proxy.images.service import ImageService
from proxy.responses.service import ResponsesService

logger = logging.getLogger(__name__)

HOUR = 3600.0


@dataclass(frozen=True)
class Retention:
    """What each capability keeps and for how many days (0: forever)."""

    batches: BatchService
    responses: ResponsesService
    images: ImageService
    jobs_days: float
    images_days: float

    async def tidy(self) -> None:
        """Forget once what has passed its retention."""
        now = datetime.now(UTC)
        rounds = (
            (self.batches.forget_finished, self.jobs_days, "finished job records"),
            (self.responses.forget_stored, self.jobs_days, "stored responses"),
            (self.images.forget_stored, self.images_days, "stored images"),
        )
        for forget, days, what in rounds:
            if days > 0 and (gone := await forget(now - timedelta(days=days))):
                logger.info("retention: %d %s removed", gone, what)

    async def keep_tidy(self) -> None:
        """`tidy`, hourly, on real time (tests call `tidy` itself)."""
        while True:
            try:
                await self.tidy()
            except Exception as exc:  # the database or the bucket may be away for a while
                logger.warning("retention: cleanup failed: %s", type(exc).__name__)
            await asyncio.sleep(HOUR)
