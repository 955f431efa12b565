"""Attachments -> files on disk with the right extension, as `gemini_webapi` wants them.

The library uploads `bytes` as `.txt`, so every attachment is written to a temporary file whose
suffix matches its type; http(s) URLs are fetched first, by the safe fetcher.
"""

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from .errors import GeminiWebError
from .fetch import SafeFetcher
from .prompt import Attachment


@asynccontextmanager
async def attachment_files(
    attachments: list[Attachment], fetcher: SafeFetcher
) -> AsyncIterator[list[Path]]:
    """Write `attachments` to a private temporary folder for the duration of the call."""
    if not attachments:
        yield []
        return
    with tempfile.TemporaryDirectory(prefix="gemini-proxy-") as folder:
        paths = []
        for index, attachment in enumerate(attachments):
            data = attachment.data
            suffix = attachment.suffix
            if data is None:  # the proxy inlines URLs before routing; other callers land here
                mime, data = await fetcher.fetch(attachment.url or "")
                suffix = Attachment(mime).suffix
            limit = fetcher.max_bytes
            if len(data) > limit:
                raise GeminiWebError(400, f"attachment is larger than {limit} bytes")
            path = Path(folder) / f"input_{index}{suffix}"
            path.write_bytes(data)
            paths.append(path)
        yield paths
