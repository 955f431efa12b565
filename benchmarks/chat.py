"""Chat latency and throughput: the proxy (Router + plugin) next to a bare FastAPI endpoint.

    python -m benchmarks.chat [--seconds 5] [--connections 16]

The proxy serves an instant provider plugin, so the figures are the proxy's own cost. It runs
twice: with the client limits off, and on (with quotas too large to bind, so what is measured
is their cost, not their refusals); the pool and pacing are sized not to bind either.
Needs Debian's `wrk`.
"""

import argparse
import json
import tempfile
from pathlib import Path

import yaml

from tests.live import free_port

from .harness import serve, uvicorn_command, wrk

BODY = {"model": "bench", "messages": [{"role": "user", "content": "Say something."}]}


def proxy_config(folder: Path, client_limits: bool) -> Path:
    limits = {
        "client": {"enabled": client_limits, "per_ip_per_hour": 10**9, "model_interval_seconds": 0},
        "pool": {"size": 64, "max_queue": 1000},
        "pacing": {"min_delay": 1e-6, "max_delay": 1e-6, "rpm": 10**9},
        "retry": {"max_retries": 0},
    }
    config = {
        "server": {"data_dir": str(folder), "log_level": "WARNING"},
        "limits": limits,
        "default_model": "bench",
        "model_list": [{"model_name": "bench", "litellm_params": {"model": "instant/bench"}}],
        "litellm_settings": {
            "custom_provider_map": [
                {"provider": "instant", "custom_handler": "benchmarks.instant_provider.InstantLLM"}
            ]
        },
    }
    path = folder / f"config-{client_limits}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def measure(name: str, url: str, seconds: int, connections: int) -> dict[str, dict[str, float]]:
    results = {}
    for label, stream in (("plain", False), ("stream", True)):
        body = json.dumps({**BODY, "stream": stream})
        wrk(url, body, 4, 2)  # warm up
        one = wrk(url, body, 1, seconds)
        many = wrk(url, body, connections, seconds)
        results[label] = {"p50": one.p50_ms, "p99": one.p99_ms, "rps": many.requests_per_second}
        print(f"{name:8} {label:7} p50 {one.p50_ms:7.2f} ms  p99 {one.p99_ms:7.2f} ms  "
              f"{many.requests_per_second:8.0f} req/s @ {connections} connections")  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        with serve(uvicorn_command("benchmarks.bare_app:app", port), port) as url:
            bare = measure("bare", f"{url}/v1/chat/completions", args.seconds, args.connections)
        runs = {}
        for name, client_limits in (("proxy", False), ("+limits", True)):
            config = proxy_config(Path(folder), client_limits)
            command = ["gemini-proxy", "--config", str(config), "--port", str(port)]
            with serve(command, port) as url:
                chat = f"{url}/v1/chat/completions"
                runs[name] = measure(name, chat, args.seconds, args.connections)
    for name, run in runs.items():
        for label in ("plain", "stream"):
            added = run[label]["p50"] - bare[label]["p50"]
            added99 = run[label]["p99"] - bare[label]["p99"]
            share = run[label]["rps"] / bare[label]["rps"]
            print(f"{name} added ({label}): p50 {added:.2f} ms, p99 {added99:.2f} ms; "
                  f"throughput {share:.0%} of bare")  # fmt: skip


if __name__ == "__main__":
    main()
