"""Two replicas' stores on the machine's Redis, under a key prefix of the test's own."""

from collections.abc import AsyncIterator

import pytest

from proxy.core.shared.store import SharedStore
from tests.proxy.shared.stores import store


@pytest.fixture
async def stores(redis_url: str, redis_prefix: str) -> AsyncIterator[list[SharedStore]]:
    both = [store(redis_url, redis_prefix, name) for name in ("a", "b")]
    yield both
    for each in both:
        await each.close()
