"""Keep-alive against the fake upstream: a rotated cookie is stored and survives a restart
(the fake rejects the superseded one), a rotation that mints nothing is reported, and a family
mapping follows a model Google renamed."""

import asyncio
import shutil
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from providers.gemini_web import AccountSettings, GeminiWebError
from providers.gemini_web.accounts import Account
from providers.gemini_web.models import resolve_web_model
from proxy.accounts.service import open_accounts, view
from proxy.core.config import ConfigError, Settings
from proxy.core.process import library_environment
from tests.fakes.clients import age_cookie_cache
from tests.fakes.gemini_web import FakeGeminiWeb
from tests.fakes.gemini_web.catalogue import FLASH_LITE, PRO, Catalogue, FakeModel
from tests.live import settings_for_fake

SECRET = Fernet.generate_key().decode()


def stored_settings(tmp_path: Path, secret: str | None = SECRET) -> Settings:
    return settings_for_fake(str(tmp_path), database={"secret_key": secret})


async def test_a_rotated_cookie_is_stored_and_used_after_a_restart(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    fake_gemini.reject_superseded()
    settings = stored_settings(tmp_path)
    cookies = tmp_path / "cookies"
    with library_environment(cookies, "WARNING"):
        async with open_accounts(settings) as accounts:
            account = accounts.pool.find("main")
            assert account is not None
            await account.client()
            age_cookie_cache()
            assert await account.rotate_cookies(accounts) == "minted"
            assert view(account, account.now()).rotation.last == "minted"
    # A restart without the library's own cookie cache: only the store knows the new cookie.
    shutil.rmtree(cookies)
    with library_environment(cookies, "WARNING"):
        superseded = Account(settings.accounts[0], settings.gemini_web, lambda: 0.0)
        with pytest.raises(GeminiWebError) as refused:
            await superseded.client()
        assert refused.value.reason == "auth"
        shutil.rmtree(cookies)
        async with open_accounts(settings) as accounts:
            account = accounts.pool.find("main")
            assert account is not None
            await account.client()  # signs in with the rotated cookie from the store
            assert account.state.state == "ready"
            await superseded.close()


async def test_a_rotation_that_mints_nothing_is_reported(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    fake_gemini.rotate_without_minting(psid="psid-main")
    with library_environment(tmp_path / "cookies", "WARNING"):
        async with open_accounts(stored_settings(tmp_path)) as accounts:
            account = accounts.pool.find("main")
            assert account is not None
            await account.client()
            results = []
            for _ in range(2):
                age_cookie_cache()
                results.append(await account.rotate_cookies(accounts))
            assert results == ["unchanged", "unchanged"]
            shown = view(account, account.now()).rotation
            assert shown.stalled and shown.counts["unchanged"] == 2


async def test_stored_accounts_need_their_key(fake_gemini: FakeGeminiWeb, tmp_path: Path) -> None:
    with library_environment(tmp_path / "cookies", "WARNING"):
        async with open_accounts(stored_settings(tmp_path)):
            pass
        with pytest.raises(ConfigError, match=r"secret_key .* is not set"):
            async with open_accounts(stored_settings(tmp_path, secret=None)):
                pass
        with pytest.raises(ConfigError, match="not the key they were stored with"):
            async with open_accounts(stored_settings(tmp_path, Fernet.generate_key().decode())):
                pass


async def test_a_family_mapping_follows_a_renamed_model(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    renamed = FakeModel("ab12cd34ef56ab78", "Flash", "3.5 Flash", "Newer flash", 1)
    settings = settings_for_fake(str(tmp_path))
    with library_environment(tmp_path / "cookies", "WARNING"):
        account = Account(settings.accounts[0], settings.gemini_web, lambda: 0.0)
        client = await account.client()
        assert resolve_web_model(client, "flash", "gemini-2.5-flash").model_id.startswith("fbb1")
        fake_gemini.set_catalogue(Catalogue(models=(renamed, PRO, FLASH_LITE)))
        await account.replace(account.settings)
        client = await account.client()
        assert resolve_web_model(client, "flash", "gemini-2.5-flash").model_id == renamed.model_id
        with pytest.raises(GeminiWebError) as loud:
            resolve_web_model(client, "fbb127bbb056c959", "gemini-2.5-flash")  # the old id
        assert loud.value.status_code == 400 and "does not publish" in loud.value.message
        assert account.health.model_changes == 1
        await account.close()


async def test_a_write_here_does_not_hide_changes_made_elsewhere(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    with library_environment(tmp_path / "cookies", "WARNING"):
        async with open_accounts(stored_settings(tmp_path)) as accounts:
            # Another replica (or the CLI) adds an account; then this one disables `main`.
            other = AccountSettings(name="other", secure_1psid="psid-other")
            await asyncio.to_thread(accounts.store.put, other)
            await accounts.set_disabled("main", True)
            await accounts.sync()
            assert accounts.pool.find("other") is not None
            assert accounts.pool.find("main").state.state == "disabled"  # type: ignore[union-attr]
