"""Attachments -> files on disk with the right extension, as `gemini_webapi` wants them.

The library uploads `bytes` as `.txt`, so every attachment is written to a temporary file whose
suffix matches its type; http(s) images are fetched first, within a size limit.
"""

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from .errors import GeminiWebError
from .prompt import Attachment


async def _fetch(url: str, limit: int) -> bytes:
    try:
        async with (
            httpx.AsyncClient(follow_redirects=True, timeout=30) as http,
            http.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise GeminiWebError(400, f"image URL answered HTTP {response.status_code}")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise GeminiWebError(400, f"image at URL is larger than {limit} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.HTTPError:
        raise GeminiWebError(400, "could not download the image URL") from None


@asynccontextmanager
async def attachment_files(attachments: list[Attachment], limit: int) -> AsyncIterator[list[Path]]:
    """Write `attachments` to a private temporary folder for the duration of the call."""
    if not attachments:
        yield []
        return
    with tempfile.TemporaryDirectory(prefix="gemini-proxy-") as folder:
        paths = []
        for index, attachment in enumerate(attachments):
            data = attachment.data
            if data is None:
                data = await _fetch(attachment.url or "", limit)
            if len(data) > limit:
                raise GeminiWebError(400, f"attachment is larger than {limit} bytes")
            path = Path(folder) / f"input_{index}{attachment.suffix}"
            path.write_bytes(data)
            paths.append(path)
        yield paths
