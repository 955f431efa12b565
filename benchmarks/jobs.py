"""Job store and worker benchmark: batch drain time vs the ideal, and resume latency.

A fake work function of fixed latency stands in for image generation. For each database it
prints how long a worker takes to drain a batch against the ideal (tasks / concurrency x latency),
and how long a fresh worker takes to start the first task a crashed process left behind.

    python benchmarks/jobs.py [--tasks 40] [--latency 0.05] [--postgres-url URL]
"""

import argparse
import asyncio
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from proxy.jobs import JobStore, JobWorker, TaskInfo

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
# Real-time polling of batch status while waiting for a drain; bounds the measuring error.
STATUS_POLL_SECONDS = 0.005


@asynccontextmanager
async def sqlite_store() -> AsyncIterator[JobStore]:
    with tempfile.TemporaryDirectory() as directory:
        store = JobStore(f"sqlite:///{Path(directory) / 'jobs.db'}")
        await store.create_schema()
        try:
            yield store
        finally:
            await store.close()


@asynccontextmanager
async def postgres_store(url: str) -> AsyncIterator[JobStore]:
    schema = f"jobs_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    store = JobStore(f"{url}?options=-csearch_path%3D{schema}")
    try:
        await store.create_schema()
        yield store
    finally:
        await store.close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def fixed_latency(
    latency: float,
    on_start: Callable[[TaskInfo], None] = lambda task: None,
    on_end: Callable[[TaskInfo], None] = lambda task: None,
) -> Any:
    async def run(task: TaskInfo) -> dict[str, Any]:
        on_start(task)
        await asyncio.sleep(latency)
        on_end(task)
        return {"url": f"https://images.example/{task.id}.png"}

    return run


async def wait_finished(store: JobStore, batch_ids: list[str]) -> None:
    for batch_id in batch_ids:
        while (await store.batch_status(batch_id) or {}).get("status") == "processing":
            await asyncio.sleep(STATUS_POLL_SECONDS)


async def drain(store: JobStore, batches: int, tasks: int, latency: float, concurrency: int) -> str:
    """Seconds to finish `batches` batches of `tasks` prompts, against the ideal."""
    ids = [
        (await store.create_batch([f"prompt {i}" for i in range(tasks)], {})).id
        for _ in range(batches)
    ]
    remaining = batches * tasks
    all_ran = asyncio.Event()

    def on_end(task: TaskInfo) -> None:
        nonlocal remaining
        remaining -= 1
        if remaining == 0:
            all_ran.set()

    worker = JobWorker(
        store, fixed_latency(latency, on_end=on_end), concurrency=concurrency, poll_interval=1.0
    )
    started = time.perf_counter()
    worker.start()
    await all_ran.wait()  # status polling only from here, so it does not slow the drain
    await wait_finished(store, ids)
    elapsed = time.perf_counter() - started
    await worker.stop()
    ideal = batches * tasks / concurrency * latency
    # Each worker slot runs tasks back to back; the gap between two is the store's cost.
    handover_ms = (elapsed - ideal) / (batches * tasks / concurrency) * 1000
    return (
        f"drain {batches} x {tasks} tasks, concurrency {concurrency}: {elapsed:.3f} s, "
        f"ideal {ideal:.3f} s ({ideal / elapsed:.0%}); {handover_ms:.1f} ms between tasks"
    )


async def first_start_delay(
    store: JobStore,
    batch_id: str,
    latency: float,
    counts: Callable[[str], bool],
    **worker_options: float,
) -> float:
    """Seconds from a fresh worker's start to its first run of a task `counts` accepts; the
    worker then drains the batch and stops."""
    first = asyncio.get_running_loop().create_future()

    def on_start(task: TaskInfo) -> None:
        if counts(task.id) and not first.done():
            first.set_result(time.perf_counter())

    worker = JobWorker(store, fixed_latency(latency, on_start=on_start), **worker_options)
    started = time.perf_counter()
    worker.start()
    waited = await first - started
    await wait_finished(store, [batch_id])
    await worker.stop()
    return float(waited)


async def resume(store: JobStore, latency: float, lease: float, lease_left: float) -> str:
    """Seconds from a fresh worker's start to its first run of a task a dead process held.

    The dead process claimed two tasks `lease - lease_left` seconds ago and never renewed.
    """
    batch = await store.create_batch(["a", "b", "c", "d"], {})
    claimed_at = datetime.now(UTC) - timedelta(seconds=lease - lease_left)
    orphans = {t.id for t in await store.claim("dead:1:0ld", lease, claimed_at, limit=2)}
    waited = await first_start_delay(
        store, batch.id, latency, orphans.__contains__,
        lease_seconds=lease, poll_interval=min(1.0, lease / 3),
    )  # fmt: skip
    return (
        f"resume after a crash, lease {lease:g} s, {lease_left:g} s of it left: "
        f"first orphan started {waited:.3f} s after worker start"
    )


async def graceful_handover(store: JobStore, latency: float) -> str:
    """Seconds from a fresh worker's start to its first run of a task a stopped worker released."""
    batch = await store.create_batch(["a", "b", "c", "d"], {})

    async def hang(task: TaskInfo) -> dict[str, Any]:
        await asyncio.Event().wait()
        raise AssertionError("cancelled by stop()")

    first = JobWorker(store, hang, lease_seconds=30.0)
    first.start()
    while first.in_flight < 2:
        await asyncio.sleep(STATUS_POLL_SECONDS)
    await first.stop()
    waited = await first_start_delay(store, batch.id, latency, lambda _: True, lease_seconds=30.0)
    return (
        f"resume after a graceful stop (lease 30 s): "
        f"first released task started {waited:.3f} s after worker start"
    )


async def bench(name: str, store_factory: Any, args: argparse.Namespace) -> None:
    print(f"== {name}")
    scenarios = [
        lambda s: drain(s, 1, args.tasks, args.latency, 2),
        lambda s: drain(s, 2, args.tasks // 2, args.latency, 4),
        lambda s: resume(s, args.latency, args.lease, args.lease),
        lambda s: resume(s, args.latency, args.lease, 0.0),
        lambda s: graceful_handover(s, args.latency),
    ]
    for scenario in scenarios:
        async with store_factory() as store:
            print("  " + await scenario(store))


def postgres_reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError as exc:
        print(f"== postgresql: skipped, {url} unreachable ({str(exc).strip().splitlines()[0]})")
        return False


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=40, help="tasks per drain")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per task")
    parser.add_argument("--lease", type=float, default=2.0, help="lease for the crash scenario")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    args = parser.parse_args()
    await bench("sqlite", sqlite_store, args)
    if postgres_reachable(args.postgres_url):
        await bench("postgresql", lambda: postgres_store(args.postgres_url), args)


if __name__ == "__main__":
    asyncio.run(main())
