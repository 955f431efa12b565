"""How uvicorn serves the app: options that belong to the proxy, not to uvicorn's defaults."""

from typing import Any

from proxy.core.config import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Client identity is ours alone (`limits.client.trusted_proxies`): uvicorn's own
    `X-Forwarded-For` handling would rewrite the peer from loopback before we see it. Idle
    keep-alive connections are closed after `server.keep_alive_seconds`."""
    return {
        "proxy_headers": False,
        "forwarded_allow_ips": "",
        "timeout_keep_alive": settings.server.keep_alive_seconds,
        "log_level": settings.server.log_level.lower(),
    }
