"""Chat latency and throughput: the proxy (Router + plugin) next to a bare FastAPI endpoint.

    python -m benchmarks.chat [--seconds 5] [--connections 16]

The proxy serves an instant provider plugin, so the figures are the proxy's own cost.
Needs Debian's `wrk`.
"""

import argparse
import json
import tempfile
from pathlib import Path

import yaml

from .harness import free_port, serve, uvicorn_command, wrk

BODY = {"model": "bench", "messages": [{"role": "user", "content": "Say something."}]}


def proxy_config(folder: Path) -> Path:
    config = {
        "server": {"data_dir": str(folder), "log_level": "WARNING"},
        "default_model": "bench",
        "model_list": [{"model_name": "bench", "litellm_params": {"model": "instant/bench"}}],
        "litellm_settings": {
            "custom_provider_map": [
                {"provider": "instant", "custom_handler": "benchmarks.instant_provider.InstantLLM"}
            ]
        },
    }
    path = folder / "config.yaml"
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
        bare_port, proxy_port = free_port(), free_port()
        with serve(uvicorn_command("benchmarks.bare_app:app", bare_port), bare_port) as url:
            bare = measure("bare", f"{url}/v1/chat/completions", args.seconds, args.connections)
        command = [
            "gemini-proxy",
            "--config",
            str(proxy_config(Path(folder))),
            "--port",
            str(proxy_port),
        ]
        with serve(command, proxy_port) as url:
            proxy = measure("proxy", f"{url}/v1/chat/completions", args.seconds, args.connections)
    for label in ("plain", "stream"):
        added = proxy[label]["p50"] - bare[label]["p50"]
        added99 = proxy[label]["p99"] - bare[label]["p99"]
        print(f"added by the proxy ({label}): p50 {added:.2f} ms, p99 {added99:.2f} ms; "
              f"throughput {proxy[label]['rps'] / bare[label]['rps']:.0%} of bare")  # fmt: skip


if __name__ == "__main__":
    main()
