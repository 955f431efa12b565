"""The command line: fast answers without the heavy libraries, `check` against the fake
upstream, and the start-up summary of `serve`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from proxy.cli import main
from proxy.commands.serve import exposure_warning, startup_summary
from proxy.core.config import parse_settings
from proxy.core.version import PACKAGE_VERSION
from tests.fakes.gemini_web import FakeGeminiWeb
from tests.live import free_port, poll

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("litellm", "gemini_webapi", "uvicorn", "fastapi", "sqlmodel", "numpy", "proxy.app")


def modules_after(*argv: str) -> tuple[int, list[str], str]:
    """Run the CLI with `argv` in a fresh interpreter: its exit status, the heavy modules it
    imported, and what it wrote to stderr."""
    script = (
        "import json, sys\n"
        "from proxy.cli import main\n"
        "try:\n"
        f"    status = main({list(argv)!r})\n"
        "except SystemExit as exit:\n"
        "    status = exit.code or 0\n"
        f"print(json.dumps([status, [m for m in {HEAVY!r} if m in sys.modules]]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    status, heavy = json.loads(done.stdout.splitlines()[-1])
    return status, heavy, done.stderr


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["check", "--help"]])
def test_help_and_version_import_no_heavy_library(argv: list[str]) -> None:
    status, heavy, _ = modules_after(*argv)
    assert (status, heavy) == (0, [])


def test_a_bad_config_is_reported_without_heavy_libraries(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("server:\n  prot: 8100\n")
    for command in (["check"], ["serve"], []):
        status, heavy, stderr = modules_after(*command, "--config", str(bad))
        assert (status, heavy) == (2, [])
        assert "server.prot: unknown key; valid keys of server: host, port," in stderr


def test_version_names_the_package(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0
    assert capsys.readouterr().out.strip().startswith(f"gemini-proxy {PACKAGE_VERSION}")


def write_config(path: Path, **sections: object) -> Path:
    path.write_text(yaml.safe_dump(sections), encoding="utf-8")
    return path


def accounts(*names: str) -> list[dict[str, str]]:
    return [{"name": n, "secure_1psid": f"psid-{n}", "secure_1psidts": f"ts-{n}"} for n in names]


def test_check_signs_every_account_in_and_reports_one_line_each(
    fake_gemini: FakeGeminiWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_gemini.expire(psid="psid-stale")
    config = write_config(
        tmp_path / "config.yaml",
        server={"data_dir": str(tmp_path / "data")},
        accounts=accounts("main", "stale"),
        gemini_web={"init_timeout": 10},
    )
    assert main(["check", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"config {config.resolve()}: ok"
    assert lines[1].startswith("account main: ok (models: gemini-flash, ")
    assert lines[2].startswith("account stale: FAILED: ") and "(auth)" in lines[2]
    assert "psid-" not in out and "ts-" not in out  # cookie values never printed


def test_check_passes_when_every_account_works(
    fake_gemini: FakeGeminiWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(
        tmp_path / "config.yaml",
        server={"data_dir": str(tmp_path / "data")},
        accounts=accounts("a", "b"),
    )
    assert main(["check", "--config", str(config)]) == 0
    assert [line.split(":")[0] for line in capsys.readouterr().out.splitlines()] == [
        f"config {config.resolve()}",
        "account a",
        "account b",
    ]
    assert {r.psid for r in fake_gemini.requests() if r.psid} == {"psid-a", "psid-b"}


def test_check_fails_a_model_the_account_does_not_publish(
    fake_gemini: FakeGeminiWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment = {
        "model_name": "gemini-9-ultra",
        "litellm_params": {"model": "gemini-web/gemini-9-ultra", "web_model": "gemini-9-ultra"},
    }
    config = write_config(
        tmp_path / "config.yaml",
        server={"data_dir": str(tmp_path / "data")},
        accounts=accounts("main"),
        model_list=[deployment],
        default_model="gemini-9-ultra",
    )
    assert main(["check", "--config", str(config)]) == 1
    line = capsys.readouterr().out.splitlines()[1]
    assert line.startswith("account main: FAILED: web_model not published (publishes gemini-")
    assert line.endswith("gemini-9-ultra -> gemini-9-ultra")


def test_check_without_accounts_says_how_to_add_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEMINI_SECURE_1PSID", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./config.yaml: the built-in defaults
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("config (none found: built-in defaults): ok\n")
    assert "accounts: none configured: set GEMINI_SECURE_1PSID" in out


def test_the_start_up_summary_names_accounts_but_never_their_cookies(tmp_path: Path) -> None:
    settings = parse_settings({"accounts": accounts("main", "spare")})
    line = startup_summary(settings, tmp_path / "config.yaml", "127.0.0.1", 9000)
    assert f"config {tmp_path / 'config.yaml'}" in line
    assert "listening on 127.0.0.1:9000; accounts: main, spare" in line
    assert "psid-" not in line and "ts-" not in line
    assert "built-in defaults" in startup_summary(parse_settings({}), None, "::1", 8100)


@pytest.mark.parametrize(
    ("host", "keys", "warned"),
    [
        ("0.0.0.0", [], True),
        ("192.168.1.5", [], True),
        ("gemini.example.com", [], True),
        ("0.0.0.0", ["k"], False),
        ("127.0.0.1", [], False),
        ("::1", [], False),
        ("localhost", [], False),
    ],
)
def test_listening_beyond_loopback_without_keys_is_warned(
    host: str, keys: list[str], warned: bool
) -> None:
    warning = exposure_warning(parse_settings({"auth": {"api_keys": keys}}), host, 8100)
    assert (warning is not None) == warned
    if warning:
        assert f"LISTENING ON {host}:8100 WITH NO API KEYS" in warning


def test_serve_logs_what_it_loaded_and_where_it_listens(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    port = free_port()
    config = write_config(
        tmp_path / "config.yaml",
        server={"data_dir": str(tmp_path / "data"), "log_level": "INFO"},
        accounts=accounts("main"),
    )
    log = tmp_path / "serve.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "proxy", "--config", str(config), "--port", str(port)],
            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    try:
        poll(lambda: httpx.get(f"http://127.0.0.1:{port}/health").is_success, "the server", 90)
    finally:
        process.terminate()
        process.wait(timeout=30)
    text = log.read_text()
    assert f"config {config.resolve()}; listening on 0.0.0.0:{port}; accounts: main" in text, text
    assert f"LISTENING ON 0.0.0.0:{port} WITH NO API KEYS" in text
    assert "psid-main" not in text and "ts-main" not in text


def test_check_passes_against_the_fake_run_in_one_command(tmp_path: Path) -> None:
    # The README's "try it without an account": the fake runs the proxy's command itself. No
    # variable of the test session's own fake is inherited, so only the command's fake answers.
    inherited = {"HTTPS_PROXY", "https_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
                 "SSL_CERT_FILE", "GEMINI_COOKIE_PATH", "GEMINI_SECURE_1PSID"}  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in inherited}
    config = write_config(tmp_path / "config.yaml", server={"data_dir": str(tmp_path / "data")})
    done = subprocess.run(
        [sys.executable, "-m", "tests.fakes.gemini_web",
         sys.executable, "-m", "proxy", "check", "--config", str(config)],
        cwd=REPO, env={**env, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].startswith("account default: ok (models: gemini-flash")
