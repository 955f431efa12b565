"""The account-safety limits, end to end: real server, fake upstream, fake clock where it waits."""

import asyncio
import threading
from pathlib import Path

import httpx
import pytest

from tests.clocks import FakeClock
from tests.fakes.gemini_web import FakeGeminiWeb, Reply
from tests.live import LiveServer, chat, poll, settings_for_fake

CHAT = "/v1/chat/completions"


def test_the_61st_request_in_an_hour_is_refused(fake_gemini: FakeGeminiWeb, tmp_path: Path) -> None:
    clock = FakeClock()
    limits = {"client": {"enabled": True, "model_interval_seconds": 0}}
    with LiveServer(settings_for_fake(str(tmp_path), limits=limits), clock=clock) as live:
        for _ in range(60):
            assert chat(live.url).status_code == 200
            clock.advance(1)
        refused = chat(live.url)
        assert refused.status_code == 429
        assert refused.json()["detail"] == "请求过于频繁：每小时最多 60 次，请等待 3540.0 秒后重试"
        assert refused.headers["retry-after"] == "3540"
        clock.advance(3540)
        assert chat(live.url).status_code == 200
        metrics = httpx.get(f"{live.url}/metrics").text
        assert 'gemini_proxy_limiter_rejections_total{reason="ip_quota"} 1.0' in metrics


def test_one_request_per_model_every_five_seconds(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    clock = FakeClock()
    limits = {"client": {"enabled": True}}
    with LiveServer(settings_for_fake(str(tmp_path), limits=limits), clock=clock) as live:
        assert chat(live.url).status_code == 200
        clock.advance(0.8)
        refused = chat(live.url)
        assert refused.status_code == 429
        assert refused.json()["detail"] == (
            "模型 gemini-3-flash-preview 调用过于频繁，请等待 4.2 秒后重试"  # the default model
        )
        assert refused.json()["error"]["type"] == "rate_limit_error"
        assert refused.headers["retry-after"] == "5"
        assert chat(live.url, model="gemini-2.5-pro").status_code == 200  # another model is free
        clock.advance(4.2)
        assert chat(live.url).status_code == 200


def test_a_third_concurrent_request_waits_for_a_slot(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    release = threading.Event()

    def slow(request: object) -> Reply:
        release.wait(20)
        return Reply(text="done")

    fake_gemini.respond_with(slow)
    with LiveServer(settings_for_fake(str(tmp_path))) as live:

        async def scenario() -> list[int]:
            async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
                body = {"messages": [{"role": "user", "content": "x"}]}
                calls = [asyncio.create_task(http.post(CHAT, json=body)) for _ in range(3)]
                for _ in range(200):
                    concurrency = (await http.get("/health")).json()["concurrency"]
                    if concurrency["queued"] == 1:
                        break
                    await asyncio.sleep(0.02)
                assert concurrency == {"max": 2, "available": 0, "queued": 1}
                release.set()
                return [r.status_code for r in await asyncio.gather(*calls)]

        assert asyncio.run(scenario()) == [200, 200, 200]
        assert fake_gemini.generate_calls == 3
        assert httpx.get(f"{live.url}/health").json()["concurrency"]["available"] == 2


def test_a_client_that_disconnects_frees_its_slot(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    fake_gemini.script(Reply(text="one two three four five six", frames=6))
    fake_gemini.stall(after_frames=2, seconds=20)
    # The upstream stalls until it sees a hang-up: the session is closed after abandon_grace.
    web = {"idle_timeout": 20, "abandon_grace": 0.3}
    with LiveServer(settings_for_fake(str(tmp_path), gemini_web=web)) as live:
        body = {"messages": [{"role": "user", "content": "x"}], "stream": True}
        with httpx.stream("POST", f"{live.url}{CHAT}", json=body, timeout=30) as response:
            lines = response.iter_lines()  # kept: dropping the iterator closes the response
            first = next(lines)
            assert first.startswith("data: ")
            assert httpx.get(f"{live.url}/health").json()["concurrency"]["available"] == 1
        free = lambda: httpx.get(f"{live.url}/health").json()["concurrency"]["available"] == 2  # noqa: E731
        poll(free, "the slot to be freed", seconds=2)
        assert fake_gemini.open_generates("psid-main") == 0


def test_an_upstream_429_cools_the_account_and_answers_at_once(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    # Retrying a rate-limited account only deepens its block: it leaves rotation instead, and
    # with no other account the client learns at once when to come back.
    clock = FakeClock()
    limits = {"retry": {"max_retries": 5}}
    fake_gemini.fail("generate", 429, times=None)
    with LiveServer(settings_for_fake(str(tmp_path), limits=limits), clock=clock) as live:
        response = chat(live.url)
        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) == 600  # gemini_web.block_cooldown
        assert [s for s in clock.sleeps if s >= 1] == []
        assert fake_gemini.generate_calls == 1
        health = httpx.get(f"{live.url}/health").json()
        assert health["rate_limiter"]["consecutive_429s"] == 1
        assert health["status"] == "degraded" and "main cooling" in health["reason"]


def test_a_retry_that_succeeds_answers_normally(fake_gemini: FakeGeminiWeb, tmp_path: Path) -> None:
    clock = FakeClock()
    fake_gemini.fail("generate", 500, times=2)
    with LiveServer(
        settings_for_fake(str(tmp_path), limits={"retry": {"max_retries": 5}}), clock=clock
    ) as live:
        response = chat(live.url)
        assert (
            response.status_code == 200
            and response.json()["choices"][0]["message"]["content"] == "Echo: hi"
        )
        assert [s for s in clock.sleeps if s >= 1] == [2, 4]


@pytest.mark.parametrize(("code", "status"), [(1052, 400), (1037, 429)])
def test_client_errors_and_long_waits_are_not_retried(
    fake_gemini: FakeGeminiWeb, tmp_path: Path, code: int, status: int
) -> None:
    clock = FakeClock()
    fake_gemini.fail_stream(code, times=None)
    with LiveServer(
        settings_for_fake(str(tmp_path), limits={"retry": {"max_retries": 5}}), clock=clock
    ) as live:
        response = chat(live.url)
        assert response.status_code == status
        assert fake_gemini.generate_calls == 1
        assert [s for s in clock.sleeps if s >= 1] == []
