"""Turns shared by replicas: one replica at a time rotates an account's cookie."""

import asyncio

from proxy.core.shared.store import SharedStore


async def test_one_replica_at_a_time_takes_a_turn_until_it_lapses(
    stores: list[SharedStore],
) -> None:
    a, b = stores
    assert await a.take_turn("rotate:main", 60)
    assert not await b.take_turn("rotate:main", 60)
    assert not await a.take_turn("rotate:main", 60)  # taken, even by the one that holds it
    assert await b.take_turn("rotate:spare", 60)  # another account's turn is its own
    assert await a.take_turn("rotate:short", 0.05)
    for _ in range(200):  # the turn lapses by itself: nobody gives it back
        if await b.take_turn("rotate:short", 60):
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("the turn never lapsed")
