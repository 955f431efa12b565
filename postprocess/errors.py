"""Every exception the post-processing package raises.

    PostprocessError
    ├── InvalidImageError   not an image, unsupported, truncated, or over the size limits
    ├── PipelineConfigError a pipeline step or storage config that cannot be built
    └── StorageError        an upload or read failed; the message never holds credentials

Callers catch `PostprocessError`. Inside a pipeline every step failure falls back to the image
as it was, except `StorageError`, which propagates because the client asked for a URL.
"""


class PostprocessError(Exception):
    """Base of every error raised by `postprocess`."""


class InvalidImageError(PostprocessError):
    """The bytes are not a decodable image within the configured limits."""


class PipelineConfigError(PostprocessError):
    """A pipeline step or storage config is invalid (unknown step, bad option, ...)."""


class StorageError(PostprocessError):
    """Storing or reading an image failed."""
