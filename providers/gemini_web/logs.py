"""Forward gemini_webapi's loguru output into standard logging, at a chosen level.

loguru prints everything at DEBUG to stderr by default, and `gemini_webapi.set_log_level`
removes every loguru handler of the process, so we add one filtered sink instead (and take it
away again when the app that added it stops).
"""

import contextlib
import logging

from loguru import logger as loguru_logger

_LIBRARY = "gemini_webapi"
_target = logging.getLogger("providers.gemini_web.library")


def _forward(message) -> None:  # type: ignore[no-untyped-def]
    record = message.record
    _target.log(record["level"].no, "%s", record["message"])


def bridge_library_logs(level: str) -> int:
    """Route the library's records at `level` and up into standard logging; returns the sink."""
    # loguru's own stderr sink (id 0) would print DEBUG lines; an earlier app may have removed it.
    with contextlib.suppress(ValueError):
        loguru_logger.remove(0)
    return loguru_logger.add(
        _forward,
        level=level.upper(),
        filter=lambda record: record["extra"].get("name") == _LIBRARY,
        format="{message}",
    )


def unbridge_library_logs(sink: int) -> None:
    with contextlib.suppress(ValueError):
        loguru_logger.remove(sink)
