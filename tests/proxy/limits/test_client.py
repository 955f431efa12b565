from ipaddress import IPv4Network, IPv6Network

import pytest

from proxy.core.limits import ClientLimiter, ClientLimits, SlidingWindow, client_ip
from tests.clocks import FakeClock

IP = "203.0.113.7"
MODEL = "gemini-2.5-flash"


def limiter(clock: FakeClock, **settings: object) -> ClientLimiter:
    return ClientLimiter(ClientLimits.model_validate(settings), clock)


def test_61st_request_in_an_hour_is_rejected_until_the_window_slides() -> None:
    clock = FakeClock()
    limits = limiter(clock)
    for _ in range(60):
        assert limits.check(IP, MODEL).allowed
        clock.advance(10)  # past the model interval; 60 requests span 590 s

    rejected = limits.check(IP, MODEL)
    assert not rejected.allowed
    assert rejected.reason == "ip_quota"
    assert rejected.retry_after == pytest.approx(3000.0)  # the first request leaves at 3600 s
    assert rejected.detail == "请求过于频繁：每小时最多 60 次，请等待 3000.0 秒后重试"

    clock.advance(2999.9)
    assert limits.check(IP, MODEL).retry_after == pytest.approx(0.1)
    clock.advance(0.1)
    assert limits.check(IP, MODEL).allowed
    # The window holds 60 again: the next one waits for the second request to leave.
    clock.advance(5)
    again = limits.check(IP, MODEL)
    assert again.reason == "ip_quota"
    assert again.retry_after == pytest.approx(5.0)


def test_a_second_request_for_a_model_within_5_s_is_rejected_with_the_contract_text() -> None:
    clock = FakeClock()
    limits = limiter(clock)
    assert limits.check(IP, MODEL).allowed
    clock.advance(0.8)

    rejected = limits.check("198.51.100.1", MODEL)  # the interval is per model, whoever asks
    assert not rejected.allowed
    assert rejected.reason == "model_interval"
    assert rejected.retry_after == pytest.approx(4.2)
    assert rejected.detail == "模型 gemini-2.5-flash 调用过于频繁，请等待 4.2 秒后重试"

    assert limits.check(IP, "gemini-2.5-pro").allowed  # another model is not held back
    clock.advance(4.2)
    assert limits.check(IP, MODEL).allowed


def test_a_model_interval_rejection_does_not_use_up_the_ip_quota() -> None:
    clock = FakeClock()
    limits = limiter(clock, per_ip_per_hour=2)
    assert limits.check(IP, "m1").allowed
    assert limits.check(IP, "m1").reason == "model_interval"
    assert limits.check(IP, "m2").allowed  # would be the 3rd if the rejection had counted
    assert limits.check(IP, "m3").reason == "ip_quota"


def test_when_both_limits_reject_the_longer_wait_is_reported() -> None:
    clock = FakeClock()
    limits = limiter(clock, per_ip_per_hour=1)
    assert limits.check(IP, "m1").allowed
    clock.advance(1)
    quota = limits.check(IP, "m1")
    assert quota.reason == "ip_quota"
    assert quota.retry_after == pytest.approx(3599.0)

    clock.advance(3597)
    assert limits.check("198.51.100.1", "m1").allowed  # another client takes the model
    clock.advance(1)
    interval = limits.check(IP, "m1")  # IP free in 1 s, model in 4 s
    assert interval.reason == "model_interval"
    assert interval.retry_after == pytest.approx(4.0)


def test_idle_keys_are_forgotten_and_the_key_count_is_capped() -> None:
    clock = FakeClock()
    window = SlidingWindow(limit=1, window=10, clock=clock, max_keys=3)
    window.record("a")
    window.record("b")
    clock.advance(10)
    window.record("c")
    assert len(window) == 1  # a and b have been idle a whole window

    for key in "defg":
        window.record(key)
    assert len(window) == 3
    assert window.wait("c") == 0.0  # the least recently active was forgotten first
    assert window.wait("g") == pytest.approx(10.0)


TRUSTED: list[IPv4Network | IPv6Network] = ClientLimits.model_validate(
    {"trusted_proxies": ["10.0.0.0/8", "127.0.0.1", "fd00::/8"]}
).trusted_proxies


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        ("203.0.113.7", "1.2.3.4", "203.0.113.7"),  # untrusted peer: its header is ignored
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", "198.51.100.9", "198.51.100.9"),
        ("127.0.0.1", "6.6.6.6, 198.51.100.9", "198.51.100.9"),  # spoofed left entry ignored
        ("127.0.0.1", "198.51.100.9, 10.1.2.3", "198.51.100.9"),  # our proxies are skipped
        ("fd00::1", "2001:db8::1", "2001:db8::1"),
        ("127.0.0.1", "10.0.0.2, 10.0.0.1", "10.0.0.2"),  # all ours: the left-most
        ("127.0.0.1", "6.6.6.6, garbage", "garbage"),
        ("::ffff:127.0.0.1", "198.51.100.9", "198.51.100.9"),  # IPv4-mapped peer is trusted
        ("127.0.0.1", "::ffff:198.51.100.9", "198.51.100.9"),
        ("127.0.0.1", "2001:DB8:0:0::1", "2001:db8::1"),  # canonical spelling
        ("testclient", "1.2.3.4", "testclient"),  # not an address: itself, never trusted
    ],
)
def test_client_ip(peer: str, forwarded_for: str | None, expected: str) -> None:
    assert client_ip(peer, forwarded_for, TRUSTED) == expected


def test_client_ip_trusts_nobody_by_default() -> None:
    assert client_ip("127.0.0.1", "198.51.100.9", []) == "127.0.0.1"
