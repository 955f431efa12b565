"""Three accounts against the fake upstream: failover without the client seeing it, 429 with
the earliest reset when all are limited, cookies replaced live through the admin API, and
what never leaves the proxy (cookie values)."""

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.fakes.gemini_web import FakeGeminiWeb, make_png
from tests.live import LiveServer, chat, settings_for_fake

ADMIN = {"Authorization": "Bearer admin-k"}
SECRET = Fernet.generate_key().decode()
NAMES = ("a", "b", "c")


def three_accounts(tmp_path: Path, **sections: Any):  # type: ignore[no-untyped-def]
    accounts = [
        {"name": n, "secure_1psid": f"psid-{n}", "secure_1psidts": f"ts-{n}"} for n in NAMES
    ]
    return settings_for_fake(
        str(tmp_path),
        accounts=accounts,
        auth={"admin_key": "admin-k"},
        database={"secret_key": SECRET},
        **sections,
    )


def states(live: LiveServer) -> dict[str, str]:
    listed = httpx.get(f"{live.url}/admin/accounts", headers=ADMIN).json()["accounts"]
    return {a["name"]: a["state"] for a in listed}


def served_by(fake: FakeGeminiWeb) -> list[str | None]:
    return [request.psid for request in fake.generate_requests]


def test_a_usage_limit_moves_the_request_to_another_account(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    with LiveServer(three_accounts(tmp_path)) as live:
        first = fake_gemini.generate_calls
        fake_gemini.fail_stream(1037, psid="psid-a")
        response = chat(live.url)
        assert response.status_code == 200, response.text
        assert response.json()["choices"][0]["message"]["content"] == "Echo: hi"
        assert fake_gemini.generate_calls == first + 2
        assert served_by(fake_gemini)[-1] == "psid-b"
        assert states(live) == {"a": "cooling", "b": "ready", "c": "ready"}
        status = httpx.get(f"{live.url}/api/cookies/status").json()
        cooling = next(a for a in status["accounts"] if a["name"] == "a")
        assert 3500 < cooling["cooldown_seconds_left"] <= 3600 and cooling["failovers"] == 1
        metrics = httpx.get(f"{live.url}/metrics").text
        assert 'gemini_proxy_account_state{account="a",state="cooling"} 1.0' in metrics
        assert 'gemini_proxy_account_failovers_total{account="a"} 1.0' in metrics


def test_the_next_account_gets_the_same_attachments(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    picture = make_png(4, 4, (0, 128, 255))
    image = {"url": "data:image/png;base64," + base64.b64encode(picture).decode()}
    content = [{"type": "text", "text": "what is it?"}, {"type": "image_url", "image_url": image}]
    with LiveServer(three_accounts(tmp_path)) as live:
        fake_gemini.fail_stream(1037, psid="psid-a")
        messages = [{"role": "user", "content": content}]
        response = chat(live.url, model="gemini-2.5-flash", messages=messages)
        assert response.status_code == 200, response.text
    assert served_by(fake_gemini) == ["psid-a", "psid-b"]
    assert [(u.mime, u.data) for u in fake_gemini.uploads] == [("image/png", picture)] * 2


def test_every_account_limited_is_a_429_until_the_earliest_reset(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    with LiveServer(three_accounts(tmp_path)) as live:
        fake_gemini.fail_stream(1037, times=3)
        limited = chat(live.url)
        assert limited.status_code == 429, limited.text
        assert 3500 < int(limited.headers["Retry-After"]) <= 3600
        assert sorted(p for p in served_by(fake_gemini)[-3:]) == ["psid-a", "psid-b", "psid-c"]
        calls = fake_gemini.generate_calls
        again = chat(live.url)  # answered at once: no account is tried
        assert again.status_code == 429 and fake_gemini.generate_calls == calls
        health = httpx.get(f"{live.url}/health").json()
        assert health["status"] == "degraded" and "no account is ready" in health["reason"]
        assert health["accounts"] == {"ready": 0, "total": 3}


def test_an_expired_account_returns_when_its_cookies_are_replaced(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    fake_gemini.expire(psid="psid-a")
    with LiveServer(three_accounts(tmp_path)) as live:
        assert chat(live.url).status_code == 200
        assert states(live)["a"] == "expired"
        new = {"cookies": "\n".join(
            f".google.com\tTRUE\t/\tTRUE\t0\t{name}\t{value}"
            for name, value in (("__Secure-1PSID", "psid-a2"), ("__Secure-1PSIDTS", "ts-a2"))
        )}  # fmt: skip
        updated = httpx.put(f"{live.url}/admin/accounts/a/cookies", json=new, headers=ADMIN)
        assert updated.status_code == 200 and updated.json()["state"] == "ready"
        for _ in range(3):  # least recently used first: a's turn comes within three
            assert chat(live.url).status_code == 200
        assert "psid-a2" in served_by(fake_gemini)


def test_the_admin_api_refuses_bad_input_and_keeps_nothing_half_written(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    with LiveServer(three_accounts(tmp_path)) as live:
        url = f"{live.url}/admin/accounts"
        assert httpx.get(url).status_code == 401
        # Never from the query string, which access logs keep.
        assert httpx.get(url, params={"key": "admin-k"}).status_code == 401
        assert httpx.get(url, headers={"X-Admin-Key": "admin-k"}).status_code == 200
        assert httpx.get(url, headers={"Authorization": "Bearer client-key"}).status_code == 401
        bad = [
            {"name": "d", "cookies": "this is not a cookie file"},
            {"name": "d", "cookies": '[{"name": "SID", "value": "x"}]'},
            {"name": "d", "secure_1psid": "x", "cookies": "y"},
            {"name": "bad name!", "secure_1psid": "psid-d"},
            {"name": "a", "secure_1psid": "psid-d"},
        ]
        for body in bad:
            answer = httpx.post(url, json=body, headers=ADMIN)
            assert answer.status_code in (400, 409), (body, answer.text)
            assert answer.json()["detail"]
        assert (
            httpx.put(f"{url}/zz/cookies", json={"secure_1psid": "x"}, headers=ADMIN).status_code
            == 404
        )
        assert httpx.delete(f"{url}/zz", headers=ADMIN).status_code == 404
        assert sorted(states(live)) == ["a", "b", "c"]
        added = httpx.post(url, json={"name": "d", "secure_1psid": "psid-d"}, headers=ADMIN)
        assert added.status_code == 201 and added.json()["name"] == "d"
        assert httpx.delete(f"{url}/d", headers=ADMIN).status_code == 204
        assert sorted(states(live)) == ["a", "b", "c"]


def test_a_deleted_account_leaves_the_health_figures_and_the_metrics(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    with LiveServer(three_accounts(tmp_path)) as live:
        assert chat(live.url).status_code == 200
        before = httpx.get(f"{live.url}/health").json()
        assert httpx.delete(f"{live.url}/admin/accounts/c", headers=ADMIN).status_code == 204
        after = httpx.get(f"{live.url}/health").json()
        # Each account brings its own pool and allowance; c's are gone with it.
        assert after["concurrency"]["max"] == before["concurrency"]["max"] * 2 // 3
        assert after["rate_limiter"]["rpm_limit"] == before["rate_limiter"]["rpm_limit"] * 2 // 3
        metrics = httpx.get(f"{live.url}/metrics").text
        assert 'gemini_proxy_pool_size{pool="b"}' in metrics
        assert 'pool="c"' not in metrics and 'account="c"' not in metrics
        assert chat(live.url).status_code == 200


def test_without_an_admin_key_the_admin_api_is_off(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    with LiveServer(settings_for_fake(str(tmp_path))) as live:
        off = httpx.get(f"{live.url}/admin/accounts", headers=ADMIN)
        assert off.status_code == 403 and "admin_key" in off.json()["detail"]


def test_cookie_values_never_leave_the_proxy_or_reach_the_database_in_clear(
    fake_gemini: FakeGeminiWeb, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("DEBUG"), LiveServer(three_accounts(tmp_path)) as live:
        fake_gemini.expire(psid="psid-c")
        seen = [
            chat(live.url).text,
            httpx.get(f"{live.url}/admin/accounts", headers=ADMIN).text,
            httpx.post(f"{live.url}/admin/accounts/c/test", headers=ADMIN).text,
            httpx.get(f"{live.url}/api/cookies/status").text,
            httpx.get(f"{live.url}/health").text,
            httpx.get(f"{live.url}/metrics").text,
        ]
    database = (tmp_path / "gemini-proxy.db").read_bytes()
    wal = tmp_path / "gemini-proxy.db-wal"
    stored = database + (wal.read_bytes() if wal.exists() else b"")
    assert b"gemini_accounts" in stored
    for name in NAMES:
        for secret in (f"psid-{name}", f"ts-{name}"):
            assert secret.encode() not in stored
            assert all(secret not in text for text in seen)
            assert secret not in caplog.text
