"""compose.yaml and deploy/: the proxy's config validates with the environment compose gives
it, and compose runs it as replicas sharing Redis and PostgreSQL."""

import re
from pathlib import Path

import pytest
import yaml

from proxy.core.config import load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_the_compose_config_validates_with_the_environment_compose_sets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    proxy = compose["services"]["proxy"]
    assert proxy["deploy"]["replicas"] == 2
    for name, value in proxy["environment"].items():
        # ${VAR:-default} / ${VAR:?message} as compose would fill them in, defaults or a stand-in
        monkeypatch.setenv(name, re.sub(r"\$\{\w+:[-?]([^}]*)\}", r"\1", value) or "x")
    settings = load_settings(ROOT / "deploy" / "config.yaml")
    assert settings.redis.url is not None
    assert settings.database_url.startswith("postgresql://")
    assert settings.storage.type == "s3"
    subnet = compose["networks"]["backend"]["ipam"]["config"][0]["subnet"]
    assert [str(n) for n in settings.limits.client.trusted_proxies] == [subnet]
