"""Admission: the first step of every use case. Who is asking (`Caller`), for which model, and
whether the per-client limits let them in (an hourly quota per IP, one request per model
interval) and the prompt fits.

Routes turn the HTTP request into a `Caller` (a typed dependency); services call `admit` before
any other work, so no use case can reach the upstream without passing it.
"""

from dataclasses import dataclass
from typing import Protocol

from starlette.requests import Request

from proxy.core.config import Settings
from proxy.core.errors import BadRequest, RateLimited, ServiceUnavailable
from proxy.core.limits import ClientLimiter, Decision, client_ip
from proxy.core.metrics import Metrics
from proxy.core.shared.errors import SharedStateDown


@dataclass
class Caller:
    """One client request as the services see it, without HTTP."""

    ip: str
    base_url: str
    """Absolute base for URLs handed back to this client (stored images)."""
    model: str = ""
    """The public model it was admitted for; request metrics label by it."""


class ClientLimits(Protocol):
    """Decides the per-client limits: in this process, or shared through Redis."""

    async def check(self, ip: str, model: str) -> Decision: ...


class InProcessLimits:
    """This process's `ClientLimiter` behind the awaitable `ClientLimits` interface."""

    def __init__(self, limiter: ClientLimiter) -> None:
        self.limiter = limiter

    async def check(self, ip: str, model: str) -> Decision:
        return self.limiter.check(ip, model)


class Admission:
    def __init__(
        self,
        settings: Settings,
        limiter: ClientLimits,
        metrics: Metrics,
    ) -> None:
        self.limits = settings.limits.client
        self.max_prompt_chars = settings.server.max_prompt_chars
        self.public_base_url = settings.server.public_base_url
        self.limiter = limiter
        self.metrics = metrics

    def identify(self, request: Request) -> Caller:
        """The caller of an HTTP request; the request's state keeps it for request metrics."""
        peer = request.client.host if request.client else ""
        forwarded = request.headers.get("x-forwarded-for")
        caller = Caller(
            ip=client_ip(peer, forwarded, self.limits.trusted_proxies),
            base_url=(self.public_base_url or str(request.base_url)).rstrip("/"),
        )
        request.state.caller = caller
        return caller

    async def admit(
        self, caller: Caller, model: str, prompt_chars: int = 0, *, upstream: bool = True
    ) -> None:
        """Let `caller` in for `model` (a resolved public id), or raise 400 / 429 (503 when
        shared limits cannot be confirmed and fail closed).

        `upstream=False`: the use case asks Gemini web nothing (token counts), so it spends
        none of the caller's quota or model interval."""
        caller.model = model
        if prompt_chars > self.max_prompt_chars:
            raise BadRequest(
                f"Prompt is too long: {prompt_chars} characters, at most {self.max_prompt_chars}"
            )
        if not (self.limits.enabled and upstream):
            return
        try:
            decision = await self.limiter.check(caller.ip, model)
        except SharedStateDown:
            self.metrics.limiter_rejections.labels("shared_state_unavailable").inc()
            raise ServiceUnavailable(
                "Client limits cannot be checked: Redis is unreachable"
            ) from None
        if not decision.allowed:
            self.metrics.limiter_rejections.labels(decision.reason or "client").inc()
            raise RateLimited(decision.detail, retry_after=decision.retry_after)
