"""Retention: finished batches, single-request records, stored Responses and stored images are
kept for a while (`jobs.retention_days`, `storage.retention_days`), then forgotten, so nothing
grows forever.

One small loop per app, hourly; 0 days keeps everything. It asks each capability to forget its
own: the batch service its job rows, the Responses service its stored responses, the image
service its stored files.
"""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from proxy.batches.service import BatchService
from proxy.images.service import ImageService
from proxy.responses.service import ResponsesService

logger = logging.getLogger(__name__)

HOUR = 3600.0


async def tidy(
    batches: BatchService,
    responses: ResponsesService,
    images: ImageService,
    jobs_days: float,
    images_days: float,
) -> None:
    """Forget once what has passed its retention."""
    now = datetime.now(UTC)
    if jobs_days > 0:
        gone = await batches.forget_finished(now - timedelta(days=jobs_days))
        if gone:
            logger.info("retention: %d finished job records removed", gone)
        gone = await responses.forget_stored(now - timedelta(days=jobs_days))
        if gone:
            logger.info("retention: %d stored responses removed", gone)
    if images_days > 0:
        gone = await images.forget_stored(now - timedelta(days=images_days))
        if gone:
            logger.info("retention: %d stored images removed", gone)


async def keep_tidy(
    batches: BatchService,
    responses: ResponsesService,
    images: ImageService,
    jobs_days: float,
    images_days: float,
) -> None:
    """`tidy`, hourly, on real time (tests call `tidy` itself)."""
    while True:
        try:
            await tidy(batches, responses, images, jobs_days, images_days)
        except Exception as exc:  # the database or the bucket may be away for a while
            logger.warning("retention: cleanup failed: %s", type(exc).__name__)
        await asyncio.sleep(HOUR)
