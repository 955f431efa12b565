"""Where processed images go: a local directory (default) or an S3-compatible bucket.

`S3Storage` lives in `postprocess.storage.s3`, imported only when S3 is configured: boto3 costs
~7 MB and ~0.1 s that a proxy storing locally need not pay.
"""

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import PipelineConfigError
from .base import Storage, StorageError, check_name
from .local import LocalStorage

__all__ = ["LocalStorage", "Storage", "StorageError", "build_storage", "check_name"]


def build_storage(config: Mapping[str, Any] | None = None) -> Storage:
    """A storage from `{"type": "local" | "s3", ...constructor options}` (default: local)."""
    options = dict(config or {})
    kind = options.pop("type", "local")
    storage_class: Callable[..., Storage]
    if kind == "local":
        storage_class = LocalStorage
    elif kind == "s3":
        from .s3 import S3Storage

        storage_class = S3Storage
    else:
        raise PipelineConfigError(f"unknown storage type {kind!r}; use 'local' or 's3'")
    try:
        return storage_class(**options)
    except (TypeError, ValueError) as exc:
        raise PipelineConfigError(f"storage {kind!r}: {exc}") from None
