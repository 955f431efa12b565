"""Per-account concurrency shared by every replica: a lease semaphore with a fair ticket queue.

Each pool (one per account) is four Redis keys; `{name}` is a hash tag, so one pool's keys sit
in one cluster slot:

    {prefix}pool:{name}:leases    sorted set  lease id -> expiry (ms, Redis TIME)
    {prefix}pool:{name}:queue     sorted set  lease id -> ticket (arrival order)
    {prefix}pool:{name}:waiting   sorted set  lease id -> when the waiter counts as gone (ms)
    {prefix}pool:{name}:tickets   counter     the last ticket handed out

Every step is one Lua script, so it is atomic and reads one clock, Redis' own (`TIME`):

- acquire(id): drop expired leases, and waiters that stopped asking (with their tickets).
  `free` = size - leases. A newcomer whose place would be within `free` takes a lease at once;
  otherwise it takes the next ticket, unless `max_queue` waiters already wait beyond the free
  slots (then: full). A queued id whose rank is below `free` turns its ticket into a lease;
  any other waiter just refreshes its `waiting` deadline and asks again `poll_interval` later.
  Slots go by ticket order, whichever replica a waiter runs on: none is overtaken or starved.
- renew(id): push the lease's expiry to now + lease, only if the id still holds a live lease.
  The holder renews every third of the lease for as long as its request runs (a long stream,
  an image download), so only a dead replica's lease runs out.
- release(id): remove the id from all three sets. Ids are random and known only to their
  owner, so only the owner renews or releases.

A replica that dies mid-request leaves its lease to expire (at most `lease_seconds`), and its
waiters to be dropped after `WAITER_TTL` without asking (a live waiter asks every
`poll_interval`; one that misses that long, say a stalled event loop, rejoins at the back).
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from proxy.core.clock import Clock
from proxy.core.limits import (
    ConcurrencyPool,
    PoolFull,
    PoolSettings,
    PoolStats,
    PoolTimeout,
    WaitEstimate,
)
from proxy.core.shared.errors import SharedStateDown
from proxy.core.shared.store import NOW_MS as _NOW_MS
from proxy.core.shared.store import SharedStore

logger = logging.getLogger(__name__)

_PRUNE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)) do
  redis.call('ZREM', KEYS[2], gone)
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
"""

# -> {1, 0} granted | {0, rank} queued | {-1, waiting} full
_ACQUIRE = (
    _NOW_MS
    + _PRUNE
    + """
local id, size, max_queue = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local lease_ms, waiter_ms = tonumber(ARGV[4]), tonumber(ARGV[5])
local free = size - redis.call('ZCARD', KEYS[1])
local rank = redis.call('ZRANK', KEYS[2], id)
if not rank then
  rank = redis.call('ZCARD', KEYS[2])
  if rank >= free then
    if rank - math.max(free, 0) >= max_queue then return {-1, rank} end
    redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), id)
  end
end
if rank < free then
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZADD', KEYS[1], now + lease_ms, id)
  redis.call('PEXPIRE', KEYS[1], lease_ms)
  return {1, 0}
end
redis.call('ZADD', KEYS[3], now + waiter_ms, id)
redis.call('PEXPIRE', KEYS[2], waiter_ms)
redis.call('PEXPIRE', KEYS[3], waiter_ms)
return {0, rank}
"""
)

