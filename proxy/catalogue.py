# ruff: noqa: E501  (a table reads best one row per line)
"""The public models of the contract and the Gemini web model each maps to by default.

Used when config.yaml has no `model_list`. Gemini web currently publishes "flash", "pro" and
"flash-lite" models; the older public ids map onto the closest current one.
"""

from typing import Any

DEFAULT_MODEL = "gemini-3-flash-preview"
DEFAULT_IMAGE_MODEL = "gemini-2.5-flash-image"

# public id, display name, mode, description, Gemini web model
_CATALOGUE: tuple[tuple[str, str, str, str, str], ...] = (
    ("gemini-3-flash-preview", "Gemini 3.0 Flash", "chat", "Default model: fast, strong reasoning", "gemini-3-flash"),
    ("gemini-2.5-flash", "Gemini 2.5 Flash", "chat", "Everyday chat", "gemini-3-flash"),
    ("gemini-2.5-pro", "Gemini 2.5 Pro", "chat", "Maths and code, deep thinking", "gemini-3-pro"),
    ("gemini-3.0-pro", "Gemini 3.0 Pro", "chat", "Long context, complex reasoning", "gemini-3-pro"),
    ("gemini-2.5-flash-image", "Flash Image", "image_generation", "1024x1024, ~30 s; default image model", "gemini-3-flash"),
    ("gemini-3-pro-image-preview", "Pro Image", "image_generation", "2048x2048, ~60 s", "gemini-3-pro"),
    ("gemini-3-pro-image-preview-2k", "Pro Image 2K", "image_generation", "2560x1440 and up, ~60 s", "gemini-3-pro"),
    ("gemini-3-pro-image-preview-4k", "Pro Image 4K", "image_generation", "4096x4096, ~90 s", "gemini-3-pro"),
)  # fmt: skip


def default_model_list() -> list[dict[str, Any]]:
    """One gemini-web deployment per public id (expanded per account by the config loader)."""
    return [
        {
            "model_name": public_id,
            "litellm_params": {"model": f"gemini-web/{public_id}", "web_model": web_model},
            "model_info": {"name": name, "mode": mode, "description": description},
        }
        for public_id, name, mode, description, web_model in _CATALOGUE
    ]
