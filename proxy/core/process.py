"""What an app sets in the process it runs in: set when it starts, undone when it stops.

litellm reads its providers (`custom_provider_map`) and settings from module globals on every
call; gemini_webapi reads its cookie-cache folder from the `GEMINI_COOKIE_PATH` variable and
logs through loguru's process-wide logger. Two apps cannot each have their own of these, so a
process runs one app at a time: starting a second while one runs raises `ProcessTaken`, and
everything the first one set is restored when it closes (so the next app starts clean).
"""

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import litellm
from litellm.llms.custom_llm import CustomLLM

from providers.gemini_web import bridge_library_logs, unbridge_library_logs

COOKIE_PATH_ENV = "GEMINI_COOKIE_PATH"
_LIBRARY_LOGGERS = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy")
# Lists litellm appends to: custom providers on first use, and each Router's callbacks.
_LIBRARY_LISTS = (
    "provider_list",
    "_custom_providers",
    "success_callback",
    "failure_callback",
    "_async_success_callback",
    "_async_failure_callback",
)

# Held while an app runs: the one thing it may not share.
_RUNNING = threading.Lock()


class ProcessTaken(RuntimeError):
    """Another app is running in this process."""


@contextmanager
def _litellm_settings(values: dict[str, Any]) -> Iterator[None]:
    saved = {key: getattr(litellm, key) for key in values}
    lists = {name: list(getattr(litellm, name)) for name in _LIBRARY_LISTS}
    loggers = {
        name: (list(logging.getLogger(name).handlers), logging.getLogger(name).level)
        for name in _LIBRARY_LOGGERS
    }
    try:
        for key, value in values.items():
            setattr(litellm, key, value)
        # litellm attaches its own handlers (every line would print twice) and narrates each
        # request at INFO; its warnings and errors still come through.
        for name in _LIBRARY_LOGGERS:
            library = logging.getLogger(name)
            library.handlers.clear()
            library.setLevel(max(logging.WARNING, logging.getLogger().getEffectiveLevel()))
        yield
    finally:
        for key, value in saved.items():
            setattr(litellm, key, value)
        for name, items in lists.items():
            getattr(litellm, name)[:] = items
        for name, (handlers, level) in loggers.items():
            logging.getLogger(name).handlers[:] = handlers
            logging.getLogger(name).setLevel(level)


@contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    saved = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = saved


@contextmanager
def library_environment(cookie_dir: Path, log_level: str) -> Iterator[None]:
    """gemini_webapi's cookie cache in `cookie_dir` (its default, /tmp/gemini_webapi, is shared
    by every user of the machine) and its log lines forwarded at `log_level`.

    The library names each cache file after the whole `__Secure-1PSID`, so even a listing of
    the folder gives the account away: the folder is made private to us on every start, also
    when it already existed with wider rights."""
    cookie_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    cookie_dir.chmod(0o700)
    with _environment(COOKIE_PATH_ENV, str(cookie_dir.resolve())):
        sink = bridge_library_logs(log_level)
        try:
            yield
        finally:
            unbridge_library_logs(sink)


@contextmanager
def running_app(
    providers: dict[str, CustomLLM],
    litellm_settings: dict[str, Any],
    cookie_dir: Path,
    library_log_level: str,
) -> Iterator[None]:
    """Own the process for one app: its providers and litellm settings, the library's cookie
    folder and log bridge; all undone on exit."""
    if not _RUNNING.acquire(blocking=False):
        raise ProcessTaken(
            "another gemini-proxy app is already running in this process (litellm keeps its "
            "providers in module globals); close it first or use another process"
        )
    values = {k: v for k, v in litellm_settings.items() if k != "custom_provider_map"}
    values["custom_provider_map"] = [
        {"provider": name, "custom_handler": handler} for name, handler in providers.items()
    ]
    values["suppress_debug_info"] = True
    try:
        with _litellm_settings(values), library_environment(cookie_dir, library_log_level):
            yield
    finally:
        _RUNNING.release()
