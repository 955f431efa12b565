"""Metrics read from live state at scrape time: accounts, their pools and pacing, job tasks.

With Redis the pools, pacing and tasks are shared figures, the same on every replica; the
accounts' health is this replica's own view, so it carries a `replica` label."""

import time
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from providers.gemini_web import AccountPool
from providers.gemini_web.states import State
from proxy.accounts.gate import AccountLimits


class LiveState(Collector):
    def __init__(
        self, accounts: AccountPool, gate: AccountLimits, replica: str | None = None
    ) -> None:
        self.accounts = accounts
        self.gate = gate
        self.replica = replica
        self.tasks: dict[str, int] = {}
        """Job tasks by state, refreshed by the /metrics route before each scrape (the store
        is async, a collector is not)."""
        self.started = time.time()

    def collect(self) -> Iterator[Metric]:
        yield from self._accounts()
        yield from self._pacing()
        yield from self._pools()
        tasks = GaugeMetricFamily(
            "gemini_proxy_batch_tasks", "Job tasks by state", labels=["state"]
        )
        for state, count in self.tasks.items():
            if state != "total":
                tasks.add_metric([state], count)
        yield tasks

    def _pacing(self) -> Iterator[Metric]:
        families = {
            "delay_seconds": "Current spacing between upstream calls",
            "consecutive_429": "Upstream 429s in a row",
            "requests_last_minute": "Upstream calls in the last minute",
            "rpm_limit": "Most upstream calls allowed per minute",
        }
        gauges = {
            name: GaugeMetricFamily(f"gemini_proxy_upstream_{name}", doc, labels=["account"])
            for name, doc in families.items()
        }
        for account, pacer in self.gate.pacers.items():
            stats = pacer.stats
            gauges["delay_seconds"].add_metric([account], stats.current_delay)
            gauges["consecutive_429"].add_metric([account], stats.consecutive_429s)
            gauges["requests_last_minute"].add_metric([account], stats.requests_last_minute)
            gauges["rpm_limit"].add_metric([account], stats.rpm_limit)
        yield from gauges.values()

    def _pools(self) -> Iterator[Metric]:
        size = GaugeMetricFamily("gemini_proxy_pool_size", "Upstream slots", labels=["pool"])
        in_use = GaugeMetricFamily(
            "gemini_proxy_pool_in_use", "Upstream slots in use", labels=["pool"]
        )
        queued = GaugeMetricFamily(
            "gemini_proxy_pool_queue_depth", "Requests waiting for a slot", labels=["pool"]
        )
        for name, pool in self.gate.pools.items():
            stats = pool.stats
            size.add_metric([name], stats.max)
            in_use.add_metric([name], stats.in_use)
            queued.add_metric([name], stats.queued)
        yield from (size, in_use, queued)

    def _accounts(self) -> Iterator[Metric]:
        own = ["replica"] if self.replica else []
        mine = [self.replica] if self.replica else []
        valid = GaugeMetricFamily(
            "gemini_proxy_account_cookie_valid",
            "1 when the account's cookies work",
            labels=["account", *own],
        )
        since = GaugeMetricFamily(
            "gemini_proxy_account_seconds_since_rotation",
            "Seconds since the cookies were last rotated (or first accepted)",
            labels=["account", *own],
        )
        rotations = CounterMetricFamily(
            "gemini_proxy_account_rotations",
            "Cookie rotations by result",
            labels=["account", "result", *own],
        )
        errors = CounterMetricFamily(
            "gemini_proxy_account_errors", "Upstream failures by account and reason",
            labels=["account", "reason", *own],
        )  # fmt: skip
        state = GaugeMetricFamily(
            "gemini_proxy_account_state", "1 for the state each account is in",
            labels=["account", "state", *own],
        )  # fmt: skip
        cooldown = GaugeMetricFamily(
            "gemini_proxy_account_cooldown_seconds",
            "Seconds until a cooling account returns to rotation", labels=["account", *own],
        )  # fmt: skip
        stalled = GaugeMetricFamily(
            "gemini_proxy_account_rotation_stalled",
            "1 when cookie rotation keeps answering without a new __Secure-1PSIDTS",
            labels=["account", *own],
        )  # fmt: skip
        failovers = CounterMetricFamily(
            "gemini_proxy_account_failovers",
            "Requests an account failed that moved on to another account", labels=["account", *own],
        )  # fmt: skip
        model_changes = CounterMetricFamily(
            "gemini_proxy_account_model_changes",
            "Times an account's published models changed", labels=["account", *own],
        )  # fmt: skip
        now = time.time()
        for account in self.accounts:
            name, health, current = account.name, account.health, account.state
            valid.add_metric([name, *mine], 1.0 if health.cookie_valid else 0.0)
            since.add_metric([name, *mine], now - (health.last_minted_at or health.cookies_since))
            for result, count in health.rotations.items():
                rotations.add_metric([name, result, *mine], count)
            for reason, count in health.errors.items():
                errors.add_metric([name, reason, *mine], count)
            current.usable(now)  # a cooldown that is over shows as ready
            for option in State:
                is_it = 1.0 if current.state is option else 0.0
                state.add_metric([name, option.value, *mine], is_it)
            left = (current.until or now) - now if current.state is State.COOLING else 0.0
            cooldown.add_metric([name, *mine], max(0.0, left))
            stalled.add_metric([name, *mine], 1.0 if health.rotation_stalled else 0.0)
            failovers.add_metric([name, *mine], current.failovers)
            model_changes.add_metric([name, *mine], health.model_changes)
        yield from (valid, since, rotations, errors, state, cooldown, stalled)
        yield from (failovers, model_changes)
