"""Everything a request may need, built once per app in its lifespan and closed with it."""

import logging
import os
import time
from dataclasses import dataclass, field

from litellm.llms.custom_llm import CustomLLM

from providers.gemini_web import AccountPool, GeminiWebLLM, bridge_library_logs

from .config import Settings
from .errors import BadRequest
from .routing import build_router, configure_litellm
from .upstream import Upstream

logger = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    accounts: AccountPool
    upstream: Upstream
    api_keys: tuple[bytes, ...]
    started_at: float = field(default_factory=time.time)

    def model_for(self, requested: str | None) -> str:
        """The public model a request names (or the default), or a 400 naming the choices."""
        model = requested or self.settings.default_model
        if not self.upstream.has_model(model):
            choices = ", ".join(sorted(self.upstream.router.model_names))
            raise BadRequest(f"Unknown model '{model}'. Available models: {choices}")
        return model

    async def close(self) -> None:
        await self.accounts.close()


async def build_services(settings: Settings, plugins: dict[str, CustomLLM]) -> Services:
    data_dir = settings.server.data_dir
    cookie_dir = data_dir / "cookies"
    cookie_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # The library caches cookies here; its default is /tmp/gemini_webapi, shared by all users.
    os.environ.setdefault("GEMINI_COOKIE_PATH", str(cookie_dir.resolve()))
    bridge_library_logs(settings.gemini_web.log_level)

    accounts = AccountPool(settings.accounts, settings.gemini_web)
    configure_litellm(settings, GeminiWebLLM(accounts), plugins)
    services = Services(
        settings=settings,
        accounts=accounts,
        upstream=Upstream(build_router(settings)),
        api_keys=tuple(k.get_secret_value().encode() for k in settings.auth.api_keys),
    )
    if not len(accounts):
        logger.warning("no Gemini web account configured: set GEMINI_SECURE_1PSID or accounts:")
    accounts.start()
    return services
