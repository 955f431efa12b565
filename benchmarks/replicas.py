"""Replicas sharing their limits through Redis: aggregate chat throughput for 1, 2 and 3
replicas, and what the Redis-backed limiter adds to a request next to the in-process one.

    python -m benchmarks.replicas [--seconds 5] [--connections 16] [--redis URL]

The replicas serve the instant provider with client limits on (quotas too large to bind, so
their cost is measured, not their refusals); each replica gets its own wrk, all at once, and
their rates are added up. The account gate (lease + shared pacing) sits in front of Gemini web
accounts only, so its cost is measured apart: one request's slot, turn and outcome, in this
process, sequentially. Needs Debian's `wrk` and a Redis (default redis://127.0.0.1:6379/0).
"""

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import redis
import yaml

from proxy.core.clock import SystemClock
from proxy.core.limits import ConcurrencyPool, Pacer, PacingSettings, PoolSettings
from proxy.core.shared import RedisSettings
from proxy.core.shared.leases import SharedPool
from proxy.core.shared.pacing import SharedPacer
from proxy.core.shared.store import SharedStore
from tests.live import free_port

from .chat import BODY, proxy_config
from .harness import Load, serve, wrk

GATE_REQUESTS = 2000


def config(folder: Path, redis_url: str | None, prefix: str) -> Path:
    raw = yaml.safe_load(proxy_config(folder, client_limits=True).read_text())
    if redis_url is not None:
        raw["redis"] = {"url": redis_url, "key_prefix": prefix}
    path = folder / f"replicas-{'redis' if redis_url else 'local'}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@contextmanager
def replicas(path: Path, count: int) -> Iterator[list[str]]:
    """`count` proxies on `path`, started together; yields their chat URLs."""
    ports = [free_port() for _ in range(count)]
    with ExitStack() as stack, ThreadPoolExecutor(count) as pool:
        servers = [
            serve(["gemini-proxy", "--config", str(path), "--port", str(p)], p) for p in ports
        ]
        starting = [pool.submit(stack.enter_context, server) for server in servers]
        yield [f"{f.result()}/v1/chat/completions" for f in starting]


def together(urls: list[str], body: str, connections: int, seconds: int) -> float:
    """Requests per second of all `urls` loaded at once, `connections` shared among them."""
    each = max(1, connections // len(urls))
    with ThreadPoolExecutor(len(urls)) as pool:
        loads = list(pool.map(lambda url: wrk(url, body, each, seconds), urls))
    return sum(load.requests_per_second for load in loads)


def latency(url: str, body: str, seconds: int) -> Load:
    wrk(url, body, 4, 2)  # warm up
    return wrk(url, body, 1, seconds)


async def gate_cost(redis_url: str, prefix: str) -> dict[str, float]:
    """Median µs of one request's pass through an account gate: slot, turn, outcome."""
    clock = SystemClock()
    pacing = PacingSettings(min_delay=1e-6, max_delay=1e-6, jitter=0, rpm=10**9)
    rng = random.Random(0)
    store = SharedStore(RedisSettings(url=redis_url, key_prefix=prefix))
    local_pool, local_pacer = ConcurrencyPool(PoolSettings(), clock), Pacer(pacing, clock, rng)
    shared_pool = SharedPool(store, PoolSettings(), clock, "bench")
    shared_pacer = SharedPacer(store, pacing, clock, rng, "bench")

    async def run(pool: ConcurrencyPool | SharedPool, pacer: Pacer | SharedPacer) -> float:
        async def one() -> None:
            async with pool.slot():
                await pacer.wait_turn()
                pacer.record(200)

        return await timed(one)

    try:
        return {
            "in-process": await run(local_pool, local_pacer),
            "redis": await run(shared_pool, shared_pacer),
        }
    finally:
        await asyncio.sleep(0.1)  # outcomes written in the background
        await store.close()


async def timed(one: Callable[[], Awaitable[None]]) -> float:
    samples = []
    for _ in range(GATE_REQUESTS):
        started = time.perf_counter()
        await one()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    body = json.dumps(BODY)
    try:
        with tempfile.TemporaryDirectory() as folder:
            with replicas(config(Path(folder), None, prefix), 1) as (url,):
                local = latency(url, body, args.seconds)
                local_rps = together([url], body, args.connections, args.seconds)
            print(f"in-process limits, 1 replica: p50 {local.p50_ms:.2f} ms, "
                  f"p99 {local.p99_ms:.2f} ms; {local_rps:.0f} req/s")  # fmt: skip
            shared = config(Path(folder), args.redis, prefix)
            for count in (1, 2, 3):
                with replicas(shared, count) as urls:
                    if count == 1:
                        one = latency(urls[0], body, args.seconds)
                        print(f"redis limits, 1 replica: p50 {one.p50_ms:.2f} ms, "
                              f"p99 {one.p99_ms:.2f} ms; added p50 "
                              f"{one.p50_ms - local.p50_ms:+.2f} ms, p99 "
                              f"{one.p99_ms - local.p99_ms:+.2f} ms")  # fmt: skip
                    rps = together(urls, body, args.connections, args.seconds)
                print(f"redis limits, {count} replica(s): {rps:.0f} req/s aggregate "
                      f"@ {args.connections} connections")  # fmt: skip
        gate = asyncio.run(gate_cost(args.redis, prefix))
        print(f"account gate per request (median of {GATE_REQUESTS}): in-process "
              f"{gate['in-process']:.0f} µs, redis {gate['redis']:.0f} µs")  # fmt: skip
    finally:
        with redis.Redis.from_url(args.redis) as client:
            keys = list(client.scan_iter(match=f"{prefix}*"))
            if keys:
                client.delete(*keys)


if __name__ == "__main__":
    main()
