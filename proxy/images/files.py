"""Stored images, served when storage is a local folder (public, like the URLs handed out)."""

from fastapi import APIRouter
from fastapi.responses import FileResponse

from postprocess import LocalStorage, StorageError
from proxy.core.errors import NotFound
from proxy.deps import ServicesDep

router = APIRouter(tags=["images"])


@router.get("/images/{name:path}")
async def stored_image(name: str, services: ServicesDep) -> FileResponse:
    storage = services.storage
    if not isinstance(storage, LocalStorage):
        raise NotFound("Images are not served by this proxy")
    try:
        path = storage.path(name)
    except StorageError:
        raise NotFound("No such image") from None
    if not path.is_file():
        raise NotFound("No such image")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=31536000, immutable"})
