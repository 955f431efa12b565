"""One app per process: a second app is refused while one runs, and whatever the first set in
the process (litellm's providers and settings, the cookie folder, the library's log sink) is
undone when it stops."""

import logging
import os
from pathlib import Path

import litellm
import pytest
from loguru import logger as loguru_logger

from proxy.app import create_app
from proxy.core.config import parse_settings
from proxy.core.process import COOKIE_PATH_ENV, ProcessTaken
from tests.live import LiveServer


def settings(data_dir: Path, **litellm_settings: object):  # type: ignore[no-untyped-def]
    return parse_settings(
        {"server": {"data_dir": str(data_dir)}, "litellm_settings": litellm_settings}
    )


def library_line_reaches_logging(caplog: pytest.LogCaptureFixture) -> bool:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="providers.gemini_web.library"):
        loguru_logger.bind(name="gemini_webapi").warning("library says hello")
    return any("library says hello" in r.getMessage() for r in caplog.records)


async def test_a_second_app_is_refused_while_the_first_runs(tmp_path: Path) -> None:
    first = create_app(settings(tmp_path / "a"))
    second = create_app(settings(tmp_path / "b"))
    async with first.router.lifespan_context(first):
        with pytest.raises(ProcessTaken, match="already running in this process"):
            async with second.router.lifespan_context(second):
                pass
        # The refusal changed nothing of the running app.
        assert litellm.custom_provider_map[0]["provider"] == "gemini-web"
        assert os.environ[COOKIE_PATH_ENV] == str((tmp_path / "a" / "cookies").resolve())
    async with second.router.lifespan_context(second):
        assert os.environ[COOKIE_PATH_ENV] == str((tmp_path / "b" / "cookies").resolve())


def test_what_an_app_sets_is_undone_when_it_stops(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(COOKIE_PATH_ENV, raising=False)
    providers_before = list(litellm.custom_provider_map)
    callbacks_before = list(litellm.success_callback), list(litellm._async_success_callback)
    drop_params_before = litellm.drop_params
    assert not library_line_reaches_logging(caplog)
    with LiveServer(settings(tmp_path, drop_params=not drop_params_before)):
        assert litellm.drop_params is not drop_params_before
        assert len(litellm.success_callback) > len(callbacks_before[0])
        assert [p["provider"] for p in litellm.custom_provider_map] == ["gemini-web"]
        assert COOKIE_PATH_ENV in os.environ
        assert library_line_reaches_logging(caplog)
    assert litellm.custom_provider_map == providers_before
    # The app's Router added its callbacks to litellm's lists; they go with it.
    assert (litellm.success_callback, litellm._async_success_callback) == callbacks_before
    assert litellm.drop_params is drop_params_before
    assert COOKIE_PATH_ENV not in os.environ
    assert not library_line_reaches_logging(caplog)


def test_the_cookie_cache_folder_is_private_even_if_it_existed(tmp_path: Path) -> None:
    # Cache file names hold the whole __Secure-1PSID: nobody else may even list the folder.
    cookies = tmp_path / "cookies"
    cookies.mkdir(mode=0o755)
    cookies.chmod(0o755)
    with LiveServer(settings(tmp_path)):
        assert cookies.stat().st_mode & 0o777 == 0o700
