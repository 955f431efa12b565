"""What the proxy itself costs per request, per streamed event, in memory and at start-up.

    python -m benchmarks.overhead [--seconds 5] [--events 10]

One run measures three servers, each pinned to CPU 0 (wrk, the upstreams and this script on
CPU 1):
- `bare`: a bare FastAPI endpoint answering a canned completion (the floor);
- `web`: the proxy through the gemini-web plugin against the fake Gemini web upstream
  (`tests/fakes/gemini_web`, no delay), replies of `--events` frames;
- `openai`: the same proxy through an `openai/bench` deployment against an instant
  OpenAI-compatible upstream (`benchmarks/instant_upstream.py`), streams of `--events` events.
The proxy runs with API keys, client limits (quotas too large to bind) and metrics on; the pool
and pacing are sized not to bind. For each: p50/p99 at 1 connection, req/s at 4 and 32
connections, plain and streamed; the server's CPU ms per request (from /proc, so other load does
not count) and per streamed event (the stream's CPU over a plain request's, per event); memory
(RSS) at rest and after load; start-up to the first `/health`. Last, batch drain efficiency
(tasks/s against the ideal at concurrency 2, SQLite). Needs Debian's `wrk`.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from tests.fakes.gemini_web import FakeGeminiWeb, FakeRequest, Reply
from tests.live import ServerProcess, free_port

from .harness import REPO, wrk
from .jobs import drain, sqlite_store

KEY = "sk-bench-overhead"
CONNECTIONS = (4, 32)
SERVER_CPU, LOAD_CPU = 0, 1
# Twelve words: enough for every frame to carry a delta.
ANSWER = "The quick brown fox jumps over the lazy dog while the cat sleeps."


def cpu_seconds(server: ServerProcess) -> float:
    fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(server: ServerProcess) -> float:
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS line")


def proxy_config(folder: Path, upstream: str) -> Path:
    config = {
        "server": {"data_dir": str(folder), "log_level": "WARNING"},
        "auth": {"api_keys": [KEY]},
        "accounts": [{"name": "main", "secure_1psid": "psid-main", "secure_1psidts": "ts-main"}],
        "limits": {
            "client": {"per_ip_per_hour": 10**9, "model_interval_seconds": 0},
            "pool": {"size": 64, "max_queue": 1000},
            "pacing": {"min_delay": 1e-6, "max_delay": 1e-6, "jitter": 0, "rpm": 10**9},
            "retry": {"max_retries": 0},
        },
        "default_model": "web",
        "model_list": [
            {
                "model_name": "web",
                "litellm_params": {"model": "gemini-web/web", "web_model": "gemini-3-flash"},
            },
            {
                "model_name": "bench",
                "litellm_params": {"model": "openai/bench", "api_base": upstream, "api_key": "x"},
            },
        ],
    }
    path = folder / "overhead.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@dataclass
class Row:
    name: str
    case: str
    p50: float
    p99: float
    rps: dict[int, float]
    cpu_ms: float


def measure(server: ServerProcess, path: str, model: str, name: str, seconds: int) -> list[Row]:
    url = f"{server.url}{path}"
    rows = []
    for case, stream in (("plain", False), ("stream", True)):
        body = json.dumps(
            {"model": model, "stream": stream, "messages": [{"role": "user", "content": "Hi."}]}
        )
        wrk(url, body, 4, 2, KEY)  # warm up
        cpu = cpu_seconds(server)
        one = wrk(url, body, 1, seconds, KEY)
        cpu_ms = (cpu_seconds(server) - cpu) * 1000 / max(one.requests, 1)
        rps = {c: wrk(url, body, c, seconds, KEY).requests_per_second for c in CONNECTIONS}
        rows.append(Row(name, case, one.p50_ms, one.p99_ms, rps, cpu_ms))
        print(
            f"{name:7} {case:6} p50 {one.p50_ms:6.2f} ms  p99 {one.p99_ms:6.2f} ms  "
            + "  ".join(f"{rps[c]:6.0f} req/s @{c}" for c in CONNECTIONS)
            + f"  CPU {cpu_ms:5.2f} ms/req",
            flush=True,
        )
    return rows


@contextmanager
def fake_gemini_web(events: int) -> Iterator[dict[str, str]]:
    def respond(request: FakeRequest) -> Reply:
        return replace(Reply(text=ANSWER), frames=events)

    with FakeGeminiWeb() as fake:
        fake.respond_with(respond)
        yield fake.env


def summary(rows: list[Row], events: int, bare: dict[str, Row]) -> None:
    by = {(r.name, r.case): r for r in rows}
    for name in ("web", "openai"):
        plain, stream = by[(name, "plain")], by[(name, "stream")]
        per_event = (stream.cpu_ms - plain.cpu_ms) / events
        print(
            f"{name}: added p50 {plain.p50 - bare['plain'].p50:.2f} ms plain, "
            f"{stream.p50 - bare['stream'].p50:.2f} ms streamed; CPU {plain.cpu_ms:.2f} ms plain, "
            f"{stream.cpu_ms:.2f} ms streamed ({per_event:.3f} ms per extra event)"
        )


def batch_drain() -> None:
    async def run() -> str:
        async with sqlite_store() as store:
            return await drain(store, 1, 40, 0.05, 2)

    print("batch " + asyncio.run(run()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--events", type=int, default=10, help="streamed events per reply")
    args = parser.parse_args()
    os.sched_setaffinity(0, {LOAD_CPU})  # wrk, the upstreams and us; servers get SERVER_CPU
    rows: list[Row] = []
    port = free_port()
    bare_command = [sys.executable, "-m", "uvicorn", "benchmarks.bare_app:app", "--port", str(port)]
    with ServerProcess(bare_command, port, REPO, cpu=SERVER_CPU) as bare:
        print(f"bare    start-up {bare.startup_seconds:.2f} s, RSS {rss_mb(bare):.0f} MB")
        rows += measure(bare, "/v1/chat/completions", "bench", "bare", args.seconds)
    bare_rows = {r.case: r for r in rows}
    up_port = free_port()
    up_command = [sys.executable, "-m", "benchmarks.instant_upstream", "--port", str(up_port)]
    up_command += ["--chunks", str(args.events - 2)]  # a role and a finish event besides
    with (
        tempfile.TemporaryDirectory() as folder,
        fake_gemini_web(args.events) as fake_env,
        ServerProcess(up_command, up_port, REPO, cpu=LOAD_CPU) as upstream,
    ):
        config = proxy_config(Path(folder), f"{upstream.url}/v1")
        port = free_port()
        command = [sys.executable, "-m", "proxy", "--config", str(config), "--port", str(port)]
        with ServerProcess(command, port, REPO, fake_env, SERVER_CPU) as proxy:
            time.sleep(1)  # let start-up work in the background (account init) settle
            rest = rss_mb(proxy)
            print(f"proxy   start-up {proxy.startup_seconds:.2f} s, RSS at rest {rest:.0f} MB")
            rows += measure(proxy, "/v1/chat/completions", "web", "web", args.seconds)
            rows += measure(proxy, "/v1/chat/completions", "bench", "openai", args.seconds)
            print(f"proxy   RSS after load {rss_mb(proxy):.0f} MB")
    summary(rows, args.events, bare_rows)
    os.sched_setaffinity(0, range(os.cpu_count() or 1))  # the drain runs here, with its threads
    batch_drain()


if __name__ == "__main__":
    main()
