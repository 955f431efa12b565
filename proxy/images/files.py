"""Stored images, served when storage is a local folder (public, like the URLs handed out)."""

import mimetypes

from fastapi import APIRouter
from fastapi.responses import FileResponse

from postprocess import LocalStorage, StorageError
from proxy.core.errors import NotFound
from proxy.deps import ServicesDep

router = APIRouter(tags=["images"])
_NOSNIFF = {"X-Content-Type-Options": "nosniff"}


@router.get("/images/{name:path}")
async def stored_image(name: str, services: ServicesDep) -> FileResponse:
    storage = services.storage
    if not isinstance(storage, LocalStorage):
        raise NotFound("Images are not served by this proxy")
    try:
        path = storage.path(name)
        found = path.is_file()
    except (StorageError, OSError, RuntimeError):  # too long a name, a symlink loop...
        raise NotFound("No such image") from None
    if not found:
        raise NotFound("No such image")
    # Stored files are images: never let a browser read one as HTML or guess its type.
    mime = mimetypes.guess_type(path.name)[0] or ""
    media_type = mime if mime.startswith("image/") else "application/octet-stream"
    headers = {"Cache-Control": "public, max-age=31536000, immutable", **_NOSNIFF}
    return FileResponse(path, media_type=media_type, headers=headers)
