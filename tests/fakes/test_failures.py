"""The fake gemini.google.com failing on purpose: error codes, HTTP statuses, expired
cookies, rotation, incomplete turns and stalls.

Every generate call passes `current_retry=0`, so the library's 5-25 s retry sleeps never run.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from curl_cffi.requests.exceptions import HTTPError
from gemini_webapi import GeminiClient
from gemini_webapi.exceptions import (
    APIError,
    AuthError,
    ModelInvalidError,
    TemporarilyBlockedError,
    UsageLimitExceededError,
)
from gemini_webapi.utils import rotate_1psidts

from tests.fakes.clients import PSID, age_cookie_cache, new_client
from tests.fakes.gemini_web import (
    FLASH,
    Catalogue,
    FakeGeminiWeb,
    Reply,
    Target,
)

# -- failures --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (1037, UsageLimitExceededError),
        (1060, TemporarilyBlockedError),
        (1052, ModelInvalidError),
        (1050, ModelInvalidError),
        (1013, APIError),
        (4242, APIError),
    ],
)
async def test_stream_error_codes_map_to_library_exceptions(
    fake_gemini: FakeGeminiWeb, client: GeminiClient, code: int, error: type[Exception]
) -> None:
    fake_gemini.fail_stream(code)
    with pytest.raises(error) as raised:
        await client.generate_content("hi", current_retry=0)
    assert type(raised.value) is error
    # The client closed itself; the next call re-inits and succeeds.
    assert (await client.generate_content("again", current_retry=0)).text == "Echo: again"
    assert fake_gemini.app_inits == 2


async def test_error_frame_after_text(fake_gemini: FakeGeminiWeb, client: GeminiClient) -> None:
    fake_gemini.script(Reply("partial text that never ends", frames=4))
    fake_gemini.fail_stream(1037, after_frames=2)
    deltas = []
    with pytest.raises(UsageLimitExceededError):
        async for chunk in client.generate_content_stream("hi", current_retry=0):
            deltas.append(chunk.text_delta)
    assert "".join(deltas) == "partial text"


async def test_unknown_model_id_gets_1052(fake_gemini: FakeGeminiWeb, client: GeminiClient) -> None:
    fake_gemini.set_catalogue(Catalogue(models=(FLASH,)))
    with pytest.raises(ModelInvalidError):
        await client.generate_content("hi", model="gemini-pro", current_retry=0)


@pytest.mark.parametrize("status", [429, 500, 401])
async def test_generate_http_status_is_an_api_error(
    fake_gemini: FakeGeminiWeb, client: GeminiClient, status: int
) -> None:
    fake_gemini.fail(Target.GENERATE, status)
    with pytest.raises(APIError, match=f"Status: {status}"):
        await client.generate_content("hi", current_retry=0)


async def test_faults_are_scoped_to_an_account_and_counted(fake_gemini: FakeGeminiWeb) -> None:
    fake_gemini.fail_stream(1037, psid="g.account-a", times=2)
    a, b = await new_client("g.account-a"), await new_client("g.account-b")
    try:
        assert (await b.generate_content("hi", current_retry=0)).text == "Echo: hi"
        for _ in range(2):
            with pytest.raises(UsageLimitExceededError):
                await a.generate_content("hi", current_retry=0)
        assert (await a.generate_content("hi", current_retry=0)).text == "Echo: hi"
    finally:
        await a.close()
        await b.close()


async def test_batchexecute_fault_scoped_to_one_rpc(
    fake_gemini: FakeGeminiWeb, client: GeminiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gemini_webapi.utils.decorators._DELAY_FACTOR", 0)
    cid = (await client.generate_content("remember me", current_retry=0)).metadata[0]
    fake_gemini.fail(Target.BATCH, 500, rpcid="hNvQHb")
    history = await client.read_chat(cid)  # 500 -> close, retry after a re-init
    assert history is not None and history.turns[0].text == "Echo: remember me"
    assert [r.status for r in fake_gemini.requests(rpcid="hNvQHb")] == [500, 200]
    assert fake_gemini.app_inits == 2


@pytest.mark.parametrize(("status", "error"), [(429, TemporarilyBlockedError), (500, HTTPError)])
async def test_app_status_fails_init(
    fake_gemini: FakeGeminiWeb, status: int, error: type[Exception]
) -> None:
    fake_gemini.fail(Target.APP, status)
    with pytest.raises(error):
        await new_client()


async def test_expired_cookies_fail_init_with_auth_error(fake_gemini: FakeGeminiWeb) -> None:
    fake_gemini.expire(psidts="sidts-stale")
    with pytest.raises(AuthError):
        await new_client(psidts="sidts-stale")
    assert [r.host for r in fake_gemini.requests()] == ["gemini.google.com", "www.google.com"]


async def test_cookies_expiring_mid_session_end_in_auth_error(
    fake_gemini: FakeGeminiWeb, client: GeminiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gemini_webapi.utils.decorators._DELAY_FACTOR", 0)
    fake_gemini.expire(psid=PSID)
    with pytest.raises(AuthError):  # 401 -> APIError -> retry re-inits -> no tokens -> AuthError
        await client.generate_content("hi", current_retry=1)
    assert [r.status for r in fake_gemini.requests() if r.path.endswith("StreamGenerate")] == [401]


async def test_rotation_sets_a_new_psidts(fake_gemini: FakeGeminiWeb, client: GeminiClient) -> None:
    await client.close()  # writes the cookie cache
    (cache,) = age_cookie_cache()
    assert cache.name == f".cached_cookies_{PSID}.json"
    await client.init(timeout=5, auto_refresh=False, watchdog_timeout=0.5)
    new_psidts = await rotate_1psidts(client.client)
    assert new_psidts is not None and new_psidts.startswith("sidts-rotated-")
    assert fake_gemini.rotations == 1 and new_psidts in cache.read_text()
    await client.generate_content("hi", current_retry=0)
    assert fake_gemini.generate_requests[-1].psidts == new_psidts


async def test_rotation_with_expired_cookies_is_an_auth_error(
    fake_gemini: FakeGeminiWeb, client: GeminiClient
) -> None:
    fake_gemini.expire(psid=PSID)
    with pytest.raises(AuthError):
        await rotate_1psidts(client.client)
    assert fake_gemini.rotations == 0


async def test_incomplete_turn_is_recovered_from_history(
    fake_gemini: FakeGeminiWeb, client: GeminiClient
) -> None:
    fake_gemini.script(Reply("finished upstream", complete=False))
    out = await client.generate_content("hi", current_retry=0)
    assert out.text == "finished upstream"
    assert len(fake_gemini.requests(rpcid="hNvQHb")) == 1


async def test_incomplete_turn_without_cid_is_an_api_error(
    fake_gemini: FakeGeminiWeb, client: GeminiClient
) -> None:
    fake_gemini.script(Reply("lost", complete=False, cid=""))
    with pytest.raises(APIError, match="silently aborted"):
        await client.generate_content("hi", current_retry=0)


async def test_stall_with_keepalive_trips_the_progress_watchdog(
    fake_gemini: FakeGeminiWeb, client: GeminiClient
) -> None:
    fake_gemini.script(Reply("alpha beta gamma delta", frames=4))
    fake_gemini.stall(after_frames=1, keepalive=0.1)
    start = time.monotonic()
    out = await client.generate_content("hi", current_retry=0)
    # watchdog (0.5 s) -> close -> re-init -> history holds the finished turn
    assert out.text == "alpha beta gamma delta" and time.monotonic() - start < 3
    assert fake_gemini.app_inits == 2 and fake_gemini.requests(rpcid="hNvQHb")


async def test_short_stall_only_delays_and_reset_releases_a_long_one(
    fake_gemini: FakeGeminiWeb, client: GeminiClient
) -> None:
    fake_gemini.script(Reply("a short pause", frames=3))
    fake_gemini.stall(after_frames=1, seconds=0.3)
    start = time.monotonic()
    assert (await client.generate_content("hi", current_retry=0)).text == "a short pause"
    assert time.monotonic() - start >= 0.3
    fake_gemini.script(Reply("held until reset", frames=3))
    fake_gemini.stall(after_frames=1)
    stream = client.generate_content_stream("hi", current_retry=0)
    first = await anext(stream)
    fake_gemini.reset()
    assert first.text_delta + "".join([c.text_delta async for c in stream]) == "held until reset"


async def test_stall_without_cid_is_an_api_error(
    fake_gemini: FakeGeminiWeb, client: GeminiClient
) -> None:
    fake_gemini.script(Reply("some text", cid=""))
    fake_gemini.stall(after_frames=1, keepalive=0.1)
    with pytest.raises(APIError, match="silently aborted"):
        await client.generate_content("hi", current_retry=0)


async def test_unrecoverable_turn_stays_out_of_history(
    fake_gemini: FakeGeminiWeb, client: GeminiClient
) -> None:
    fake_gemini.script(Reply("cut short", complete=False, recoverable=False), Reply("kept"))
    stream = client.generate_content_stream("hi", current_retry=0)
    cid = (await anext(stream)).metadata[0]
    await stream.aclose()  # the library would now poll history for 10 s per attempt
    assert await client.read_chat(cid) is None
    kept = await client.generate_content("again", current_retry=0)
    history = await client.read_chat(kept.metadata[0])
    assert history is not None and history.turns[0].text == "kept"


@pytest.mark.slow
async def test_silent_stall_trips_the_idle_watchdog(
    fake_gemini: FakeGeminiWeb, client: GeminiClient
) -> None:
    """SLOW (~5.5 s): the idle watchdog waits min(timeout, watchdog_timeout) + 5 s, fixed in
    the library; this is the only test that pays it."""
    fake_gemini.script(Reply("recovered after silence", frames=3))
    fake_gemini.stall(after_frames=1)
    start = time.monotonic()
    out = await client.generate_content("hi", current_retry=0)
    assert out.text == "recovered after silence"
    assert 5.0 <= time.monotonic() - start < 7


async def test_client_hanging_up_mid_stream_leaves_the_server_clean(
    fake_gemini: FakeGeminiWeb, client: GeminiClient, caplog: pytest.LogCaptureFixture
) -> None:
    fake_gemini.script(Reply("one two three four five six", frames=6, frame_delay=0.05))
    stream = client.generate_content_stream("hi", current_retry=0)
    async for _ in stream:
        break
    await stream.aclose()
    await client.close()
    await asyncio.sleep(0.4)  # the server tries its remaining writes meanwhile
    assert fake_gemini.errors == []
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
