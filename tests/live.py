"""Real servers of ours for tests: an app in a uvicorn thread (`LiveServer`), or any server
command as a subprocess that can be killed (`ServerProcess`)."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self, TypeVar

import httpx
import uvicorn

from proxy.app import create_app
from proxy.core.clock import Clock
from proxy.core.config import Settings, parse_settings
from proxy.serving import uvicorn_options

T = TypeVar("T")


def poll(ready: Callable[[], T], what: str, seconds: float = 20) -> T:
    """`ready()`'s first truthy value, asked every 20 ms for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if value := ready():
                return value
        except httpx.TransportError:
            pass  # the server is still starting or restarting
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chat(
    url: str, text: str = "hi", headers: dict[str, str] | None = None, **fields: Any
) -> httpx.Response:
    """One user message to `{url}/v1/chat/completions`; `fields` join the body (model...)."""
    body = {"messages": [{"role": "user", "content": text}], **fields}
    return httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers, timeout=30)


def signed_in(url: str) -> bool:
    """The proxy's account has signed in with the (fake) upstream."""
    return bool(httpx.get(f"{url}/api/cookies/status").json()["valid"])


def settings_for_fake(data_dir: str, **sections: Any) -> Settings:
    """Settings for one account against the fake upstream, with short timeouts."""
    raw: dict[str, Any] = {
        "server": {"data_dir": data_dir, "log_level": "WARNING"},
        "accounts": [{"name": "main", "secure_1psid": "psid-main", "secure_1psidts": "ts-main"}],
        "gemini_web": {"init_timeout": 10, "request_timeout": 10, "idle_timeout": 3},
        # Limits are tested on their own; elsewhere they would only slow tests down.
        "limits": {
            "client": {"enabled": False},
            "pacing": {"min_delay": 0.001},
            "retry": {"max_retries": 0},
        },
    }
    for name, values in sections.items():
        raw[name] = _merge(raw.get(name, {}), values) if isinstance(values, dict) else values
    return parse_settings(raw)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        old = merged.get(key)
        nested = isinstance(old, dict) and isinstance(value, dict)
        merged[key] = _merge(old, value) if nested else value
    return merged


class LiveServer:
    """`with LiveServer(settings) as server:` serves `server.url` until the block ends."""

    def __init__(
        self, settings: Settings, clock: Clock | None = None, log_level: str = "warning"
    ) -> None:
        self.app = create_app(settings, clock=clock)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        options = {**uvicorn_options(settings), "log_level": log_level}
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, lifespan="on", **options
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)


class ServerProcess:
    """`command` (default: `python -m proxy --config CONFIG`) as a subprocess, with `env` added to
    ours and pinned to `cpu` if given; returns once `{url}/health` answers (any status), having
    noted how long that took in `startup_seconds`."""

    def __init__(
        self,
        command: list[str],
        port: int,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        cpu: int | None = None,
    ) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.command = command
        started = time.perf_counter()
        self.process = subprocess.Popen(
            command, cwd=cwd, env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=None if cpu is None else lambda: os.sched_setaffinity(0, {cpu}),
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(f"{self.url}/health", timeout=1)
                break
            except httpx.HTTPError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"server did not start: {command}") from None
                time.sleep(0.01)
        self.startup_seconds = time.perf_counter() - started

    @classmethod
    def proxy(cls, config: Path, port: int, *args: str) -> "ServerProcess":
        return cls([sys.executable, "-m", "proxy", "--config", str(config), *args], port)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
