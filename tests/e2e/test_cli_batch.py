"""`gemini-proxy batch prompts.txt --wait` against a real server and the fake upstream."""

import re
from pathlib import Path

import httpx
import pytest

from proxy.cli import main
from tests.e2e.conftest import draw_unless_broken
from tests.fakes.gemini_web import FakeGeminiWeb, Reply, make_png
from tests.live import LiveServer, settings_for_fake


def prompts_file(tmp_path: Path, *prompts: str) -> str:
    path = tmp_path / "prompts.txt"
    path.write_text("\n".join(prompts) + "\n\n", encoding="utf-8")  # blank lines are skipped
    return str(path)


def test_a_batch_from_a_file_is_followed_to_its_results(
    server: LiveServer,
    fake_gemini: FakeGeminiWeb,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_gemini.respond_with(lambda r: Reply(text="ok", images=[make_png(8, 8)], frame_delay=0.05))
    file = prompts_file(tmp_path, "a red fox", "a blue bird", "a cat")
    argv = ["batch", file, "--wait", "--url", server.url, "--poll-interval", "0.02"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    rows = [line.split() for line in out.splitlines()]
    assert [re.sub(r"^batch_[0-9a-f]{8}_", "", task) for task, _ in rows] == [
        "task_0",
        "task_1",
        "task_2",
    ]
    for _, url in rows:
        assert httpx.get(url).content == make_png(8, 8)
    assert "3/3" in err and "3 prompts submitted" in err and "completed (3/3)" in err
    prompts = sorted(
        r.prompt.removeprefix("Generate an image: ") for r in fake_gemini.generate_requests
    )
    assert prompts == ["a blue bird", "a cat", "a red fox"]


def test_failed_tasks_are_listed_and_the_exit_status_says_so(
    server: LiveServer,
    fake_gemini: FakeGeminiWeb,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_gemini.respond_with(draw_unless_broken)
    file = prompts_file(tmp_path, "fine", "broken")
    argv = ["batch", file, "--wait", "--url", server.url, "--poll-interval", "0.02"]
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 1
    assert "_task_1 failed: " in err and "I cannot draw that." in err
    assert "partial (2/2)" in err


def test_without_wait_the_batch_id_and_status_url_are_printed(
    server: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["batch", prompts_file(tmp_path, "a cat"), "--url", server.url]) == 0
    err = capsys.readouterr().err
    assert "1 prompts submitted" in err and f"GET {server.url}/v1/batch/batch_" in err


def test_a_refused_key_is_reported_in_one_line(
    fake_gemini: FakeGeminiWeb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings_for_fake(str(tmp_path), auth={"api_keys": ["right-key"]})
    file = prompts_file(tmp_path, "a cat")
    with LiveServer(settings) as live:
        assert main(["batch", file, "--url", live.url, "--api-key", "wrong"]) == 1
        assert main(["batch", file, "--url", live.url, "--api-key", "right-key"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "gemini-proxy: POST /v1/batch/images: 401 Invalid or missing API key"


def test_bad_input_never_reaches_the_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = prompts_file(tmp_path)
    assert main(["batch", empty, "--url", "http://127.0.0.1:9"]) == 2
    assert main(["batch", str(tmp_path / "missing.txt")]) == 2
    assert main(["batch", prompts_file(tmp_path, "x"), "--url", "http://127.0.0.1:9"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith("holds no prompts")
    assert err[1].startswith("gemini-proxy: cannot read ") and "missing.txt" in err[1]
    assert err[2].startswith("gemini-proxy: cannot reach the proxy at http://127.0.0.1:9")
