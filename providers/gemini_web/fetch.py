"""Fetching client-supplied URLs (`image_url`, `fileData.fileUri`) without reaching inside.

A URL is fetched only if it is `http(s)`, carries no userinfo, and its host resolves to public
addresses only (loopback, private, link-local, multicast, reserved and unspecified refused, in
any textual form, IPv4-mapped and 6to4/Teredo included), unless the operator allow-lists it.
The connection goes to the very address that was checked (the request names the host in
`Host` and TLS SNI), so DNS cannot change its answer between check and connect. Redirects are
followed by hand, every hop checked. The whole fetch has one deadline and a byte limit, and the
bytes must be an image or a PDF by their own header, whatever the server claims.

Client URLs are turned into `data:` URLs once per request, before retries (`inline_urls`).
"""

import asyncio
import base64
import ipaddress
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import httpx

from .errors import GeminiWebError
from .settings import UrlFetchSettings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_MAX_REDIRECTS = 5
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"ftypheic", 4, "image/heic"),
    (b"ftypheix", 4, "image/heic"),
    (b"ftypavif", 4, "image/avif"),
    (b"%PDF-", 0, "application/pdf"),
)


class FetchRefused(GeminiWebError):
    """A client URL we will not fetch, or whose content is not acceptable (400)."""

    def __init__(self, url: str, why: str) -> None:
        super().__init__(400, f"refused to fetch {url[:200]}: {why}", reason="bad_request")


def sniff_file_type(data: bytes) -> str | None:
    """The MIME type of an image or PDF, read from its first bytes; None for anything else."""
    return next((mime for magic, at, mime in _SIGNATURES if data[at:].startswith(magic)), None)


def _embedded(ip: IPAddress) -> Iterator[IPAddress]:
    yield ip
    if isinstance(ip, ipaddress.IPv6Address):
        for inner in (ip.ipv4_mapped, ip.sixtofour, ip.teredo and ip.teredo[1]):
            if inner:
                yield inner


def is_public(ip: IPAddress) -> bool:
    return all(
        candidate.is_global
        and not (candidate.is_multicast or candidate.is_reserved or candidate.is_unspecified)
        for candidate in _embedded(ip)
    )


class SafeFetcher:
    def __init__(self, settings: UrlFetchSettings, max_bytes: int) -> None:
        self.settings = settings
        self.max_bytes = max_bytes
        # One TLS context for every fetch: building one (the CA bundle) costs ~30 ms of CPU.
        # Each fetch still gets a client of its own, so a connection opened for one host name
        # is never reused for another name at the same address.
        self._tls = httpx.create_ssl_context(trust_env=False)
        self._allowed_names: set[str] = set()
        self._allowed_nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in settings.allow_hosts:
            try:
                self._allowed_nets.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self._allowed_names.add(entry.lower().rstrip("."))

    async def fetch(self, url: str) -> tuple[str, bytes]:
        """(MIME type, bytes) of the image or PDF at `url`; `FetchRefused` otherwise."""
        try:
            async with asyncio.timeout(self.settings.timeout):
                return await self._follow(url)
        except TimeoutError:
            raise FetchRefused(url, f"not received within {self.settings.timeout:g} s") from None

    async def _follow(self, url: str) -> tuple[str, bytes]:
        async with httpx.AsyncClient(
            follow_redirects=False, trust_env=False, verify=self._tls
        ) as http:
            current = url
            for _ in range(_MAX_REDIRECTS + 1):
                target, netloc, host = await self._checked(current)
                # Identity: raw bytes are what is sized and sniffed.
                headers = {"Host": netloc, "Accept-Encoding": "identity"}
                request = http.build_request(
                    "GET", target, headers=headers, extensions={"sni_hostname": host}
                )
                try:
                    response = await http.send(request, stream=True)
                except httpx.HTTPError:
                    raise FetchRefused(current, "could not download it") from None
                try:
                    if response.is_redirect and "location" in response.headers:
                        current = urljoin(current, response.headers["location"])
                        continue
                    if response.status_code != 200:
                        raise FetchRefused(current, f"it answered HTTP {response.status_code}")
                    data = await self._read(current, response)
                finally:
                    await response.aclose()
                mime = sniff_file_type(data)
                if mime is None:
                    raise FetchRefused(current, "it is not an image or a PDF")
                return mime, data
        raise FetchRefused(url, f"more than {_MAX_REDIRECTS} redirects")

    async def _read(self, url: str, response: httpx.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_raw():
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchRefused(url, f"larger than {self.max_bytes} bytes")
                chunks.append(chunk)
        except httpx.HTTPError:
            raise FetchRefused(url, "the download failed") from None
        return b"".join(chunks)

    async def _checked(self, url: str) -> tuple[httpx.URL, str, str]:
        """The URL to request (host replaced by the checked address), the Host header to send
        (with a port) and the host name TLS checks the certificate against."""
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL:
            raise FetchRefused(url, "not a valid URL") from None
        if parsed.scheme not in ("http", "https"):
            raise FetchRefused(url, "only http and https URLs are fetched")
        if parsed.userinfo:
            raise FetchRefused(url, "URLs with credentials are not fetched")
        host = parsed.host.lower().rstrip(".")
        if not host:
            raise FetchRefused(url, "the URL has no host")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        ip = await self._resolve(url, host, port)
        allowed = host in self._allowed_names or any(ip in net for net in self._allowed_nets)
        if not allowed and not is_public(ip):
            raise FetchRefused(url, "it points to an internal address")
        return parsed.copy_with(host=str(ip)), parsed.netloc.decode("ascii"), host

    async def _resolve(self, url: str, host: str, port: int) -> IPAddress:
        """The address to connect to: an internal one if the host has any (so that it is
        refused unless allow-listed), else the first."""
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError):
            raise FetchRefused(url, "its host does not resolve") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        if not addresses:
            raise FetchRefused(url, "its host does not resolve")
        internal = [ip for ip in addresses if not is_public(ip)]
        return internal[0] if internal else addresses[0]


async def inline_urls(messages: list[Any], fetcher: SafeFetcher) -> list[Any]:
    """`messages` with every http(s) `image_url` replaced by a `data:` URL of its bytes."""
    inlined = []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            inlined.append(message)
            continue
        parts = []
        for part in content:
            image = part.get("image_url") if isinstance(part, dict) else None
            url = image.get("url") if isinstance(image, dict) else image
            if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
                mime, data = await fetcher.fetch(url)
                encoded = base64.b64encode(data).decode()
                part = {**part, "image_url": {"url": f"data:{mime};base64,{encoded}"}}
            parts.append(part)
        inlined.append({**message, "content": parts})
    return inlined
