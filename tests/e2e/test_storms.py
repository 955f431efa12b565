"""Storms that must not multiply upstream work: usage limits, 500s, stalls and text-only image
replies, with retries on and the shipped pacing, against a live server and the fake upstream.
Time waited by the proxy is read off an injected clock; wall time is bounded only generously."""

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from tests.clocks import FakeClock, ManualClock
from tests.fakes.gemini_web import FakeGeminiWeb
from tests.live import LiveServer, poll, settings_for_fake, signed_in

CHAT = "/v1/chat/completions"
CLIENTS = 20
# The shipped retry policy and pacing (settings_for_fake turns both down elsewhere).
RETRIES = {"retry": {"max_retries": 5}, "pacing": {"min_delay": 2.0}}


def _body(text: str = "hi") -> dict[str, object]:
    return {"messages": [{"role": "user", "content": text}]}


def test_twenty_clients_on_a_usage_limited_account_each_get_429_at_once(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    # Time stands still: any wait for pacing, a slot or a retry would never end by itself.
    clock = ManualClock()
    fake_gemini.fail_stream(1037, times=None)  # the account's usage limit, on every call
    settings = settings_for_fake(str(tmp_path), limits=RETRIES)
    with LiveServer(settings, clock=clock) as live:
        poll(lambda: signed_in(live.url), "the account to sign in")

        async def storm() -> list[httpx.Response]:
            async with httpx.AsyncClient(base_url=live.url, timeout=10) as http:
                return await asyncio.gather(
                    *(http.post(CHAT, json=_body()) for _ in range(CLIENTS))
                )

        wall = time.monotonic()
        responses = asyncio.run(storm())
        assert time.monotonic() - wall < 30  # generous: the proxy's own waits are on `clock`
        assert [r.status_code for r in responses] == [429] * CLIENTS
        assert all(int(r.headers["Retry-After"]) > 3000 for r in responses)  # the reset, 1 h
        # Requests waiting for their turn (pacing, queue) were released when the account left
        # rotation, with no time passing on the clock: only the first reached Gemini web.
        assert fake_gemini.generate_calls == 1


def test_one_upstream_500_costs_one_retry_and_no_extra_session_start(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    clock = FakeClock()
    settings = settings_for_fake(str(tmp_path), limits=RETRIES)
    with LiveServer(settings, clock=clock) as live:
        poll(lambda: signed_in(live.url), "the account to sign in")
        assert httpx.post(f"{live.url}{CHAT}", json=_body(), timeout=60).status_code == 200
        inits = fake_gemini.app_inits
        fake_gemini.fail("generate", 500)
        response = httpx.post(f"{live.url}{CHAT}", json=_body(), timeout=60)
        assert response.status_code == 200
        assert fake_gemini.generate_calls == 1 + 2  # the warm-up call, the 500, its one retry
        # The library ends its session on the error: started again once, by the retry.
        assert fake_gemini.app_inits == inits + 1
        assert httpx.post(f"{live.url}{CHAT}", json=_body(), timeout=60).status_code == 200
        assert fake_gemini.app_inits == inits + 1  # a live session is not started again


def test_a_persistent_500_costs_at_most_one_call_and_one_start_per_try(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    clock = FakeClock()
    settings = settings_for_fake(str(tmp_path), limits=RETRIES)
    with LiveServer(settings, clock=clock) as live:
        poll(lambda: signed_in(live.url), "the account to sign in")
        inits = fake_gemini.app_inits
        fake_gemini.fail("generate", 500, times=None)
        response = httpx.post(f"{live.url}{CHAT}", json=_body(), timeout=60)
        assert response.status_code == 502
        # Retries wait 2, 4, 8 s ... but only while they can end within request_timeout (10 s).
        assert [s for s in clock.sleeps if s in (2, 4, 8, 16, 32)] == [2, 4]
        assert fake_gemini.generate_calls == 1 + 2
        # The library ends its session on each error; each retry starts it again, once.
        assert fake_gemini.app_inits - inits == 2


def test_retries_end_within_request_timeout(fake_gemini: FakeGeminiWeb, tmp_path: Path) -> None:
    clock = FakeClock()
    settings = settings_for_fake(str(tmp_path), limits=RETRIES, gemini_web={"request_timeout": 5})
    fake_gemini.fail("generate", 500, times=None)
    with LiveServer(settings, clock=clock) as live:
        started_at = clock.now()
        response = httpx.post(f"{live.url}{CHAT}", json=_body(), timeout=60)
        assert response.status_code == 502
        assert clock.now() - started_at <= 5
        assert fake_gemini.generate_calls == 2  # the second retry (after 4 s more) would not fit


@pytest.mark.parametrize("stream", [False, True])
def test_a_stalled_upstream_answers_504_within_request_timeout(
    fake_gemini: FakeGeminiWeb, tmp_path: Path, stream: bool
) -> None:
    fake_gemini.stall(times=None)
    web = {"request_timeout": 0.5, "idle_timeout": 0.5, "abandon_grace": 0.3}
    settings = settings_for_fake(str(tmp_path), gemini_web=web, limits=RETRIES)
    with LiveServer(settings, clock=FakeClock()) as live:
        poll(lambda: signed_in(live.url), "the account to sign in")
        wall = time.monotonic()
        response = httpx.post(f"{live.url}{CHAT}", json={**_body(), "stream": stream})
        assert response.status_code == 504
        assert time.monotonic() - wall < 5  # 0.5 s, generously
    assert fake_gemini.generate_calls == 1  # a timeout is not retried
