"""Images as files under a directory, which the proxy serves under `url_path`."""

import asyncio
import os
import tempfile
from pathlib import Path
from urllib.parse import quote

from ..naming import is_stored_name
from .base import StorageError, check_name


class LocalStorage:
    """Files under `directory`; URL = `{public_base_url or base_url}{url_path}/{name}`.

    Writes go to a temporary file in the target folder, are flushed to disk, then renamed over
    the target, so a crash never leaves a partial image under a real name. Putting the same
    bytes under an existing name is a no-op.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] = "./data/images",
        url_path: str = "/images",
        public_base_url: str | None = None,
        fsync: bool = True,
    ) -> None:
        self.directory = Path(directory)
        self.url_path = "/" + url_path.strip("/") if url_path.strip("/") else ""
        self.public_base_url = public_base_url
        self.fsync = fsync

    def path(self, name: str) -> Path:
        """The file for object `name`, guaranteed to lie inside the directory."""
        root = self.directory.resolve()
        target = (root / check_name(name)).resolve()
        if not target.is_relative_to(root) or target == root:
            raise StorageError(f"object name {name!r} escapes the image directory")
        return target

    def url(self, name: str, base_url: str) -> str:
        base = (self.public_base_url or base_url).rstrip("/")
        return f"{base}{self.url_path}/{quote(check_name(name))}"

    async def put(self, name: str, data: bytes, content_type: str, base_url: str) -> str:
        target = self.path(name)
        try:
            await asyncio.to_thread(self._write, target, data)
        except OSError as exc:
            raise StorageError(f"cannot write image {name!r}: {exc.strerror or exc}") from None
        return self.url(name, base_url)

    async def forget_before(self, moment: float, prefix: str) -> int:
        return await asyncio.to_thread(self._forget_before, moment, prefix)

    def _forget_before(self, moment: float, prefix: str) -> int:
        gone = 0
        folder = self.directory / prefix if prefix else self.directory
        if not folder.is_dir():
            return gone
        for path in folder.rglob("*"):
            # Dot files, writes in progress (see _write), never match.
            if is_stored_name(path.name) and path.is_file() and path.stat().st_mtime < moment:
                path.unlink(missing_ok=True)
                gone += 1
        return gone

    def _write(self, target: Path, data: bytes) -> None:
        if _same_content(target, data):
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
        try:
            os.fchmod(handle, 0o644)  # mkstemp makes 0600; a front web server may serve these
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                if self.fsync:
                    file.flush()
                    os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _same_content(target: Path, data: bytes) -> bool:
    try:
        if target.stat().st_size != len(data):
            return False
        return target.read_bytes() == data
    except FileNotFoundError:
        return False
