"""Client URLs cannot reach inside: every attack URL is refused with a 400 naming it, and the
loopback listeners the test starts record zero requests; allow-listed hosts still work, with
deadlines, byte limits and content checks, fetched once per request whatever the retries."""

import base64
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import trustme

from tests.clocks import FakeClock
from tests.fakes.gemini_web import FakeGeminiWeb, make_png
from tests.live import LiveServer, settings_for_fake

CHAT = "/v1/chat/completions"
PNG = make_png(8, 8)


class Listener:
    """A loopback HTTP server that records every request path and serves a few behaviours."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.paths: list[str] = []
        paths = self.paths

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                paths.append(self.path)
                if self.path.startswith("/redirect/"):
                    self.send_response(302)
                    self.send_header("Location", "http://" + self.path.removeprefix("/redirect/"))
                    self.end_headers()
                    return
                body = {"/png": PNG, "/html": b"<html>internal admin page</html>"}.get(
                    self.path, b"x" * 5000
                )
                self.send_response(200)
                self.send_header("Content-Type", "image/png")  # a lie for /html
                if self.path != "/trickle":
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path == "/trickle":
                    for _ in range(50):
                        self.wfile.write(b"\x89")
                        self.wfile.flush()
                        time.sleep(0.1)
                    return
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("0.0.0.0", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    served = Listener()
    yield served
    served.close()


def _ask(url: str, image_url: str) -> httpx.Response:
    content = [{"type": "text", "text": "transcribe the file"}]
    content.append({"type": "image_url", "image_url": {"url": image_url}})  # type: ignore[dict-item]
    body = {"messages": [{"role": "user", "content": content}]}
    return httpx.post(f"{url}{CHAT}", json=body, timeout=30)


def _native(url: str, file_uri: str) -> httpx.Response:
    parts = [{"text": "describe"}, {"fileData": {"mimeType": "image/png", "fileUri": file_uri}}]
    body = {"contents": [{"role": "user", "parts": parts}]}
    return httpx.post(f"{url}/v1beta/models/gemini-2.5-flash:generateContent", json=body)


def test_internal_addresses_in_any_form_are_refused_unfetched(
    fake_gemini: FakeGeminiWeb, tmp_path: Path, listener: Listener
) -> None:
    port = listener.port
    attacks = [
        f"http://127.0.0.1:{port}/png",
        f"http://localhost:{port}/png",
        f"http://LOCALHOST.:{port}/png",
        f"http://127.0.0.2:{port}/png",
        f"http://2130706434:{port}/png",  # 127.0.0.2 in decimal
        f"http://0177.0.0.1:{port}/png",  # octal
        f"http://0x7f.1:{port}/png",
        f"http://[::1]:{port}/png",
        f"http://[::ffff:127.0.0.1]:{port}/png",
        f"http://0.0.0.0:{port}/png",
        f"http://user:pw@127.0.0.1:{port}/png",
        f"http://user:pw@example.com:{port}/png",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
    ]
    not_urls = ["file:///etc/passwd", f"ftp://127.0.0.1:{port}/png", "gopher://127.0.0.1/"]
    with LiveServer(settings_for_fake(str(tmp_path))) as live:
        for attack in attacks:
            response = _ask(live.url, attack)
            assert response.status_code == 400, (attack, response.text)
            assert response.json()["detail"].startswith(f"refused to fetch {attack}: ")
        for other in not_urls:  # never fetched: not http(s), so not a URL we know
            assert _ask(live.url, other).status_code == 400
        native = _native(live.url, f"http://2130706434:{port}/png")
        assert native.status_code == 400
        assert "refused to fetch" in native.json()["error"]["message"]
    assert listener.paths == []
    assert fake_gemini.generate_calls == 0


def test_allow_listed_hosts_are_fetched_with_every_check_still_applied(
    fake_gemini: FakeGeminiWeb, tmp_path: Path, listener: Listener
) -> None:
    inner = Listener()
    web = {"max_attachment_bytes": 1000, "url_fetch": {"allow_hosts": ["localhost"], "timeout": 1}}
    allowed = f"http://localhost:{listener.port}"
    try:
        with LiveServer(settings_for_fake(str(tmp_path), gemini_web=web)) as live:
            assert _ask(live.url, f"{allowed}/png").status_code == 200
            (upload,) = fake_gemini.uploads
            assert upload.data == PNG and upload.filename.endswith(".png")

            html = _ask(live.url, f"{allowed}/html")
            assert html.status_code == 400 and "not an image" in html.json()["detail"]
            big = _ask(live.url, f"{allowed}/big")
            assert big.status_code == 400 and "larger than 1000 bytes" in big.json()["detail"]
            started = time.monotonic()
            trickle = _ask(live.url, f"{allowed}/trickle")
            assert trickle.status_code == 400 and "within 1 s" in trickle.json()["detail"]
            assert time.monotonic() - started < 3
            hop = _ask(live.url, f"{allowed}/redirect/127.0.0.1:{inner.port}/png")
            assert hop.status_code == 400, hop.text
            assert f"127.0.0.1:{inner.port}" in hop.json()["detail"]
    finally:
        inner.close()
    assert inner.paths == []
    assert fake_gemini.generate_calls == 1


def test_a_certificate_no_public_authority_signed_is_refused_unread(
    fake_gemini: FakeGeminiWeb, tmp_path: Path
) -> None:
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("localhost").configure_cert(tls)  # a CA of the test's own
    server = Listener(tls)
    web = {"url_fetch": {"allow_hosts": ["localhost"], "timeout": 5}}
    try:
        with LiveServer(settings_for_fake(str(tmp_path), gemini_web=web)) as live:
            refused = _ask(live.url, f"https://localhost:{server.port}/png")
    finally:
        server.close()
    assert refused.status_code == 400 and "could not download it" in refused.json()["detail"]
    assert server.paths == [] and fake_gemini.generate_calls == 0


def test_a_url_is_fetched_once_per_request_not_per_retry(
    fake_gemini: FakeGeminiWeb, tmp_path: Path, listener: Listener
) -> None:
    fake_gemini.fail("generate", 500, times=2)
    web = {"url_fetch": {"allow_hosts": ["localhost"]}}
    limits = {"retry": {"max_retries": 3}}
    settings = settings_for_fake(str(tmp_path), gemini_web=web, limits=limits)
    with LiveServer(settings, clock=FakeClock()) as live:
        response = _ask(live.url, f"http://localhost:{listener.port}/png")
        assert response.status_code == 200
    assert fake_gemini.generate_calls == 3
    assert listener.paths == ["/png"]


def test_data_urls_still_pass_untouched(fake_gemini: FakeGeminiWeb, tmp_path: Path) -> None:
    with LiveServer(settings_for_fake(str(tmp_path))) as live:
        data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
        assert _ask(live.url, data_url).status_code == 200
    assert fake_gemini.uploads[0].data == PNG
