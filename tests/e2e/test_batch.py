"""Batch image jobs through a real server: submit, follow, cancel, list, bad input."""

import re
import threading
import time

import httpx
import pytest

from tests.e2e.conftest import draw_unless_broken
from tests.fakes.gemini_web import FakeGeminiWeb, FakeRequest, Reply, make_png
from tests.live import LiveServer, poll

BATCH_ID = re.compile(r"^batch_[0-9a-f]{8}$")


def wait_for(url: str) -> dict:
    """The batch status once it is no longer processing."""
    return poll(lambda: (s := httpx.get(url).json())["status"] != "processing" and s, "the batch")


def test_a_batch_runs_to_completion_and_reports_progress(
    server: LiveServer, fake_gemini: FakeGeminiWeb
) -> None:
    # Each image takes a moment, so the batch is seen in progress.
    fake_gemini.respond_with(lambda r: Reply(text="ok", images=[make_png(8, 8)], frame_delay=0.05))
    submitted = httpx.post(
        f"{server.url}/v1/batch/images", json={"prompts": ["a red fox", "a blue bird", "a cat"]}
    ).json()
    assert BATCH_ID.match(submitted["batch_id"])
    assert (submitted["total"], submitted["status"]) == (3, "processing") and submitted["message"]
    status_url = f"{server.url}/v1/batch/{submitted['batch_id']}/status"
    seen = []
    deadline = time.monotonic() + 30
    while (status := httpx.get(status_url).json())["status"] == "processing":
        seen.append(status["progress"])
        assert status["completed"] + status["failed"] + status["pending"] <= 3
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert status["status"] == "completed" and status["progress"] == "3/3"
    assert (status["completed"], status["failed"], status["pending"], status["errors"]) == (
        3,
        0,
        0,
        [],
    )
    assert [r["task_id"] for r in status["results"]] == [
        f"{submitted['batch_id']}_task_{i}" for i in range(3)
    ]
    for result in status["results"]:
        assert httpx.get(result["url"]).content == make_png(8, 8)
    assert seen and all(re.fullmatch(r"\d/3", p) for p in seen)
    prompts = sorted(
        r.prompt.removeprefix("Generate an image: ") for r in fake_gemini.generate_requests
    )
    assert prompts == ["a blue bird", "a cat", "a red fox"]
    listed = httpx.get(f"{server.url}/v1/batch").json()["batches"]
    assert listed[0]["batch_id"] == submitted["batch_id"]
    stats = httpx.get(f"{server.url}/health").json()["task_stats"]
    assert stats["completed"] == 3 and stats["total"] == 3


def test_a_failing_task_is_reported_and_the_others_go_on(
    server: LiveServer, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.respond_with(draw_unless_broken)
    batch = httpx.post(
        f"{server.url}/v1/batch/images", json={"prompts": ["fine", "broken", "also fine"]}
    ).json()
    status = wait_for(f"{server.url}/v1/batch/{batch['batch_id']}/status")
    assert status["status"] == "partial" and status["progress"] == "3/3"
    assert (status["completed"], status["failed"]) == (2, 1)
    (error,) = status["errors"]
    assert (
        error["task_id"] == f"{batch['batch_id']}_task_1"
        and "I cannot draw that." in error["error"]
    )


def test_cancel_stops_what_has_not_started(server: LiveServer, fake_gemini: FakeGeminiWeb) -> None:
    release = threading.Event()

    def slow(request: FakeRequest) -> Reply:
        release.wait(20)
        return Reply(text="ok", images=[make_png(8, 8)])

    fake_gemini.respond_with(slow)
    batch = httpx.post(
        f"{server.url}/v1/batch/images", json={"prompts": ["p"] * 5, "concurrency": 1}
    ).json()
    status_url = f"{server.url}/v1/batch/{batch['batch_id']}/status"
    poll(lambda: httpx.get(f"{server.url}/health").json()["task_stats"]["processing"], "a task")
    cancelled = httpx.delete(f"{server.url}/v1/batch/{batch['batch_id']}").json()
    assert cancelled["cancelled"] == 4 and cancelled["running"] == 1
    release.set()
    status = wait_for(status_url)
    assert status["completed"] == 1 and status["pending"] == 0
    assert fake_gemini.generate_calls == 1


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"prompts": []}, "prompts"),
        ({"prompts": ["x"] * 101}, "at most 100"),
        ({"prompts": ["ok", 7]}, "prompts"),
        ({"prompts": ["ok", "  "]}, "non-empty"),
        ({"prompts": ["x"], "concurrency": 0}, "concurrency"),
        ({"prompts": ["x"], "concurrency": 3}, "concurrency"),
        ({"prompts": ["x"], "response_type": "jpeg"}, "response_type"),
    ],
)
def test_bad_batches_are_400(server: LiveServer, body: dict, needle: str) -> None:
    answer = httpx.post(f"{server.url}/v1/batch/images", json=body)
    assert answer.status_code == 400 and needle in answer.json()["detail"]


def test_unknown_batches_are_404(server: LiveServer) -> None:
    for call in (httpx.get, httpx.delete):
        url = f"{server.url}/v1/batch/batch_00000000" + ("/status" if call is httpx.get else "")
        answer = call(url)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"


def test_single_image_requests_count_as_tasks(
    server: LiveServer, fake_gemini: FakeGeminiWeb
) -> None:
    fake_gemini.respond_with(lambda request: Reply(text="ok", images=[make_png(8, 8)]))
    assert (
        httpx.post(f"{server.url}/v1/generate-images", json={"prompt": "x"}, timeout=30).status_code
        == 200
    )
    fake_gemini.respond_with(lambda request: Reply(text="no"))
    assert (
        httpx.post(f"{server.url}/v1/generate-images", json={"prompt": "x"}, timeout=30).status_code
        == 400
    )
    stats = httpx.get(f"{server.url}/health").json()["task_stats"]
    assert (stats["completed"], stats["failed"], stats["total"]) == (1, 1, 2)
