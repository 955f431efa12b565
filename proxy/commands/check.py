"""`gemini-proxy check`: validate the config, then sign every account in to Gemini web.

One line per account, as the server would see it at start-up (same cookie cache, proxy and
timeouts); the exit status is 0 only when the config is valid and every account works.
"""

import asyncio
import sys
import time
from dataclasses import dataclass

from proxy.core.config import ConfigError, Settings, config_file, load_settings

CONFIG_INVALID = 2
ACCOUNT_FAILED = 1


@dataclass(frozen=True)
class AccountCheck:
    name: str
    error: str | None
    """None when the account signed in and every deployment it serves resolves."""
    models: tuple[str, ...] = ()

    @property
    def line(self) -> str:
        if self.error:
            return f"account {self.name}: FAILED: {self.error}"
        return f"account {self.name}: ok (models: {', '.join(self.models) or 'none'})"


def check(config: str | None) -> int:
    try:
        source = config_file(config)
        settings = load_settings(config)
    except ConfigError as exc:
        print(f"gemini-proxy: config error: {exc}", file=sys.stderr)
        return CONFIG_INVALID
    print(f"config {source.resolve() if source else '(none found: built-in defaults)'}: ok")
    if not settings.accounts:
        print(
            "accounts: none configured: set GEMINI_SECURE_1PSID and GEMINI_SECURE_1PSIDTS, "
            "or list accounts in the config"
        )
        return ACCOUNT_FAILED
    results = asyncio.run(check_accounts(settings))
    for result in results:
        print(result.line, flush=True)
    return ACCOUNT_FAILED if any(r.error for r in results) else 0


async def check_accounts(settings: Settings) -> list[AccountCheck]:
    """Every configured account signed in at once, in config order."""
    from proxy.core.process import library_environment

    cookies = settings.server.data_dir / "cookies"
    with library_environment(cookies, settings.gemini_web.log_level):
        checks = (_check(settings, a.name) for a in settings.accounts)
        return list(await asyncio.gather(*checks))


async def _check(settings: Settings, name: str) -> AccountCheck:
    from providers.gemini_web import PROVIDER_NAME, Account, GeminiWebError
    from providers.gemini_web.models import resolve_web_model

    configured = next(a for a in settings.accounts if a.name == name)
    account = Account(configured, settings.gemini_web, time.time)
    try:
        client = await account.client()
    except GeminiWebError as refused:
        return AccountCheck(name, f"{refused.message} ({refused.reason})")
    try:
        unmapped = []
        for deployment in settings.model_list:
            params = deployment.litellm_params
            serves = params.get("account") in (None, name)
            if deployment.provider != PROVIDER_NAME or not serves or not params.get("web_model"):
                continue
            try:
                resolve_web_model(client, params["web_model"], deployment.model_name)
            except GeminiWebError:
                unmapped.append(f"{deployment.model_name} -> {params['web_model']}")
        models = tuple(sorted(m.model_name for m in account.models()))
        if unmapped:
            published = ", ".join(models) or "none"
            error = f"web_model not published (publishes {published}): {', '.join(unmapped)}"
            return AccountCheck(name, error, models)
        return AccountCheck(name, None, models)
    finally:
        await account.close()
