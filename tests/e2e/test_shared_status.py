"""/health and /metrics read the shared figures: a slot held and a 429 seen by another replica
show on this one; this replica's own account view carries its replica label."""

import random
from pathlib import Path

import httpx

from proxy.core.clock import SystemClock
from proxy.core.limits import PoolSettings
from proxy.core.shared.leases import SharedPool
from proxy.core.shared.pacing import SharedPacer
from proxy.core.shared.store import replica_id
from tests.fakes.gemini_web import FakeGeminiWeb
from tests.live import LiveServer, settings_for_fake
from tests.proxy.shared.stores import store


async def test_health_and_metrics_show_what_other_replicas_do(
    fake_gemini: FakeGeminiWeb, tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    settings = settings_for_fake(
        str(tmp_path),
        redis={"url": redis_url, "key_prefix": redis_prefix},
        limits={"pacing": {"min_delay": 0.5, "backoff": 2.0}},
    )
    other = store(redis_url, redis_prefix, "other-replica")
    pool = SharedPool(other, PoolSettings(), SystemClock(), "main")
    pacer = SharedPacer(other, settings.limits.pacing, SystemClock(), random.Random(), "main")
    with LiveServer(settings) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            async with pool.slot():
                await pacer.wait_turn()
                pacer.record(429)  # written in the background: read until it shows
                for _ in range(100):
                    health = (await client.get("/health")).json()
                    if health["rate_limiter"]["consecutive_429s"]:
                        break
                metrics = (await client.get("/metrics")).text
            after = (await client.get("/health")).json()
    await other.close()
    assert health["concurrency"] == {"max": 2, "available": 1, "queued": 0}
    assert health["rate_limiter"]["consecutive_429s"] == 1
    assert health["rate_limiter"]["current_delay"] == 1.0
    assert health["rate_limiter"]["requests_last_minute"] == 1
    assert 'gemini_proxy_pool_in_use{pool="main"} 1.0' in metrics
    assert 'gemini_proxy_upstream_consecutive_429{account="main"} 1.0' in metrics
    assert f'account="main",replica="{replica_id()}"' in metrics
    assert after["concurrency"]["available"] == 2
