"""A batch survives SIGKILL: the server runs as a subprocess, is killed while tasks are in
flight, restarted, and every task ends completed exactly once (one result, one stored image)."""

import time
from pathlib import Path

import httpx
import yaml

from tests.fakes.gemini_web import FakeGeminiWeb, Reply, make_png
from tests.live import ServerProcess, free_port, poll

TASKS = 6


def config(tmp_path: Path, db_url: str, port: int) -> Path:
    raw = {
        "server": {"data_dir": str(tmp_path / "data"), "port": port, "log_level": "WARNING"},
        "accounts": [{"name": "main", "secure_1psid": "psid-main", "secure_1psidts": "ts-main"}],
        "gemini_web": {"init_timeout": 10, "request_timeout": 20},
        "limits": {
            "client": {"enabled": False},
            "pacing": {"min_delay": 0.001},
            "retry": {"max_retries": 0},
        },
        "database": {"url": db_url},
        # A short lease: the restarted server takes over the killed one's tasks quickly.
        "jobs": {"lease_seconds": 1.0, "poll_interval": 0.1},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_a_killed_server_resumes_its_batch_exactly_once(
    fake_gemini: FakeGeminiWeb, tmp_path: Path, db_url: str
) -> None:
    fake_gemini.respond_with(lambda request: Reply(text="ok", images=[make_png(8, 8)]))
    fake_gemini.latency = 0.4  # every generation takes a while: tasks are in flight when killed
    port = free_port()
    path = config(tmp_path, db_url, port)
    first = ServerProcess.proxy(path, port)
    try:
        prompts = [f"picture number {i}" for i in range(TASKS)]
        batch = httpx.post(f"{first.url}/v1/batch/images", json={"prompts": prompts}).json()
        status_url = f"/v1/batch/{batch['batch_id']}/status"
        status = poll(
            lambda: (s := httpx.get(first.url + status_url).json())["completed"] and s, "a result"
        )
        poll(lambda: httpx.get(f"{first.url}/health").json()["task_stats"]["processing"], "a task")
        first.kill()
        done_before = status["completed"]
        assert done_before < TASKS
    finally:
        first.stop()

    second = ServerProcess.proxy(path, port)
    try:
        polls = []
        deadline = time.monotonic() + 60
        while (status := httpx.get(second.url + status_url).json())["status"] == "processing":
            polls.append(status)
            assert time.monotonic() < deadline, status
            time.sleep(0.05)
        assert polls and all(p["completed"] >= done_before for p in polls)  # nothing lost
        assert status["status"] == "completed" and status["progress"] == f"{TASKS}/{TASKS}"
        task_ids = [r["task_id"] for r in status["results"]]
        assert task_ids == [f"{batch['batch_id']}_task_{i}" for i in range(TASKS)]
        stored = sorted((tmp_path / "data" / "images" / "gemini-images").glob("*.png"))
        assert len(stored) == TASKS  # one object per task, even for tasks run twice
        assert sorted(r["url"].rsplit("/", 1)[1] for r in status["results"]) == [
            p.name for p in stored
        ]
        for result in status["results"]:
            assert httpx.get(result["url"]).content == make_png(8, 8)
    finally:
        second.stop()
