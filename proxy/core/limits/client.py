"""Client limits, checked before any upstream work: an hourly quota per client IP and a minimum
interval between two requests for the same model; plus how to find the client's IP."""

from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Literal

from proxy.core.clock import Clock
from proxy.core.limits.config import ClientLimits
from proxy.core.limits.window import SlidingWindow

HOUR = 3600.0

Reason = Literal["ip_quota", "model_interval"]


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a request may go on; a rejection says why, for how long, and in what words."""

    allowed: bool
    reason: Reason | None = None
    retry_after: float = 0.0
    """Exact seconds until the same request would be admitted (if nobody else gets in first)."""
    detail: str = ""
    """The client-facing message, the body's `detail` of the 429."""


ADMIT = Decision(allowed=True)


def model_interval_detail(model: str, seconds: float) -> str:
    # The contract's text, byte for byte.
    return f"模型 {model} 调用过于频繁，请等待 {seconds:.1f} 秒后重试"


def ip_quota_detail(limit: int, seconds: float) -> str:
    return f"请求过于频繁：每小时最多 {limit} 次，请等待 {seconds:.1f} 秒后重试"


class ClientLimiter:
    """Admits a request only if both its IP's hourly quota and its model's interval allow it.

    Both limits are checked before either is recorded, so a request rejected by one does not
    use up the other. When both reject, the longer wait is reported: retrying sooner is futile.
    """

    def __init__(self, settings: ClientLimits, clock: Clock) -> None:
        self._per_ip = SlidingWindow(settings.per_ip_per_hour, HOUR, clock, settings.max_clients)
        # One request per interval is a sliding window of one.
        self._per_model = SlidingWindow(1, settings.model_interval_seconds, clock)

    def check(self, ip: str, model: str) -> Decision:
        """Admit (and count) the request, or say why not without counting it."""
        ip_wait = self._per_ip.wait(ip)
        model_wait = self._per_model.wait(model)
        if ip_wait <= 0 and model_wait <= 0:
            self._per_ip.record(ip)
            self._per_model.record(model)
            return ADMIT
        if ip_wait >= model_wait:
            detail = ip_quota_detail(self._per_ip.limit, ip_wait)
            return Decision(False, "ip_quota", ip_wait, detail)
        return Decision(
            False, "model_interval", model_wait, model_interval_detail(model, model_wait)
        )


def client_ip(
    peer: str,
    forwarded_for: str | None,
    trusted_proxies: Sequence[IPv4Network | IPv6Network],
) -> str:
    """The client's address: `peer`, unless `peer` is a trusted proxy, in which case the
    right-most `X-Forwarded-For` entry that is not itself a trusted proxy.

    Entries left of the first untrusted one are whatever the client chose to send, so they are
    never believed. Addresses come back in canonical form (IPv4-mapped IPv6 as IPv4), so one
    client has one key however it is spelt; an entry that is no address comes back as is.
    """
    chain = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    chain.append(peer)
    for hop in reversed(chain):
        address = _parse(hop)
        if address is None:
            return hop
        if not any(address in network for network in trusted_proxies):
            return str(address)
    # Every hop is one of our proxies: the left-most is the closest we have to the client.
    return str(_parse(chain[0]))


def _parse(text: str) -> IPv4Address | IPv6Address | None:
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
