"""Optional API keys: off by default (any bearer is accepted, as the contract says)."""

import hmac

from fastapi import Request

from proxy.core.errors import Unauthorized


def presented_key(request: Request) -> str | None:
    """The key a client sent: OpenAI's bearer, Google's header or `?key=`, Anthropic's header."""
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    headers = request.headers
    return (
        headers.get("x-goog-api-key") or request.query_params.get("key") or headers.get("x-api-key")
    )


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
