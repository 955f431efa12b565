"""Where processed images go: a local directory (default) or an S3-compatible bucket."""

from collections.abc import Mapping
from typing import Any

from ..errors import PipelineConfigError
from .base import Storage, StorageError, check_name
from .local import LocalStorage
from .s3 import S3Storage

__all__ = ["LocalStorage", "S3Storage", "Storage", "StorageError", "build_storage", "check_name"]


def build_storage(config: Mapping[str, Any] | None = None) -> Storage:
    """A storage from `{"type": "local" | "s3", ...constructor options}` (default: local)."""
    options = dict(config or {})
    kind = options.pop("type", "local")
    classes: dict[str, type[LocalStorage] | type[S3Storage]] = {
        "local": LocalStorage,
        "s3": S3Storage,
    }
    if kind not in classes:
        raise PipelineConfigError(f"unknown storage type {kind!r}; use 'local' or 's3'")
    try:
        return classes[kind](**options)
    except (TypeError, ValueError) as exc:
        raise PipelineConfigError(f"storage {kind!r}: {exc}") from None
