"""The "2 in flight per account" promise at the TCP level: the fake counts the StreamGenerate
connections open at once for one account, whatever the clients do (hang up, time out, vanish)."""

import asyncio
import contextlib
from pathlib import Path

import httpx

from tests.fakes.gemini_web import FakeGeminiWeb, Reply
from tests.live import LiveServer, poll, settings_for_fake, signed_in

CHAT = "/v1/chat/completions"
PSID = "psid-main"
CLIENTS = 6
# A stalled upstream never ends an abandoned call by itself: the session is closed after this.
GRACE = {"abandon_grace": 0.3}


def _body(stream: bool) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": "x"}], "stream": stream}


def _all_closed(fake: FakeGeminiWeb, live: LiveServer) -> bool:
    health = httpx.get(f"{live.url}/health").json()["concurrency"]
    return fake.open_generates(PSID) == 0 and health["available"] == 2


def test_streams_whose_clients_hang_up_keep_their_slot_until_upstream_closes(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    fake_gemini.script(*[Reply(text="one two three four", frames=4)] * CLIENTS)
    fake_gemini.stall(after_frames=1, times=None)  # held open until the caller hangs up
    settings = settings_for_fake(str(tmp_path), gemini_web={"idle_timeout": 30, **GRACE})
    with LiveServer(settings) as live:
        # Each hang-up cancels the server's wait for the next frame.
        async def hang_up_after_first_chunk(http: httpx.AsyncClient) -> str:
            async with http.stream("POST", CHAT, json=_body(True)) as response:
                return await anext(response.aiter_lines())

        async def scenario() -> list[str]:
            async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
                calls = [hang_up_after_first_chunk(http) for _ in range(CLIENTS)]
                return await asyncio.gather(*calls)

        firsts = asyncio.run(scenario())
        assert all(line.startswith("data: ") for line in firsts), firsts
        assert all(line.startswith("data: ") for line in firsts)
        assert fake_gemini.generate_calls == CLIENTS
        assert fake_gemini.peak_open_generates(PSID) == 2
        poll(lambda: _all_closed(fake_gemini, live), "every upstream stream to close", 10)


def test_timed_out_attempts_keep_their_slot_until_upstream_closes(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    fake_gemini.stall(times=None)  # silent: only the caller's own deadline ends it
    settings = settings_for_fake(
        str(tmp_path), gemini_web={"request_timeout": 1.0, "idle_timeout": 1.0, **GRACE}
    )
    with LiveServer(settings) as live:
        poll(lambda: signed_in(live.url), "the account to sign in")

        async def two(http: httpx.AsyncClient) -> list[int]:
            calls = [http.post(CHAT, json=_body(False)) for _ in range(2)]
            return [r.status_code for r in await asyncio.gather(*calls)]

        async def scenario() -> list[int]:
            async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
                # Two time out; two more arrive while their upstream calls are still open
                # (until the grace closes them), and must wait for those, not just the 504s.
                return [*await two(http), *await two(http)]

        assert asyncio.run(scenario()) == [504] * 4
        assert fake_gemini.generate_calls == 4  # the later two did get their turn
        assert fake_gemini.peak_open_generates(PSID) == 2
        poll(lambda: _all_closed(fake_gemini, live), "every upstream stream to close", 10)


def test_clients_gone_before_the_first_byte_cannot_open_more_upstream_calls(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    fake_gemini.stall(times=None)
    settings = settings_for_fake(
        str(tmp_path), gemini_web={"request_timeout": 0.5, "idle_timeout": 30, **GRACE}
    )
    with LiveServer(settings) as live:
        # Signed in first, so that every request's half second goes to its upstream call.
        poll(lambda: signed_in(live.url), "the account to sign in")

        async def vanish(http: httpx.AsyncClient) -> None:
            # Gone before any byte: the server only learns it when its own deadline passes.
            with contextlib.suppress(httpx.TimeoutException):
                async with http.stream("POST", CHAT, json=_body(True)):
                    pass

        async def scenario() -> None:
            async with httpx.AsyncClient(base_url=live.url, timeout=0.1) as http:
                await asyncio.gather(*(vanish(http) for _ in range(CLIENTS)))

        asyncio.run(scenario())
        poll(lambda: _all_closed(fake_gemini, live), "every upstream stream to close", 10)
        assert fake_gemini.generate_calls >= 2
        assert fake_gemini.peak_open_generates(PSID) <= 2
