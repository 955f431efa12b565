"""The gemini-web provider: Gemini web accounts served through litellm.

The settings and `PROVIDER_NAME` are light; everything else pulls in litellm or gemini_webapi
and is imported on first use (PEP 562), so validating a config stays fast.
"""

import importlib
from typing import TYPE_CHECKING, Any

from .settings import AccountSettings, GeminiWebSettings

if TYPE_CHECKING:
    from .accounts import Account, AccountHealth, AccountPool
    from .errors import GeminiWebError
    from .gate import AccountGate, OpenGate
    from .logs import bridge_library_logs, unbridge_library_logs
    from .plugin import GeminiWebLLM
    from .usage import prompt_tokens

PROVIDER_NAME = "gemini-web"

_LAZY = {
    "Account": "accounts",
    "AccountHealth": "accounts",
    "AccountPool": "accounts",
    "GeminiWebError": "errors",
    "AccountGate": "gate",
    "OpenGate": "gate",
    "bridge_library_logs": "logs",
    "unbridge_library_logs": "logs",
    "prompt_tokens": "usage",
    "GeminiWebLLM": "plugin",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)


__all__ = [
    "PROVIDER_NAME",
    "Account",
    "AccountGate",
    "AccountHealth",
    "AccountPool",
    "AccountSettings",
    "GeminiWebError",
    "GeminiWebLLM",
    "GeminiWebSettings",
    "OpenGate",
    "bridge_library_logs",
    "prompt_tokens",
    "unbridge_library_logs",
]
