"""A real uvicorn server running one of our apps, in a background thread, on a free port."""

import socket
import threading
import time
from typing import Any, Self

import uvicorn

from proxy.app import create_app
from proxy.clock import Clock
from proxy.config import Settings, parse_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.app = create_app(settings, clock=clock)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def services(self) -> Any:
        return self.app.state.services

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
