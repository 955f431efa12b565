"""Build the `litellm.Router` and register provider plugins from config.

litellm keeps providers and settings on module globals; this is the one place that touches
them, once per app start-up.
"""

import importlib
import logging
from typing import Any

import litellm
from litellm.llms.custom_llm import CustomLLM

from providers.gemini_web import PROVIDER_NAME, GeminiWebLLM

from .config import ConfigError, Settings

logger = logging.getLogger(__name__)


def _import_handler(dotted: str, where: str) -> CustomLLM:
    module_name, _, attribute = dotted.rpartition(".")
    try:
        handler = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError):
        raise ConfigError(f"{where}: cannot import {dotted!r}") from None
    if isinstance(handler, type):
        handler = handler()
    if not isinstance(handler, CustomLLM):
        raise ConfigError(f"{where}: {dotted!r} is not a litellm CustomLLM")
    return handler


def configure_litellm(settings: Settings, gemini_web: GeminiWebLLM) -> None:
    """Apply `litellm_settings` and register providers: ours, then any named in config."""
    providers: dict[str, Any] = {PROVIDER_NAME: gemini_web}
    for key, value in settings.litellm_settings.items():
        if key == "custom_provider_map":
            for index, item in enumerate(value or []):
                where = f"litellm_settings.custom_provider_map.{index}"
                if not isinstance(item, dict) or {"provider", "custom_handler"} - item.keys():
                    raise ConfigError(f"{where}: needs provider and custom_handler")
                handler = item["custom_handler"]
                if isinstance(handler, str):
                    handler = _import_handler(handler, f"{where}.custom_handler")
                providers[item["provider"]] = handler
        elif not hasattr(litellm, key):
            raise ConfigError(f"litellm_settings.{key}: not a litellm setting")
        else:
            setattr(litellm, key, value)
    litellm.custom_provider_map = [
        {"provider": name, "custom_handler": handler} for name, handler in providers.items()
    ]
    litellm.suppress_debug_info = True
    litellm.telemetry = False
    # litellm attaches its own handlers and would print every line twice.
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy"):
        logging.getLogger(name).handlers.clear()


def build_router(settings: Settings) -> litellm.Router:
    options = {"num_retries": 0, **settings.router_settings}
    try:
        return litellm.Router(model_list=settings.router_model_list(), **options)
    except TypeError as exc:
        raise ConfigError(f"router_settings: {exc}") from None
