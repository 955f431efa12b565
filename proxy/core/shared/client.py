"""Client limits shared by every replica: the per-IP hourly quota and the per-model interval.

Both are decided in one script on Redis' clock, so a request rejected by one limit does not
use up the other, and two replicas cannot both admit the last place (no read-then-write race):

    {prefix}client:ip:{ip}         sorted set  request id -> admission time (ms), last hour
    {prefix}client:model:{model}   string      when the model next admits a request (ms)

The waits are exact, as in `ClientLimiter`: until the oldest of the last `per_ip_per_hour`
admissions is an hour old, and until the model's next allowed time. (`limits`' Redis strategies
stamp entries with each replica's own clock and decide one key at a time, so they are not used.)
"""

import logging
import uuid

from proxy.core.limits import ADMIT, ClientLimiter, ClientLimits, Decision
from proxy.core.limits.client import HOUR, ip_quota_detail, model_interval_detail
from proxy.core.shared.errors import SharedStateDown
from proxy.core.shared.store import NOW_MS as _NOW_MS
from proxy.core.shared.store import SharedStore

logger = logging.getLogger(__name__)

# -> {ip_wait_ms, model_wait_ms}; both 0: admitted and counted
_CHECK = (
    _NOW_MS
    + """
local limit, window, interval = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local ip_wait = 0
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], -limit, -limit, 'WITHSCORES')
  ip_wait = tonumber(oldest[2]) + window - now
end
local model_wait = math.max(0, (tonumber(redis.call('GET', KEYS[2])) or 0) - now)
if ip_wait <= 0 and model_wait <= 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -limit - 1)
  redis.call('PEXPIRE', KEYS[1], window)
  if interval > 0 then redis.call('SET', KEYS[2], now + interval, 'PX', interval) end
end
return {ip_wait, model_wait}
"""
)


class SharedClientLimiter:
    """`await check(ip, model)`: the `ClientLimiter` decision, held across replicas. While Redis
    is unreachable it raises `SharedStateDown`, or with a `fallback` (fail open) decides with
    this replica's own limiter."""

    def __init__(
        self, store: SharedStore, settings: ClientLimits, fallback: ClientLimiter | None = None
    ) -> None:
        self._store = store
        self._limit = settings.per_ip_per_hour
        self._interval_ms = round(settings.model_interval_seconds * 1000)
        self._fallback = fallback
        self._check = store.script(_CHECK)

    async def check(self, ip: str, model: str) -> Decision:
        """Admit (and count) the request, or say why not without counting it."""
        keys = [self._store.key("client", "ip", ip), self._store.key("client", "model", model)]
        args = [uuid.uuid4().hex, self._limit, round(HOUR * 1000), self._interval_ms]
        try:
            ip_ms, model_ms = await self._store.run(self._check, keys, args)
        except SharedStateDown:
            if self._fallback is None:
                raise
            logger.warning("Redis unreachable: client limits fall back to this replica")
            return self._fallback.check(ip, model)
        ip_wait, model_wait = ip_ms / 1000, model_ms / 1000
        if ip_wait <= 0 and model_wait <= 0:
            return ADMIT
        if ip_wait >= model_wait:
            return Decision(False, "ip_quota", ip_wait, ip_quota_detail(self._limit, ip_wait))
        detail = model_interval_detail(model, model_wait)
        return Decision(False, "model_interval", model_wait, detail)
