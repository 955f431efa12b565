"""Replicas take turns rotating an account's cookie, one turn per way of rotating, and only when
they share the store that hands the new cookie to the others."""

from pathlib import Path

from cryptography.fernet import Fernet

from proxy.app import create_app
from tests.live import settings_for_fake


async def test_each_way_of_rotating_has_turns_of_its_own(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    settings = settings_for_fake(
        str(tmp_path),
        redis={"url": redis_url, "key_prefix": redis_prefix},
        database={"secret_key": Fernet.generate_key().decode()},
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        accounts = app.state.wiring.accounts
        assert await accounts.may_rotate("main", "cookies", 60)
        assert await accounts.may_rotate("main", "browser", 60)  # not held off by the other
        assert not await accounts.may_rotate("main", "cookies", 60)  # this turn is taken


async def test_without_a_shared_store_every_replica_rotates_its_own_copy(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    redis = {"url": redis_url, "key_prefix": redis_prefix}
    settings = settings_for_fake(str(tmp_path), redis=redis)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        accounts = app.state.wiring.accounts
        assert await accounts.may_rotate("main", "cookies", 60)
        assert await accounts.may_rotate("main", "cookies", 60)
