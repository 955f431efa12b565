"""Accounts against the fake upstream: init under our timeout, cookie rotation, health."""

import asyncio
import time

from providers.gemini_web import AccountPool, AccountSettings, GeminiWebError, GeminiWebSettings
from providers.gemini_web.accounts import NoEvents
from tests.fakes.clients import age_cookie_cache
from tests.fakes.gemini_web import FakeGeminiWeb, Target


def pool(**options: float) -> AccountPool:
    account = AccountSettings(name="main", secure_1psid="psid-main", secure_1psidts="ts-main")
    return AccountPool([account], GeminiWebSettings(**{"init_timeout": 10, **options}))


async def test_a_hung_init_is_cut_by_our_timeout_and_retried_afresh(
    fake_gemini: FakeGeminiWeb,
) -> None:
    accounts = pool(init_timeout=0.5)
    account = accounts.find("main")
    fake_gemini.fail(Target.BATCH, 500, rpcid="otAQ7b")  # the library's init then waits forever
    try:
        started = time.monotonic()
        try:
            await account.client()
            raise AssertionError("init should have timed out")
        except GeminiWebError as error:
            assert error.status_code == 504
        assert time.monotonic() - started < 5
        client = await account.client()  # a fresh client, the fault is used up
        assert [m.model_name for m in client.list_models() or []][:2] == [
            "gemini-flash",
            "gemini-pro",
        ]
        assert account.health.cookie_valid is True and account.health.errors == {"timeout": 1}
    finally:
        await accounts.close()


async def test_cookies_are_rotated_in_the_background(fake_gemini: FakeGeminiWeb) -> None:
    steps = asyncio.Queue[None]()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await steps.get()

    account = AccountSettings(name="main", secure_1psid="psid-main", secure_1psidts="ts-main")
    accounts = AccountPool([account], GeminiWebSettings(refresh_interval=600), sleep=sleep)
    accounts.start()
    try:
        for _ in range(200):
            if slept:
                break
            await asyncio.sleep(0.01)
        assert 540 <= slept[0] <= 660 and accounts.find("main").health.cookie_valid is True
        age_cookie_cache()
        steps.put_nowait(None)
        for _ in range(200):
            if accounts.find("main").health.rotations["minted"]:
                break
            await asyncio.sleep(0.01)
        health = accounts.find("main").health
        assert health.rotations["minted"] == 1 and health.last_rotation == "minted"
        assert fake_gemini.rotations == 1
    finally:
        await accounts.close()


async def test_a_refused_rotation_is_counted(fake_gemini: FakeGeminiWeb) -> None:
    accounts = pool()
    account = accounts.find("main")
    try:
        await account.client()
        age_cookie_cache()
        fake_gemini.fail(Target.ROTATE, 401)
        assert await account.rotate_cookies(NoEvents()) == "refused"
        assert account.health.rotations == {"minted": 0, "unchanged": 0, "refused": 1, "failed": 0}
    finally:
        await accounts.close()


async def test_expired_cookies_mark_the_account_invalid(fake_gemini: FakeGeminiWeb) -> None:
    fake_gemini.expire(psid="psid-main")
    accounts = pool()
    account = accounts.find("main")
    try:
        try:
            await account.client()
            raise AssertionError("init should have failed")
        except GeminiWebError as error:
            assert error.status_code == 503
        assert account.health.cookie_valid is False and account.health.errors == {"auth": 1}
        assert account.state.state == "expired"
    finally:
        await accounts.close()


async def test_a_replica_without_the_turn_does_not_rotate(fake_gemini: FakeGeminiWeb) -> None:
    class OtherReplicaRotates(NoEvents):
        def __init__(self) -> None:
            self.asked: list[float] = []

        async def may_rotate(self, account: str, way: str, seconds: float) -> bool:
            self.asked.append(seconds)
            return False

    steps = asyncio.Queue[None]()

    async def sleep(seconds: float) -> None:
        await steps.get()

    events = OtherReplicaRotates()
    account = AccountSettings(name="main", secure_1psid="psid-main", secure_1psidts="ts-main")
    accounts = AccountPool([account], GeminiWebSettings(refresh_interval=600), events, sleep=sleep)
    accounts.start()
    try:
        age_cookie_cache()
        for _ in range(3):
            steps.put_nowait(None)
        for _ in range(200):
            if len(events.asked) >= 3:
                break
            await asyncio.sleep(0.01)
        assert len(events.asked) >= 3 and all(486 <= s <= 594 for s in events.asked)
        assert fake_gemini.rotations == 0
        assert accounts.find("main").health.rotations["minted"] == 0
    finally:
        await accounts.close()
