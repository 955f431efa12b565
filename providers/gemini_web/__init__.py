"""The gemini-web provider: Gemini web accounts served through litellm."""

from .accounts import Account, AccountHealth, AccountPool
from .errors import GeminiWebError
from .gate import AccountGate, OpenGate
from .logs import bridge_library_logs, unbridge_library_logs
from .plugin import GeminiWebLLM
from .settings import AccountSettings, GeminiWebSettings
from .usage import prompt_tokens

PROVIDER_NAME = "gemini-web"

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
