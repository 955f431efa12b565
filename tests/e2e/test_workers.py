"""Several uvicorn workers: refused without Redis; with it, they share the account's slots and
/metrics adds up what every worker counted."""

import asyncio
from pathlib import Path

import httpx
import pytest
import yaml

from proxy.cli import main
from tests.fakes.gemini_web import FakeGeminiWeb
from tests.live import ServerProcess, free_port, poll


async def burst(url: str, count: int, chat: bool = False) -> int:
    body = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hello"}]}
    async with httpx.AsyncClient(timeout=30) as client:
        calls = (client.post(url, json=body) if chat else client.get(url) for _ in range(count))
        answers = await asyncio.gather(*calls)
    assert all(a.status_code == 200 for a in answers)
    return count


def test_several_workers_without_redis_are_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"server": {"data_dir": str(tmp_path / "data")}}))
    assert main(["--config", str(config), "--workers", "2"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "redis.url" in error and "multiply" in error


def test_workers_share_the_account_and_add_up_their_metrics(
    fake_gemini: FakeGeminiWeb, tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    port = free_port()
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "server": {"data_dir": str(tmp_path / "data"), "log_level": "WARNING"},
        "accounts": [{"name": "main", "secure_1psid": "psid-main"}],
        "limits": {"client": {"enabled": False}, "pacing": {"min_delay": 0.001}},
        "redis": {"url": redis_url, "key_prefix": redis_prefix},
    }))  # fmt: skip
    with ServerProcess.proxy(config, port, "--port", str(port), "--workers", "2") as server:
        url = server.url
        sent = asyncio.run(burst(f"{url}/v1/models", 40))
        both = "gemini_proxy_workers 2.0"  # one per live worker, summed across their files
        metrics = poll(lambda: both in (m := httpx.get(f"{url}/metrics").text) and m, both)
        line = next(
            x
            for x in metrics.splitlines()
            if x.startswith('gemini_proxy_requests_total{model="",route="/v1/models",status="200"}')
        )
        assert float(line.split()[-1]) == sent
        fake_gemini.latency = 0.3  # calls overlap: only the shared pool keeps them at 2

        def both_workers_served() -> bool:
            before = len(fake_gemini.generate_requests)
            asyncio.run(burst(f"{url}/v1/chat/completions", 8, chat=True))
            # In the same burst: only then do the two workers' calls overlap.
            return len({r.client for r in fake_gemini.generate_requests[before:]}) == 2

        # The kernel hands connections to the workers as it likes: until both have served.
        poll(both_workers_served, "a burst that both workers served")
        assert fake_gemini.peak_open_generates("psid-main") == 2
