"""Redis stopped mid-run: each limit keeps its configured fail mode, and the proxy recovers by
itself once Redis is back (a private redis-server, killed and restarted on its port)."""

from pathlib import Path

import httpx
import pytest

from tests.fakes.gemini_web import FakeGeminiWeb
from tests.live import LiveServer, chat, poll, settings_for_fake
from tests.redis_server import PrivateRedis

ACCOUNTS_DOWN = "Account limits cannot be checked: Redis is unreachable"
CLIENTS_DOWN = "Client limits cannot be checked: Redis is unreachable"


@pytest.mark.parametrize(
    ("accounts", "clients", "while_down"),
    [
        ("closed", "open", (503, ACCOUNTS_DOWN)),  # the defaults
        ("open", "closed", (503, CLIENTS_DOWN)),
        ("open", "open", (200, None)),  # each replica on its own limits meanwhile
    ],
)
def test_fail_mode_holds_while_redis_is_down_and_service_recovers(
    fake_gemini: FakeGeminiWeb,
    tmp_path: Path,
    private_redis: PrivateRedis,
    accounts: str,
    clients: str,
    while_down: tuple[int, str | None],
) -> None:
    settings = settings_for_fake(
        str(tmp_path),
        limits={"client": {"enabled": True, "model_interval_seconds": 0}},
        redis={
            "url": private_redis.url,
            "timeout_seconds": 0.5,
            "fail_mode": {"accounts": accounts, "clients": clients},
        },
    )
    with LiveServer(settings) as server:
        assert chat(server.url).status_code == 200
        private_redis.stop()
        down = chat(server.url)
        assert down.status_code == while_down[0], down.text
        if while_down[1] is not None:
            assert down.json()["detail"] == while_down[1]
        assert httpx.get(f"{server.url}/health").status_code == 200
        private_redis.start()  # empty: it keeps nothing on disk
        assert private_redis.key_count() == 0

        def shared_again() -> bool:
            served = chat(server.url).status_code == 200
            # Both kinds of limit write their own keys again, whichever had failed open.
            kinds = ("*client:*", "*pace:*")
            return served and all(private_redis.key_count(kind) > 0 for kind in kinds)

        # Served again, and through the shared limits (also where fail-open served meanwhile).
        poll(shared_again, "service on the shared limits once Redis is back", 10)
    assert fake_gemini.errors == []
