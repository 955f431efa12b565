"""Build the `litellm.Router` and register provider plugins from config.

litellm keeps providers and settings on module globals; this is the one place that touches
them, once per app start-up.
"""

import importlib
import logging

import litellm
from litellm.llms.custom_llm import CustomLLM

from providers.gemini_web import PROVIDER_NAME, GeminiWebLLM
from proxy.core.config import ConfigError, Settings


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


def load_plugins(settings: Settings) -> dict[str, CustomLLM]:
    """The provider plugins named in `litellm_settings.custom_provider_map`, imported now so
    that a wrong name stops start-up with a message naming the key."""
    plugins: dict[str, CustomLLM] = {}
    for key in settings.litellm_settings:
        if key != "custom_provider_map" and not hasattr(litellm, key):
            raise ConfigError(f"litellm_settings.{key}: not a litellm setting")
    for index, item in enumerate(settings.litellm_settings.get("custom_provider_map") or []):
        where = f"litellm_settings.custom_provider_map.{index}"
        if not isinstance(item, dict) or {"provider", "custom_handler"} - item.keys():
            raise ConfigError(f"{where}: needs provider and custom_handler")
        handler = item["custom_handler"]
        if isinstance(handler, str):
            handler = _import_handler(handler, f"{where}.custom_handler")
        plugins[item["provider"]] = handler
    return plugins


def configure_litellm(
    settings: Settings, gemini_web: GeminiWebLLM, plugins: dict[str, CustomLLM]
) -> None:
    """Apply `litellm_settings` and register providers: ours, then the configured plugins."""
    for key, value in settings.litellm_settings.items():
        if key != "custom_provider_map":
            setattr(litellm, key, value)
    providers: dict[str, CustomLLM] = {PROVIDER_NAME: gemini_web, **plugins}
    litellm.custom_provider_map = [
        {"provider": name, "custom_handler": handler} for name, handler in providers.items()
    ]
    litellm.suppress_debug_info = True
    litellm.telemetry = False
    # litellm attaches its own handlers (every line would print twice) and narrates each
    # request at INFO; its warnings and errors still come through.
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy"):
        library = logging.getLogger(name)
        library.handlers.clear()
        library.setLevel(max(logging.WARNING, logging.getLogger().getEffectiveLevel()))


def build_router(settings: Settings) -> litellm.Router:
    options = {"num_retries": 0, **settings.router_settings}
    try:
        return litellm.Router(model_list=settings.router_model_list(), **options)
    except TypeError as exc:
        raise ConfigError(f"router_settings: {exc}") from None
