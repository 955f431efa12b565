"""Public model ids -> the models an account publishes on Gemini web.

Each deployment names a `web_model`: either a family (`flash`, `pro`, `flash-lite`: the newest
model of that family the account publishes, so a mapping follows Google's renames), or an exact
name, alias, display name or hex id that `GeminiClient.resolve_model()` understands. Accounts
discover their models at init; an exact mapping that no longer resolves fails loudly.
"""

import logging
import re

from gemini_webapi import GeminiClient
from gemini_webapi.types import AvailableModel

from .errors import GeminiWebError

logger = logging.getLogger(__name__)

_VERSION = re.compile(r"\d+(?:\.\d+)?")


def family(model: AvailableModel) -> str:
    """`flash` for `gemini-flash`, `flash-lite` for `gemini-flash-lite`, ..."""
    name: str = model.model_name
    return name.removeprefix("gemini-")


def _version(model: AvailableModel) -> float:
    found = _VERSION.search(model.display_name or "")
    return float(found[0]) if found else 0.0


def resolve_web_model(
    client: GeminiClient, web_model: str | None, public_id: str
) -> AvailableModel | None:
    """The account's model for `web_model`; None means "the account's default model"."""
    if not web_model:
        return None
    published = client.list_models() or []
    members = [m for m in published if family(m) == web_model.lower()]
    if members:
        return max(members, key=_version)
    try:
        return client.resolve_model(web_model)
    except ValueError:
        available = sorted(m.model_name for m in published)
        logger.error(
            "model %s maps to Gemini web model %r, which the account does not publish (has: %s)",
            public_id,
            web_model,
            ", ".join(available) or "none",
        )
        raise GeminiWebError(
            400,
            f"Model {public_id} maps to Gemini web model '{web_model}', which this account does "
            f"not publish (available: {', '.join(available) or 'none'}). Update web_model in "
            "config.yaml.",
            reason="model_unmapped",
        ) from None
