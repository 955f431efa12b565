"""Metrics read from live state at scrape time: accounts, upstream pacing, job tasks."""

import time
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from providers.gemini_web import AccountPool

from .limits import Pacer


class LiveState(Collector):
    def __init__(self, accounts: AccountPool, pacer: Pacer) -> None:
        self.accounts = accounts
        self.pacer = pacer
        self.tasks: dict[str, int] = {}
        """Job tasks by state, refreshed by the /metrics route before each scrape (the store
        is async, a collector is not)."""
        self.started = time.time()

    def collect(self) -> Iterator[Metric]:
        yield from self._accounts()
        pacing = self.pacer.stats
        for name, doc, value in (
            ("delay_seconds", "Current spacing between upstream calls", pacing.current_delay),
            ("consecutive_429", "Upstream 429s in a row", pacing.consecutive_429s),
            (
                "requests_last_minute",
                "Upstream calls in the last minute",
                pacing.requests_last_minute,
            ),
            ("rpm_limit", "Most upstream calls allowed per minute", pacing.rpm_limit),
        ):
            yield GaugeMetricFamily(f"gemini_proxy_upstream_{name}", doc, value=value)
        tasks = GaugeMetricFamily(
            "gemini_proxy_batch_tasks", "Job tasks by state", labels=["state"]
        )
        for state, count in self.tasks.items():
            if state != "total":
                tasks.add_metric([state], count)
        yield tasks

    def _accounts(self) -> Iterator[Metric]:
        valid = GaugeMetricFamily(
            "gemini_proxy_account_cookie_valid",
            "1 when the account's cookies work",
            labels=["account"],
        )
        since = GaugeMetricFamily(
            "gemini_proxy_account_seconds_since_rotation",
            "Seconds since the cookies were last rotated (or first accepted)", labels=["account"],
        )  # fmt: skip
        rotations = CounterMetricFamily(
            "gemini_proxy_account_rotations",
            "Cookie rotations by result",
            labels=["account", "result"],
        )
        errors = CounterMetricFamily(
            "gemini_proxy_account_errors", "Upstream failures by account and reason",
            labels=["account", "reason"],
        )  # fmt: skip
        now = time.time()
        for account in self.accounts:
            health = account.health
            valid.add_metric([account.name], 1.0 if health.cookie_valid else 0.0)
            fresh = health.last_rotation_at or health.last_ready_at or self.started
            since.add_metric([account.name], now - fresh)
            for result, count in health.rotations.items():
                rotations.add_metric([account.name, result], count)
            for reason, count in health.errors.items():
                errors.add_metric([account.name, reason], count)
        yield from (valid, since, rotations, errors)