_RENEW = (
    _NOW_MS
    + """
local expiry = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]))
if not expiry or expiry <= now then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""
)

_RELEASE = """
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return redis.call('ZREM', KEYS[1], ARGV[1])
"""

_STATS = _NOW_MS + _PRUNE + "return {redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2])}"

GRANTED, QUEUED, FULL = 1, 0, -1
WAITER_TTL = 5.0
"""Seconds after which a queued request that stopped asking loses its ticket."""


class SharedPool:
    """`async with pool.slot():` holds one of `size` slots shared by every replica.

    The interface of `ConcurrencyPool` (`slot()`, `stats`; `PoolFull`, `PoolTimeout`), plus
    `refresh()` to read the shared figures into `stats`. While Redis is unreachable, `slot()`
    raises `SharedStateDown`, or with a `fallback` pool (fail open) uses that one instead.
    """

    def __init__(
        self,
        store: SharedStore,
        settings: PoolSettings,
        clock: Clock,
        name: str,
        fallback: ConcurrencyPool | None = None,
    ) -> None:
        self.name = name
        self._store = store
        self._size = settings.size
        self._max_queue = settings.max_queue
        self._max_wait = settings.max_wait_seconds
        self._clock = clock
        self._fallback = fallback
        self._keys = [store.key("pool", "{" + name + "}", part) for part in ("leases", "queue")]
        self._keys += [store.key("pool", "{" + name + "}", "waiting")]
        self._tickets = store.key("pool", "{" + name + "}", "tickets")
        self._lease_ms = round(store.settings.lease_seconds * 1000)
        self._poll = store.settings.poll_interval
        self._waiter_ms = round(max(WAITER_TTL, 20 * self._poll) * 1000)
        self._acquire_script = store.script(_ACQUIRE)
        self._renew_script = store.script(_RENEW)
        self._release_script = store.script(_RELEASE)
        self._stats_script = store.script(_STATS)
        self._stats = PoolStats(self._size, self._size, 0, 0)
        self._wait = WaitEstimate(self._size, self._max_wait)

    @property
    def stats(self) -> PoolStats:
        """The shared figures as of the last `refresh()`."""
        return self._stats

    async def refresh(self) -> None:
        in_use, queued = await self._store.run(self._stats_script, self._keys, [])
        self._stats = PoolStats(self._size, max(0, self._size - in_use), in_use, queued)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        lease = f"{self._store.replica}:{uuid.uuid4().hex}"
        local: AbstractAsyncContextManager[None] | None
        try:
            await self._acquire(lease)
        except SharedStateDown:
            if self._fallback is None:
                raise
            logger.warning("Redis unreachable: pool %r falls back to this replica", self.name)
            local = self._fallback.slot()
        else:
            local = None
        if local is not None:
            async with local:
                yield
            return
        started = self._clock.now()
        keeper = asyncio.create_task(self._keep(lease))
        try:
            yield
        finally:
            keeper.cancel()
            self._wait.observe(self._clock.now() - started)
            await self._release(lease)

    async def _acquire(self, lease: str) -> None:
        deadline = self._clock.now() + self._max_wait
        args = [lease, self._size, self._max_queue, self._lease_ms, self._waiter_ms]
        try:
            while True:
                keys = [*self._keys, self._tickets]
                state, place = await self._store.run(self._acquire_script, keys, args)
                if state == GRANTED:
                    return
                if state == FULL:
                    raise PoolFull(self.name, place, self._wait.suggested_wait(place))
                if self._clock.now() >= deadline:
                    raise PoolTimeout(self.name, self._max_wait, self._wait.suggested_wait(place))
                await self._clock.sleep(self._poll)
        except BaseException:
            await self._release(lease)  # its ticket, or a lease granted as we were cancelled
            raise

    async def _keep(self, lease: str) -> None:
        """Renew the lease every third of its length until cancelled."""
        while True:
            await self._clock.sleep(self._lease_ms / 3000)
            try:
                args = [lease, self._lease_ms]
                held = await self._store.run(self._renew_script, self._keys[:1], args)
            except SharedStateDown:
                continue  # try again next round; the lease may still outlive the outage
            if not held:
                logger.warning("pool %r: a lease expired while its request ran", self.name)
                return

    async def _release(self, lease: str) -> None:
        # Unreachable Redis: the lease expires by itself.
        with contextlib.suppress(SharedStateDown):
            await self._store.run(self._release_script, self._keys, [lease])
