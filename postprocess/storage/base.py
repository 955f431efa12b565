"""The storage interface: put bytes under an object name, get back a public URL."""

from typing import Protocol, runtime_checkable

from ..errors import StorageError

__all__ = ["Storage", "StorageError", "check_name"]


@runtime_checkable
class Storage(Protocol):
    async def put(self, name: str, data: bytes, content_type: str, base_url: str) -> str:
        """Store `data` as `name` and return its public URL; raises `StorageError`.

        `base_url` is the request's base URL, used when no public URL is configured.
        """
        ...

    async def forget_before(self, moment: float, prefix: str) -> int:
        """Delete the images stored under `prefix` before `moment` (Unix time), and nothing
        else (a shared folder or bucket keeps what is not ours); returns how many went."""
        ...


def check_name(name: str) -> str:
    """`name` if it is a safe relative object name (`a/b.png`), else raises `StorageError`.

    Rejects what could escape a directory or confuse a URL: absolute paths, backslashes,
    `.`/`..`/empty segments, control characters and drive letters.
    """
    segments = name.split("/")
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or ":" in name
        or any(ord(char) < 32 or ord(char) == 127 for char in name)
        or any(segment in ("", ".", "..") for segment in segments)
    ):
        raise StorageError(f"invalid object name {name!r}")
    return name
