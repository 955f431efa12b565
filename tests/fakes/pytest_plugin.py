"""Pytest fixtures for the fake gemini.google.com (`tests.fakes.gemini_web`).

- `fake_gemini_server` (session): one running `FakeGeminiWeb`; its `env` is applied to
  `os.environ` for the whole session (so clients, in-process servers and subprocesses created
  during tests go through it), and `GEMINI_COOKIE_PATH` points at a session temp dir.
- `fake_gemini` (function): the same fake after `reset()`, with `GEMINI_COOKIE_PATH` pointing at a
  fresh per-test dir so the library's cookie cache never leaks between tests.

Create `GeminiClient`s inside tests (after the env is applied), never at import time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.gemini_web import FakeGeminiWeb


@pytest.fixture(scope="session")
def fake_gemini_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeGeminiWeb]:
    with FakeGeminiWeb() as fake, pytest.MonkeyPatch.context() as patch:
        for name, value in fake.env.items():
            patch.setenv(name, value)
        patch.setenv("GEMINI_COOKIE_PATH", str(tmp_path_factory.mktemp("gemini-cookies")))
        yield fake


@pytest.fixture
def fake_gemini(
    fake_gemini_server: FakeGeminiWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeGeminiWeb]:
    fake_gemini_server.reset()
    cookie_dir = tmp_path / "gemini-cookies"
    cookie_dir.mkdir()
    monkeypatch.setenv("GEMINI_COOKIE_PATH", str(cookie_dir))
    yield fake_gemini_server
    fake_gemini_server.reset()  # releases streams a test left stalled


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: takes seconds of real time (deselect with -m 'not slow')"
    )
