"""Cost per request of the limiter primitives, on the real clock, without contention.

    python -m benchmarks.limiter [--iterations 100000] [--repeats 5]

Every limit admits at once (10,000 client IPs, no spacing, no upstream rate cap), so the figures
are bookkeeping only. Each figure is the best of `--repeats` runs on fresh limiters, in µs of
this process's CPU time per request (so other load on the machine does not count).
"""

import argparse
import asyncio
import gc
import random
import time
from collections.abc import Awaitable, Callable

from proxy.core.clock import SystemClock
from proxy.core.limits import (
    ClientLimiter,
    ClientLimits,
    ConcurrencyPool,
    Pacer,
    PacingSettings,
    PoolSettings,
    client_ip,
)

CLIENTS = 10_000  # the default `max_clients`; each gets a few requests, far below its quota
IPS = [f"10.{i // 65536}.{i // 256 % 256}.{i % 256}" for i in range(CLIENTS)]
MODELS = ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-3-flash-preview", "gemini-3.0-pro"]


def build() -> dict[str, Callable[[int], Awaitable[None]]]:
    clock = SystemClock()
    client_settings = ClientLimits.model_validate(
        {"model_interval_seconds": 0, "trusted_proxies": ["127.0.0.1"]}
    )
    limiter = ClientLimiter(client_settings, clock)
    trusted = client_settings.trusted_proxies
    pool = ConcurrencyPool(PoolSettings(), clock)
    # A spacing far below one iteration's cost: wait_turn never sleeps.
    pacer = Pacer(PacingSettings(min_delay=1e-9, jitter=0, rpm=10**9), clock, random.Random(0))

    async def check(i: int) -> None:
        assert limiter.check(IPS[i % CLIENTS], MODELS[i % 4]).allowed

    async def find_ip(i: int) -> None:
        client_ip("127.0.0.1", IPS[i % CLIENTS], trusted)

    async def slot(i: int) -> None:
        async with pool.slot():
            pass

    async def pace(i: int) -> None:
        await pacer.wait_turn()
        pacer.record(200)

    async def total(i: int) -> None:
        ip = client_ip("127.0.0.1", IPS[i % CLIENTS], trusted)
        assert limiter.check(ip, MODELS[i % 4]).allowed
        async with pool.slot():
            await pacer.wait_turn()
            pacer.record(200)

    return {
        "client limits check": check,
        "client_ip (X-Forwarded-For)": find_ip,
        "pool acquire/release": slot,
        "pacing wait_turn+record": pace,
        "total (all of the above)": total,
    }


async def best_of(name: str, iterations: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        step = build()[name]
        gc.collect()
        started = time.process_time()
        for i in range(iterations):
            await step(i)
        best = min(best, time.process_time() - started)
    return best / iterations * 1e6


async def main(iterations: int, repeats: int) -> None:
    for name in build():
        micros = await best_of(name, iterations, repeats)
        print(f"{name:<30} {micros:7.2f} µs/request")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.iterations, args.repeats))
