"""Stored images, served when storage is a local folder (public, like the URLs handed out)."""

import mimetypes

from fastapi import APIRouter
from fastapi.responses import FileResponse

from proxy.core.errors import NotFound
from proxy.deps import ImagesDep

router = APIRouter(tags=["images"])
_NOSNIFF = {"X-Content-Type-Options": "nosniff"}


@router.get("/images/{name:path}", response_class=FileResponse)
async def stored_image(name: str, images: ImagesDep) -> FileResponse:
    path = images.stored_file(name)
    if path is None:
        raise NotFound("No such image")
    # Stored files are images: never let a browser read one as HTML or guess its type.
    mime = mimetypes.guess_type(path.name)[0] or ""
    media_type = mime if mime.startswith("image/") else "application/octet-stream"
    headers = {"Cache-Control": "public, max-age=31536000, immutable", **_NOSNIFF}
    return FileResponse(path, media_type=media_type, headers=headers)
