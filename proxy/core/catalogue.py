"""The public models of the contract and the Gemini web model each maps to by default.

Used when config.yaml has no `model_list`. Gemini web currently publishes "flash", "pro" and
"flash-lite" models; the older public ids map onto the closest current one, by family (the
newest model of that family an account publishes), so Google's renames are followed. Image
models are the chat models asked to draw; the 2K / 4K variants add a size hint to the prompt.
"""

import re
from typing import Any

DEFAULT_MODEL = "gemini-3-flash-preview"
DEFAULT_IMAGE_MODEL = "gemini-2.5-flash-image"

# public id, display name, mode, description, Gemini web model, image prompt hint
_CATALOGUE: tuple[tuple[str, str, str, str, str, str | None], ...] = (
    (
        "gemini-3-flash-preview",
        "Gemini 3.0 Flash",
        "chat",
        "Default model: fast, strong reasoning",
        "flash",
        None,
    ),
    ("gemini-2.5-flash", "Gemini 2.5 Flash", "chat", "Everyday chat", "flash", None),
    (
        "gemini-2.5-pro",
        "Gemini 2.5 Pro",
        "chat",
        "Maths and code, deep thinking",
        "pro",
        None,
    ),
    (
        "gemini-3.0-pro",
        "Gemini 3.0 Pro",
        "chat",
        "Long context, complex reasoning",
        "pro",
        None,
    ),
    (
        "gemini-2.5-flash-image",
        "Flash Image",
        "image_generation",
        "1024x1024, ~30 s; default image model",
        "flash",
        None,
    ),
    (
        "gemini-3-pro-image-preview",
        "Pro Image",
        "image_generation",
        "2048x2048, ~60 s",
        "pro",
        None,
    ),
    (
        "gemini-3-pro-image-preview-2k",
        "Pro Image 2K",
        "image_generation",
        "2560x1440 and up, ~60 s",
        "pro",
        "2K resolution",
    ),
    (
        "gemini-3-pro-image-preview-4k",
        "Pro Image 4K",
        "image_generation",
        "4096x4096, ~90 s",
        "pro",
        "4K ultra HD",
    ),
)

# When a request names no model: the prompt's size words, then a requested size, pick a variant.
_PROMPT_VARIANTS = ((re.compile(r"\b4k\b", re.I), "gemini-3-pro-image-preview-4k"),
                    (re.compile(r"\b2k\b", re.I), "gemini-3-pro-image-preview-2k"))  # fmt: skip
_SIZE_VARIANTS = ((2560, "gemini-3-pro-image-preview-4k"), (2048, "gemini-3-pro-image-preview-2k"),
                  (1024, "gemini-3-pro-image-preview"))  # fmt: skip


def image_variant(prompt: str, size: str | None) -> str | None:
    """The image model a prompt or size asks for (e.g. "... 4K ultra HD", "4096x4096")."""
    for pattern, model in _PROMPT_VARIANTS:
        if pattern.search(prompt):
            return model
    if size and "x" in size:
        longest = max(int(side) for side in size.split("x"))
        return next((model for above, model in _SIZE_VARIANTS if longest > above), None)
    return None


def default_model_list() -> list[dict[str, Any]]:
    """One gemini-web deployment per public id (expanded per account by the config loader)."""
    deployments = []
    for public_id, name, mode, description, web_model, hint in _CATALOGUE:
        params: dict[str, Any] = {"model": f"gemini-web/{public_id}", "web_model": web_model}
        if hint:
            params["image_hint"] = hint
        info = {"name": name, "mode": mode, "description": description}
        deployments.append({"model_name": public_id, "litellm_params": params, "model_info": info})
    return deployments
