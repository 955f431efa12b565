"""Client limits on real Redis: one quota and one interval for every replica, the contract's
texts, and what happens while Redis is unreachable."""

import asyncio

import pytest

from proxy.core.clock import SystemClock
from proxy.core.limits import ClientLimiter, ClientLimits
from proxy.core.limits.client import ip_quota_detail, model_interval_detail
from proxy.core.shared.client import SharedClientLimiter
from proxy.core.shared.store import SharedStateDown, SharedStore
from tests.proxy.shared.stores import unreachable


def limiters(stores: list[SharedStore], **settings: float) -> list[SharedClientLimiter]:
    limits = ClientLimits.model_validate(settings)
    return [SharedClientLimiter(s, limits) for s in stores]


async def test_the_ip_quota_is_one_for_all_replicas(stores: list[SharedStore]) -> None:
    a, b = limiters(stores, per_ip_per_hour=2, model_interval_seconds=0)
    assert (await a.check("1.2.3.4", "m")).allowed
    assert (await b.check("1.2.3.4", "m")).allowed
    refused = await a.check("1.2.3.4", "m")
    assert refused.reason == "ip_quota" and 3599 < refused.retry_after <= 3600
    assert refused.detail == ip_quota_detail(2, refused.retry_after)
    assert (await b.check("5.6.7.8", "m")).allowed


async def test_the_model_interval_is_one_for_all_replicas(stores: list[SharedStore]) -> None:
    a, b = limiters(stores, per_ip_per_hour=1, model_interval_seconds=0.3)
    assert (await a.check("1.1.1.1", "flash")).allowed
    refused = await b.check("2.2.2.2", "flash")
    assert refused.reason == "model_interval" and 0 < refused.retry_after <= 0.3
    assert refused.detail == model_interval_detail("flash", refused.retry_after)
    assert refused.detail.startswith("模型 flash 调用过于频繁，请等待 0.")
    assert (await b.check("2.2.2.2", "pro")).allowed  # the refusal used none of its quota
    await asyncio.sleep(refused.retry_after)
    assert (await b.check("3.3.3.3", "flash")).allowed


async def test_concurrent_checks_never_admit_more_than_the_quota(
    stores: list[SharedStore],
) -> None:
    a, b = limiters(stores, per_ip_per_hour=5, model_interval_seconds=0)
    checks = [(a if i % 2 else b).check("9.9.9.9", f"m{i}") for i in range(40)]
    decisions = await asyncio.gather(*checks)
    assert sum(d.allowed for d in decisions) == 5


async def test_unreachable_redis_fails_closed_or_decides_locally() -> None:
    down = unreachable()
    settings = ClientLimits(per_ip_per_hour=1)
    try:
        with pytest.raises(SharedStateDown):
            await SharedClientLimiter(down, settings).check("1.1.1.1", "m")
        local = SharedClientLimiter(down, settings, ClientLimiter(settings, SystemClock()))
        assert (await local.check("1.1.1.1", "m")).allowed
        assert (await local.check("1.1.1.1", "n")).reason == "ip_quota"
    finally:
        await down.close()
