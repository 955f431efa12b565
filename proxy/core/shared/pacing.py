"""Upstream pacing shared by every replica: one spacing and one rolling-minute cap per account.

The state of `Pacer` (see proxy/core/limits/pacing.py for the rule) lives in Redis instead:

    {prefix}pace:{name}:state    hash        delay, last_start, last_429, consecutive_429s (ms)
    {prefix}pace:{name}:starts   sorted set  call id -> start time, the last minute only

`turn` admits a call when `max(last_start, last_429) + delay * (1 + jitter * u)` has passed and
fewer than `rpm` calls started in the last minute, recording its start in the same script;
otherwise it answers how long to wait. `record` applies a call's outcome: a 429 on any replica
pushes every replica's next turn back.
"""

import asyncio
import logging
import random
import uuid

from proxy.core.clock import Clock
from proxy.core.limits import Pacer, PacingSettings, PacingStats
from proxy.core.shared.errors import SharedStateDown
from proxy.core.shared.store import NOW_MS as _NOW_MS
from proxy.core.shared.store import SharedStore

logger = logging.getLogger(__name__)

# -> milliseconds to wait (0: the call may start now, and it is counted)
_TURN = (
    _NOW_MS
    + """
local u, min_delay = tonumber(ARGV[2]), tonumber(ARGV[3])
local jitter, rpm = tonumber(ARGV[4]), tonumber(ARGV[5])
local state = redis.call('HMGET', KEYS[1], 'delay', 'last_start', 'last_429')
local delay = tonumber(state[1]) or min_delay
local anchor = math.max(tonumber(state[2]) or -1e18, tonumber(state[3]) or -1e18)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 60000)
local start = anchor + delay * (1 + jitter * u)
if redis.call('ZCARD', KEYS[2]) >= rpm then
  local oldest = redis.call('ZRANGE', KEYS[2], -rpm, -rpm, 'WITHSCORES')
  start = math.max(start, tonumber(oldest[2]) + 60000)
end
if start > now then return math.ceil(start - now) end
redis.call('HSET', KEYS[1], 'last_start', now)
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('PEXPIRE', KEYS[2], 60000)
return 0
"""
)

_RECORD = (
    _NOW_MS
    + """
local status = tonumber(ARGV[1])
local min_delay, max_delay = tonumber(ARGV[2]), tonumber(ARGV[3])
local delay = tonumber(redis.call('HGET', KEYS[1], 'delay')) or min_delay
if status == 429 then
  redis.call('HINCRBY', KEYS[1], 'consecutive_429s', 1)
  redis.call('HSET', KEYS[1], 'last_429', now)
  delay = math.min(delay * tonumber(ARGV[4]), max_delay)
else
  redis.call('HSET', KEYS[1], 'consecutive_429s', 0)
  if status >= 200 and status < 300 then delay = math.max(delay * tonumber(ARGV[5]), min_delay) end
end
redis.call('HSET', KEYS[1], 'delay', delay)
return 1
"""
)

_STATS = (
    _NOW_MS
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 60000)
local state = redis.call('HMGET', KEYS[1], 'delay', 'consecutive_429s')
return {state[1] or '', state[2] or '0', redis.call('ZCARD', KEYS[2])}
"""
)


class SharedPacer:
    """The interface of `Pacer` (`wait_turn()`, `record(status)`, `stats`), plus `refresh()`
    to read the shared figures into `stats`. While Redis is unreachable `wait_turn()` raises
    `SharedStateDown`, or with a `fallback` pacer (fail open) paces with that one instead."""

    def __init__(
        self,
        store: SharedStore,
        settings: PacingSettings,
        clock: Clock,
        rng: random.Random,
        name: str,
        fallback: Pacer | None = None,
    ) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock
        self._rng = rng
        self._fallback = fallback
        self._keys = [store.key("pace", "{" + name + "}", part) for part in ("state", "starts")]
        self._turn = store.script(_TURN)
        self._record = store.script(_RECORD)
        self._stats_script = store.script(_STATS)
        self._stats = PacingStats(settings.min_delay, 0, 0, settings.rpm)
        self._pending: set[asyncio.Task[None]] = set()

    @property
    def stats(self) -> PacingStats:
        """The shared figures as of the last `refresh()`."""
        return self._stats

    async def refresh(self) -> None:
        delay, consecutive, recent = await self._store.run(self._stats_script, self._keys, [])
        current = float(delay) / 1000 if delay else self._settings.min_delay
        self._stats = PacingStats(current, int(recent), int(consecutive), self._settings.rpm)

    async def wait_turn(self) -> None:
        """Wait until the next upstream call may start on any replica, and count it."""
        settings = self._settings
        call = uuid.uuid4().hex
        u = self._rng.random()
        args = [call, u, settings.min_delay * 1000, settings.jitter, settings.rpm]
        try:
            while wait_ms := await self._store.run(self._turn, self._keys, args):
                await self._clock.sleep(wait_ms / 1000)
        except SharedStateDown:
            if self._fallback is None:
                raise
            await self._fallback.wait_turn()

    def record(self, status: int | None) -> None:
        """The call's outcome, written in the background (callers of `Pacer.record` do not
        await); a lost write only costs one step of the spacing."""
        if self._fallback is not None:
            self._fallback.record(status)
        task = asyncio.ensure_future(self._write(status))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def flush(self) -> None:
        """Wait for the outcomes still being written (before the connection closes)."""
        await asyncio.gather(*self._pending, return_exceptions=True)

    async def _write(self, status: int | None) -> None:
        s = self._settings
        args = [-1 if status is None else status, s.min_delay * 1000, s.max_delay * 1000]
        try:
            await self._store.run(self._record, self._keys[:1], [*args, s.backoff, s.recovery])
        except SharedStateDown:
            logger.warning("Redis unreachable: an upstream outcome was not shared")
