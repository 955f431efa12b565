"""Stored images, served when storage is a local folder (public, like the URLs handed out)."""

from fastapi import APIRouter
from fastapi.responses import FileResponse

from proxy.core.errors import NotFound
from proxy.deps import ImagesDep

router = APIRouter(tags=["images"])


@router.get("/images/{name:path}", response_class=FileResponse)
async def stored_image(name: str, images: ImagesDep) -> FileResponse:
    path = images.stored_file(name)
    if path is None:
        raise NotFound("No such image")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=31536000, immutable"})
