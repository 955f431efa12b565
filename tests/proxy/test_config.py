from pathlib import Path

import pytest

from proxy.cli import main
from proxy.core.config import ConfigError, load_settings, parse_settings

REPO = Path(__file__).resolve().parents[2]


def test_shipped_config_equals_the_built_in_defaults() -> None:
    shipped = load_settings(REPO / "config.yaml")
    built_in = parse_settings({})
    assert [d.model_dump() for d in shipped.model_list] == [
        d.model_dump() for d in built_in.model_list
    ]
    assert shipped.server.port == 8100
    assert shipped.default_model == "gemini-3-flash-preview"


def test_environment_references_are_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCOUNT_PSID", "psid-value")
    settings = parse_settings(
        {"accounts": [{"name": "a", "secure_1psid": "os.environ/ACCOUNT_PSID"}]}
    )
    assert settings.accounts[0].secure_1psid.get_secret_value() == "psid-value"
    assert "psid-value" not in repr(settings)


def test_missing_environment_variable_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_THERE", raising=False)
    with pytest.raises(
        ConfigError, match=r"accounts\.0\.secure_1psid: environment variable NOT_THERE"
    ):
        parse_settings({"accounts": [{"name": "a", "secure_1psid": "os.environ/NOT_THERE"}]})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"server": {"port": "eighty"}}, r"server\.port"),
        ({"sever": {}}, r"sever: unknown key; valid keys of the top level: server, auth,"),
        ({"server": {"prot": 1}}, r"server\.prot: unknown key; valid keys of server: host, port,"),
        (
            {"accounts": [{"name": "a", "secure_1psid": "p", "psid": "p"}]},
            r"accounts\.0\.psid: unknown key; valid keys of accounts\.0: name, secure_1psid,",
        ),
        ({"model_list": [{"model_name": "x", "litellm_params": {}}]}, r"model_list\.0"),
        ({"default_model": "nope"}, r"default_model"),
    ],
)  # fmt: skip
def test_invalid_config_names_the_key(raw: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_settings(raw)


def test_accounts_default_to_the_cookie_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_SECURE_1PSID", "p")
    monkeypatch.setenv("GEMINI_SECURE_1PSIDTS", "ts")
    (account,) = parse_settings({}).accounts
    assert (account.name, account.secure_1psidts.get_secret_value()) == ("default", "ts")


def test_each_deployment_reaches_the_router_once_whatever_the_accounts() -> None:
    # The provider picks the account per request (and fails over); the Router sees one
    # deployment per entry.
    settings = parse_settings(
        {"accounts": [{"name": "a", "secure_1psid": "1"}, {"name": "b", "secure_1psid": "2"}]}
    )
    flash = [d for d in settings.router_model_list() if d["model_name"] == "gemini-2.5-flash"]
    assert len(flash) == 1 and "account" not in flash[0]["litellm_params"]
    assert flash[0]["litellm_params"]["web_model"] == "flash"


def test_cli_stops_with_one_line_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text("server:\n  port: -1\n")
    assert main(["--config", str(bad)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("gemini-proxy: config error: server.port")
    assert error.count("\n") == 1 and "Traceback" not in error


def test_the_database_defaults_to_sqlite_in_the_data_dir() -> None:
    assert (
        parse_settings({"server": {"data_dir": "/srv/gp"}}).database_url
        == "sqlite:////srv/gp/gemini-proxy.db"
    )
    url = "postgresql://root@127.0.0.1/test"
    assert parse_settings({"database": {"url": url}}).database_url == url
