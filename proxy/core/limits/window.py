"""An exact sliding-window counter per key, with bounded memory."""

from collections import OrderedDict, deque

from proxy.core.clock import Clock


class SlidingWindow:
    """At most `limit` events per key in any `window` seconds.

    A key's events are kept as timestamps (at most `limit` of them), so the wait is exact:
    the time until the oldest counted event leaves the window. Keys idle for a whole window are
    forgotten; past `max_keys` the least recently active key is forgotten too, which errs on the
    side of admitting that key again.
    """

    def __init__(self, limit: int, window: float, clock: Clock, max_keys: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_keys = max_keys
        # Ordered by last activity, so idle keys gather at the front.
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        """Keys currently remembered."""
        return len(self._events)

    def wait(self, key: str) -> float:
        """Seconds before `key` may have another event; 0.0 if it may now."""
        events = self._events.get(key)
        if events is None:
            return 0.0
        horizon = self._clock.now() - self.window
        while events and events[0] <= horizon:
            events.popleft()
        if len(events) < self.limit:
            return 0.0
        return events[0] - horizon

    def record(self, key: str) -> None:
        """Count an event for `key` now (callers check `wait` first)."""
        now = self._clock.now()
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque(maxlen=self.limit)
        else:
            self._events.move_to_end(key)
        events.append(now)
        self._forget(now - self.window)

    def _forget(self, horizon: float) -> None:
        while self._events:
            oldest_key, events = next(iter(self._events.items()))
            if events and events[-1] > horizon and len(self._events) <= self._max_keys:
                return
            del self._events[oldest_key]
