from ipaddress import IPv4Network, IPv6Network

import pytest
from pydantic import ValidationError

from proxy.core.limits import LimitsSettings, PacingSettings


def test_defaults_match_the_contract() -> None:
    limits = LimitsSettings()
    assert (limits.client.enabled, limits.client.per_ip_per_hour) == (True, 60)
    assert limits.client.model_interval_seconds == 5.0
    assert limits.client.trusted_proxies == []
    assert limits.pool.size == 2
    assert (limits.pacing.min_delay, limits.pacing.rpm) == (2.0, 60)
    assert (limits.retry.max_retries, limits.retry.base, limits.retry.factor) == (5, 2.0, 2.0)
    assert {429, 500, 502, 599} <= limits.retry.retry_on
    assert 503 not in limits.retry.retry_on  # no usable account: waiting does not help
    assert 504 not in limits.retry.retry_on  # the attempt used the request's whole time
    assert not {400, 404, 499, 600} & limits.retry.retry_on


def test_a_yaml_section_is_read() -> None:
    limits = LimitsSettings.model_validate(
        {
            "client": {"per_ip_per_hour": 100, "trusted_proxies": ["10.0.0.0/8", "::1"]},
            "pool": {"size": 4, "max_queue": 0},
            "retry": {"retry_on": [429, 503]},
        }
    )
    assert limits.client.per_ip_per_hour == 100
    assert limits.client.trusted_proxies == [IPv4Network("10.0.0.0/8"), IPv6Network("::1/128")]
    assert (limits.pool.size, limits.pool.max_queue) == (4, 0)
    assert limits.retry.retry_on == frozenset({429, 503})


@pytest.mark.parametrize(
    ("section", "location"),
    [
        ({"pool": {"sise": 3}}, ("pool", "sise")),
        ({"pool": {"size": 0}}, ("pool", "size")),
        ({"client": {"trusted_proxies": ["not-an-ip"]}}, ("client", "trusted_proxies", 0)),
        ({"pacing": {"jitter": 1.5}}, ("pacing", "jitter")),
        ({"surprise": 1}, ("surprise",)),
    ],
)
def test_a_bad_key_is_named(section: dict[str, object], location: tuple[object, ...]) -> None:
    with pytest.raises(ValidationError) as caught:
        LimitsSettings.model_validate(section)
    assert caught.value.errors()[0]["loc"] == location


def test_pacing_bounds_must_be_ordered() -> None:
    with pytest.raises(ValidationError, match="max_delay must be at least min_delay"):
        PacingSettings(min_delay=5, max_delay=1)
