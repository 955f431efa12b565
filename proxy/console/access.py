"""Who may read the console's figures, and who may act.

- The admin key (`X-Admin-Key` or Bearer) opens everything: the figures and the admin API.
- Without a key, the figures are readable (never the actions) only on a machine where nobody
  else can ask: client auth is off (`auth.api_keys` empty), the peer is a loopback address, no
  forwarding header says a reverse proxy on this host relayed someone else's request, and the
  `Host` is a loopback name (a web page that rebinds its own name to 127.0.0.1 cannot read it).
- A key that is presented but wrong is refused, never downgraded to read-only, so the page can
  tell the operator the key is wrong.
"""

from enum import StrEnum
from ipaddress import IPv6Address, ip_address

from fastapi import Request

from proxy.core.auth import is_admin, presented_admin_key
from proxy.core.errors import Forbidden, Unauthorized

FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})


class Access(StrEnum):
    ADMIN = "admin"
    READ_ONLY = "read-only"


def _is_loopback_peer(request: Request) -> bool:
    if request.client is None:
        return False
    try:
        address = ip_address(request.client.host)
    except ValueError:
        return False
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _host_name(request: Request) -> str:
    host = request.headers.get("host", "").lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0]


def local_reader(request: Request) -> bool:
    """A keyless request that may read: auth off, from this machine, not relayed."""
    return (
        not request.app.state.api_keys
        and _is_loopback_peer(request)
        and not any(name in request.headers for name in FORWARDING_HEADERS)
        and _host_name(request) in LOOPBACK_HOSTS
    )


async def console_access(request: Request) -> Access:
    admin_key: bytes | None = request.app.state.admin_key
    admin = is_admin(request) if admin_key is not None else None
    if admin:
        return Access.ADMIN
    if admin is False:
        raise Unauthorized("Invalid admin key")
    if presented_admin_key(request) is None and local_reader(request):
        return Access.READ_ONLY
    if admin_key is None:
        raise Forbidden(
            "The console needs auth.admin_key (GEMINI_PROXY_ADMIN_KEY), or a request from "
            "this machine with auth.api_keys empty"
        )
    raise Unauthorized("The console needs the admin key")
