"""Who may read the console and who may act: the admin key opens everything; without it, only a
request from this machine, not relayed, for a loopback host name, with client auth off, reads."""

from pathlib import Path

import httpx
import pytest

from tests.e2e.test_accounts import ADMIN, three_accounts
from tests.fakes.gemini_web import FakeGeminiWeb
from tests.live import LiveServer, settings_for_fake

OVERVIEW = "/console/api/overview"


def test_the_admin_key_opens_the_console_and_a_local_reader_only_reads(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    with LiveServer(three_accounts(tmp_path)) as live:
        url = f"{live.url}{OVERVIEW}"
        admin = httpx.get(url, headers={"X-Admin-Key": "admin-k"})
        assert admin.status_code == 200 and admin.json()["access"] == "admin"
        assert httpx.get(url, headers=ADMIN).json()["access"] == "admin"
        local = httpx.get(url)
        assert local.status_code == 200 and local.json()["access"] == "read-only"
        assert [a["name"] for a in local.json()["accounts"]] == ["a", "b", "c"]
        assert {f["account"] for f in local.json()["limits"]} == {"a", "b", "c"}
        # Reading is all a keyless local request gets: actions stay behind the admin key.
        assert httpx.post(f"{live.url}/admin/accounts/a/disable").status_code == 401
        refused = {
            "a wrong key": {"X-Admin-Key": "nope"},
            "a client's bearer": {"Authorization": "Bearer client-key"},
            "relayed by a proxy on this host": {"X-Forwarded-For": "203.0.113.9"},
            "relayed (RFC 7239)": {"Forwarded": "for=203.0.113.9"},
            "a rebound host name": {"Host": "attacker.example"},
            "a rebound host name with a port": {"Host": f"attacker.example:{live.port}"},
        }
        for why, headers in refused.items():
            answer = httpx.get(url, headers=headers)
            assert answer.status_code == 401, why
            assert answer.json()["detail"], why
        assert httpx.get(url, headers={"Host": f"localhost:{live.port}"}).status_code == 200


@pytest.mark.parametrize(
    ("auth", "status"),
    [({"api_keys": ["client-key"], "admin_key": "admin-k"}, 401), ({"api_keys": ["ck"]}, 403)],
    ids=["client-auth-on", "client-auth-on-no-admin-key"],
)
def test_with_client_auth_on_the_console_needs_the_admin_key(
    fake_gemini: FakeGeminiWeb, tmp_path: Path, auth: dict[str, object], status: int
) -> None:
    with LiveServer(settings_for_fake(str(tmp_path), auth=auth)) as live:
        answer = httpx.get(f"{live.url}{OVERVIEW}")
        assert answer.status_code == status and "admin" in answer.json()["detail"]
        batch = httpx.get(f"{live.url}/console/api/batches/batch_00000000", headers=ADMIN)
        assert batch.status_code == (404 if "admin_key" in auth else 403)


def test_the_page_is_served_with_a_strict_policy_and_no_data(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    with LiveServer(settings_for_fake(str(tmp_path), auth={"api_keys": ["ck"]})) as live:
        page = httpx.get(f"{live.url}/console")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert '<script src="/console/console.js"' in page.text  # nothing from elsewhere
        for asset, kind in (("console.js", "javascript"), ("console.css", "css")):
            served = httpx.get(f"{live.url}/console/{asset}")
            assert served.status_code == 200 and kind in served.headers["content-type"]
        assert httpx.get(f"{live.url}/console/..%2Fapp.py").status_code == 404
        assert httpx.get(f"{live.url}/console/console.html.bak").status_code == 404
