"""`gemini-proxy accounts`: the same store as the server, from the command line."""

import json
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from proxy.cli import main
from tests.fakes.gemini_web import FakeGeminiWeb


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("GEMINI_PROXY_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.delenv("GEMINI_SECURE_1PSID", raising=False)
    path = tmp_path / "config.yaml"
    path.write_text(f"server:\n  data_dir: {tmp_path}\n")
    return str(path)


def test_accounts_are_added_listed_tested_and_removed(
    config: str, tmp_path: Path, fake_gemini: FakeGeminiWeb, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "cookies.json"
    export.write_text(
        json.dumps(
            [
                {"name": "__Secure-1PSID", "value": "psid-main", "domain": ".google.com"},
                {"name": "__Secure-1PSIDTS", "value": "ts-main", "domain": ".google.com"},
            ]
        )
    )
    assert main(["accounts", "--config", config, "add", "main", "--cookies", str(export)]) == 0
    assert main(["accounts", "--config", config, "add", "main", "--psid", "x"]) == 1
    assert main(["accounts", "--config", config, "list"]) == 0
    assert main(["accounts", "--config", config, "test", "main"]) == 0
    out = capsys.readouterr().out
    assert "account main: stored" in out and "main: enabled" in out
    assert "account main: ok" in out and "psid-main" not in out
    assert main(["accounts", "--config", config, "remove", "main"]) == 0
    assert main(["accounts", "--config", config, "remove", "main"]) == 1
    assert main(["accounts", "--config", config, "list"]) == 0
    assert "no stored accounts" in capsys.readouterr().out


def test_bad_cookie_files_are_refused_and_nothing_is_stored(
    config: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "cookies.txt"
    broken.write_text("not\ta\tcookie\tfile\n")
    assert main(["accounts", "--config", config, "add", "x", "--cookies", str(broken)]) == 1
    assert "cookies rejected" in capsys.readouterr().err
    assert main(["accounts", "--config", config, "list"]) == 0
    assert "no stored accounts" in capsys.readouterr().out


def test_without_a_secret_key_nothing_is_stored(
    config: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GEMINI_PROXY_SECRET_KEY")
    assert main(["accounts", "--config", config, "add", "x", "--psid", "p"]) == 1
    assert "secret_key" in capsys.readouterr().err
    assert main(["accounts", "new-key"]) == 0
    assert len(capsys.readouterr().out.strip()) == 44  # a Fernet key


def test_psid_without_a_value_is_asked_for_without_echo(
    config: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter(["psid-asked", "ts-asked"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))  # the terminal
    assert main(["accounts", "--config", config, "add", "asked", "--psid"]) == 0
    assert main(["accounts", "--config", config, "list"]) == 0
    out = capsys.readouterr().out
    assert "asked: enabled" in out and "psid-asked" not in out


def test_a_psidts_given_with_a_bare_psid_is_kept_not_asked_for(
    config: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or "psid-asked")
    command = ["accounts", "--config", config, "add", "half", "--psid", "--psidts", "ts-given"]
    assert main(command) == 0
    assert asked == ["__Secure-1PSID: "]
