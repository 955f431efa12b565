"""Request and idle timeouts of the provider on an injected clock: a stalled Gemini web answers
504 as soon as the test moves time past the limit, without waiting for it."""

import asyncio

import pytest
from litellm.types.utils import ModelResponse

from providers.gemini_web import AccountPool, AccountSettings, GeminiWebError, GeminiWebSettings
from providers.gemini_web.plugin import GeminiWebLLM
from tests.clocks import ManualClock
from tests.fakes.gemini_web import FakeGeminiWeb, Reply

MESSAGES = [{"role": "user", "content": "hello"}]


def provider(clock: ManualClock) -> GeminiWebLLM:
    account = AccountSettings(name="main", secure_1psid="psid-main", secure_1psidts="ts-main")
    options = GeminiWebSettings(request_timeout=300, idle_timeout=120, abandon_grace=0.01)
    return GeminiWebLLM(AccountPool([account], options), clock=clock)


async def until(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_stalled_answer_times_out_when_the_clock_passes_request_timeout(
    fake_gemini: FakeGeminiWeb,
) -> None:
    clock = ManualClock()
    llm = provider(clock)
    fake_gemini.stall()
    call = asyncio.create_task(
        llm.acompletion(
            model="gemini-2.5-flash", messages=MESSAGES, model_response=ModelResponse(),
            optional_params={},
        )
    )  # fmt: skip
    try:
        await until(lambda: fake_gemini.generate_calls == 1, "the generate call")
        await clock.advance(299)
        assert not call.done()  # one second left: still waiting
        await clock.advance(2)
        with pytest.raises(GeminiWebError) as timed_out:
            await asyncio.wait_for(call, 5)
        assert timed_out.value.status_code == 504
    finally:
        fake_gemini.release_stalls()
        await llm.accounts.close()


async def test_a_stream_that_goes_quiet_times_out_after_idle_timeout(
    fake_gemini: FakeGeminiWeb,
) -> None:
    clock = ManualClock()
    llm = provider(clock)
    fake_gemini.script(Reply(text="one two three four", frames=4))
    fake_gemini.stall(after_frames=1)
    stream = llm.astreaming(model="gemini-2.5-flash", messages=MESSAGES, optional_params={})
    try:
        first = await asyncio.wait_for(anext(stream), 10)
        assert first.choices[0].delta.content
        second = asyncio.create_task(anext(stream))
        await asyncio.sleep(0.05)
        await clock.advance(119)
        assert not second.done()
        await clock.advance(2)
        with pytest.raises(GeminiWebError) as went_quiet:
            await asyncio.wait_for(second, 5)
        assert went_quiet.value.status_code == 504
    finally:
        fake_gemini.release_stalls()
        await stream.aclose()
        await llm.accounts.close()
