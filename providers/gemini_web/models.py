"""Public model ids -> the models an account publishes on Gemini web.

Each deployment names a `web_model` (a name, alias, display name or hex id that
`GeminiClient.resolve_model()` understands). Accounts discover their models at init and Google
renames them from time to time, so a mapping that no longer resolves fails loudly.
"""

import logging

from gemini_webapi import GeminiClient
from gemini_webapi.types import AvailableModel

from .errors import GeminiWebError

logger = logging.getLogger(__name__)


def resolve_web_model(
    client: GeminiClient, web_model: str | None, public_id: str
) -> AvailableModel | None:
    """The account's model for `web_model`; None means "the account's default model"."""
    if not web_model:
        return None
    try:
        return client.resolve_model(web_model)
    except ValueError:
        available = sorted(m.model_name for m in client.list_models() or [])
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
