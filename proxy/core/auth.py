"""Optional API keys: off by default (any bearer is accepted, as the contract says)."""

import hmac

from fastapi import Request

from proxy.core.errors import Unauthorized


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def presented_key(request: Request) -> str | None:
    """The key a client sent: OpenAI's bearer, Google's header or `?key=`, Anthropic's header."""
    if bearer := _bearer(request):
        return bearer
    headers = request.headers
    return (
        headers.get("x-goog-api-key") or request.query_params.get("key") or headers.get("x-api-key")
    )


def presented_admin_key(request: Request) -> str | None:
    """The admin key: `X-Admin-Key` or a bearer only, never the query string (which access
    logs keep)."""
    return request.headers.get("x-admin-key") or _bearer(request)


def is_admin(request: Request) -> bool | None:
    """Whether the request carries the admin key; None when none was presented."""
    presented = presented_admin_key(request)
    if not presented:
        return None
    key: bytes | None = request.app.state.admin_key
    return key is not None and hmac.compare_digest(presented.encode(), key)


async def require_api_key(request: Request) -> None:
    keys: tuple[bytes, ...] = request.app.state.api_keys
    if not keys:
        return
    presented = (presented_key(request) or "").encode()
    # Compare against every key so timing tells nothing about which (or whether one) matched.
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(presented, key)
    if not matched:
        raise Unauthorized("Invalid or missing API key")
