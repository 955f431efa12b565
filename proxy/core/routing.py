"""Build the `Router` and load the provider plugins named in config (registered with
litellm by `proxy/core/process.py` while the app runs)."""

import importlib

import litellm
from litellm.llms.custom_llm import CustomLLM
from litellm.router import Router

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


def build_router(settings: Settings) -> Router:
    # Retries are ours (core/upstream.py); account cooldowns are the provider's, per account.
    options = {"num_retries": 0, "disable_cooldowns": True, **settings.router_settings}
    try:
        return Router(model_list=settings.router_model_list(), **options)
    except TypeError as exc:
        raise ConfigError(f"router_settings: {exc}") from None
