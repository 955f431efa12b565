"""`FakeGeminiWeb`: the control object plus a running CONNECT proxy and HTTPS server.

Both servers run on an event loop in a background thread of their own, so the fake serves any
client: the test's event loop, an in-process uvicorn server, or subprocesses that inherit `env`.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Self

from aiohttp import web

from .connect_proxy import ConnectProxy
from .control import Control
from .server import build_app
from .tls import TlsMaterial

_START_TIMEOUT = 30.0


class FakeGeminiWeb(Control):
    """A fake gemini.google.com (and friends) for the unmodified `gemini_webapi` client.

    `start()` it, put `env` into the client's environment, script behaviour through the
    `Control` methods, `reset()` between tests and `stop()` at the end. Usable as a context
    manager.
    """

    def __init__(self, proxy_port: int = 0) -> None:
        super().__init__()
        self._proxy_port = proxy_port
        self._tls: TlsMaterial | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._proxy: ConnectProxy | None = None

    @property
    def proxy_url(self) -> str:
        assert self._proxy is not None, "FakeGeminiWeb not started"
        return f"http://127.0.0.1:{self._proxy.port}"

    @property
    def ca_path(self) -> str:
        """PEM file of the CA that signed the fake's certificate."""
        assert self._tls is not None, "FakeGeminiWeb not started"
        return str(self._tls.ca_path)

    @property
    def server_spki(self) -> str:
        """The fake certificate's SPKI hash, for browsers that take no CA file (Chromium)."""
        assert self._tls is not None, "FakeGeminiWeb not started"
        return self._tls.server_spki

    @property
    def env(self) -> dict[str, str]:
        """Variables that route a process's HTTPS through the fake and make it trust its CA.

        curl_cffi prefers REQUESTS_CA_BUNDLE over CURL_CA_BUNDLE, and some machines export the
        former, so both (and SSL_CERT_FILE for Python's ssl) point at the fake CA.
        """
        no_proxy = "127.0.0.1,localhost"
        return {
            "HTTPS_PROXY": self.proxy_url,
            "https_proxy": self.proxy_url,
            "REQUESTS_CA_BUNDLE": self.ca_path,
            "CURL_CA_BUNDLE": self.ca_path,
            "SSL_CERT_FILE": self.ca_path,
            "NO_PROXY": no_proxy,
            "no_proxy": no_proxy,
        }

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("FakeGeminiWeb already started")
        self._tls = TlsMaterial()
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(self._loop_exception)
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="fake-gemini-web", daemon=True
        )
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(_START_TIMEOUT)
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self.release_stalls()  # so the server can shut down at once
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(_START_TIMEOUT)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_START_TIMEOUT)
        self._loop.close()
        assert self._tls is not None
        self._tls.cleanup()
        self._loop = self._thread = self._tls = self._proxy = self._runner = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def _serve(self) -> None:
        assert self._tls is not None
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._runner = web.AppRunner(build_app(self), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.SockSite(self._runner, sock, ssl_context=self._tls.server_context()).start()
        self._proxy = ConnectProxy(sock.getsockname()[1], self.log_connect)
        await self._proxy.start(self._proxy_port)

    async def _shutdown(self) -> None:
        assert self._proxy is not None and self._runner is not None
        await self._proxy.close()
        await self._runner.cleanup()

    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        # Peers that vanish mid-TLS are routine for a fake that clients abandon; anything else is
        # a bug worth seeing.
        if isinstance(context.get("exception"), ConnectionError | TimeoutError):
            return
        self.record_error(str(context.get("message")))
        loop.default_exception_handler(context)
