import asyncio
from collections.abc import AsyncIterator

import pytest

from proxy.core.limits import Attempt, RetrySettings, call_with_retry, parse_retry_after
from tests.clocks import FakeClock


class UpstreamError(Exception):
    def __init__(self, status: int | None, retry_after: float | None = None) -> None:
        super().__init__(f"upstream {status}")
        self.status = status
        self.retry_after = retry_after


def status_of(error: Exception) -> int | None:
    return error.status if isinstance(error, UpstreamError) else None


def retry_after_of(error: Exception) -> float | None:
    return error.retry_after if isinstance(error, UpstreamError) else None


class Upstream:
    """Fails with the given errors in turn, then answers "ok"."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


async def run(
    upstream: Upstream, clock: FakeClock, attempts: list[Attempt] | None = None, **policy: object
) -> str:
    return await call_with_retry(
        upstream,
        policy=RetrySettings.model_validate(policy),
        clock=clock,
        status_of=status_of,
        retry_after_of=retry_after_of,
        attempts=attempts,
    )


async def test_a_429_is_retried_on_2_4_8_16_32_then_given_up() -> None:
    clock = FakeClock()
    upstream = Upstream(*(UpstreamError(429) for _ in range(10)))
    attempts: list[Attempt] = []
    with pytest.raises(UpstreamError) as caught:
        await run(upstream, clock, attempts)
    assert caught.value.status == 429
    assert clock.sleeps == [2, 4, 8, 16, 32]
    assert upstream.calls == 6  # the call and 5 retries
    assert [a.delay for a in attempts] == [2, 4, 8, 16, 32, None]
    assert attempts[0] == Attempt(1, 429, "UpstreamError", None, 2)
    assert attempts[-1].number == 6


async def test_a_retried_call_returns_what_finally_succeeds() -> None:
    clock = FakeClock()
    upstream = Upstream(UpstreamError(502), UpstreamError(500))
    assert await run(upstream, clock) == "ok"
    assert clock.sleeps == [2, 4]


@pytest.mark.parametrize("error", [UpstreamError(400), UpstreamError(404), ValueError("bug")])
async def test_other_errors_fail_at_once(error: Exception) -> None:
    clock = FakeClock()
    upstream = Upstream(error)
    attempts: list[Attempt] = []
    with pytest.raises(type(error)):
        await run(upstream, clock, attempts)
    assert upstream.calls == 1
    assert clock.sleeps == []
    assert [a.delay for a in attempts] == [None]


async def test_cancellation_is_not_retried() -> None:
    clock = FakeClock()
    upstream = Upstream(asyncio.CancelledError())
    attempts: list[Attempt] = []
    with pytest.raises(asyncio.CancelledError):
        await run(upstream, clock, attempts)
    assert (upstream.calls, clock.sleeps, attempts) == (1, [], [])


async def test_retry_after_is_a_floor_on_the_backoff() -> None:
    clock = FakeClock()
    upstream = Upstream(UpstreamError(429, retry_after=10), UpstreamError(429, retry_after=1))
    assert await run(upstream, clock) == "ok"
    assert clock.sleeps == [10, 4]  # longer than 2 s is waited; shorter than 4 s is not


async def test_a_retry_after_beyond_the_cap_is_not_waited_out() -> None:
    clock = FakeClock()
    upstream = Upstream(UpstreamError(429, retry_after=61))
    attempts: list[Attempt] = []
    with pytest.raises(UpstreamError):
        await run(upstream, clock, attempts)
    assert (upstream.calls, clock.sleeps) == (1, [])
    assert attempts == [Attempt(1, 429, "UpstreamError", 61, None)]


async def test_the_policy_is_configurable() -> None:
    clock = FakeClock()
    upstream = Upstream(*(UpstreamError(418) for _ in range(10)))
    with pytest.raises(UpstreamError):
        await run(upstream, clock, max_retries=4, base=1, factor=3, max_delay=5, retry_on=[418])
    assert clock.sleeps == [1, 3, 5, 5]


async def test_zero_retries_means_one_call() -> None:
    clock = FakeClock()
    upstream = Upstream(UpstreamError(502))
    with pytest.raises(UpstreamError):
        await run(upstream, clock, max_retries=0)
    assert upstream.calls == 1


async def test_a_stream_is_retried_until_its_first_chunk_and_never_after() -> None:
    clock = FakeClock()
    opened = 0

    async def stream() -> AsyncIterator[str]:
        nonlocal opened
        opened += 1
        if opened == 1:
            raise UpstreamError(502)  # fails before any content: worth a retry
        yield "Hel"
        raise UpstreamError(502)  # fails after content: must reach the client as is

    async def first_chunk() -> tuple[str, AsyncIterator[str]]:
        chunks = stream()
        return await anext(chunks), chunks

    first, rest = await call_with_retry(
        first_chunk, policy=RetrySettings(), clock=clock, status_of=status_of
    )
    assert first == "Hel"
    with pytest.raises(UpstreamError):
        await anext(rest)
    assert (opened, clock.sleeps) == (2, [2])


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        (" 1.5 ", 1.5),
        ("0", 0.0),
        (None, None),
        ("", None),
        ("-1", None),
        ("nan", None),
        ("inf", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


async def test_a_retry_that_could_not_finish_before_the_deadline_is_not_started() -> None:
    clock = FakeClock()

    async def slow_failure() -> str:
        clock.advance(3)  # each attempt takes 3 s, then fails
        raise UpstreamError(500)

    attempts: list[Attempt] = []
    with pytest.raises(UpstreamError):
        await call_with_retry(
            slow_failure,
            policy=RetrySettings(),
            clock=clock,
            status_of=status_of,
            attempts=attempts,
            deadline=clock.now() + 20,
        )
    # 3 s, wait 2, 3 s, wait 4, 3 s (at 15 s): another 8 + 3 would end past 20.
    assert clock.sleeps == [2, 4]
    assert [a.delay for a in attempts] == [2, 4, None]
