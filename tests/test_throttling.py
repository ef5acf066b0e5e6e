"""The per-principal rate limit every resolver endpoint applies (CONTRACT §16.7)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from velt_django.checks import check_settings
from velt_django.throttling import ResolverRateThrottle

from .contracts import assert_failure, assert_success
from .families import ORG

GET = {"organizationId": ORG}


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rate(settings: Any, mongo_db: Any) -> Any:
    """``rate("2/min")`` sets ``VELT["THROTTLE_RATE"]``."""

    def set_rate(value: Any) -> None:
        settings.VELT = {**settings.VELT, "THROTTLE_RATE": value}

    return set_rate


def test_throttle_over_rate_is_429_envelope_with_retry_after(
    rate: Any, post_json: Any
) -> None:
    rate("2/min")
    for _ in range(2):
        assert_success(post_json("comments/get", GET), read=True)
    response = post_json("comments/get", GET)
    assert_failure(response, 429, "RATE_LIMITED")
    assert 1 <= int(response["Retry-After"]) <= 60


def test_throttle_counts_each_principal_separately(rate: Any, post_json: Any) -> None:
    rate("1/min")
    assert_success(post_json("comments/get", GET, as_=("u_1", ORG)), read=True)
    assert_failure(
        post_json("comments/get", GET, as_=("u_1", ORG)), 429, "RATE_LIMITED"
    )
    assert_success(post_json("comments/get", GET, as_=("u_2", ORG)), read=True)


def test_throttle_budget_is_shared_by_every_endpoint(rate: Any, post_json: Any) -> None:
    rate("2/min")
    assert_success(post_json("comments/get", GET), read=True)
    assert_success(post_json("reactions/get", GET), read=True)
    assert_failure(post_json("notifications/get", GET), 429, "RATE_LIMITED")


def test_throttle_rate_none_disables_the_limit(rate: Any, post_json: Any) -> None:
    rate(None)
    for _ in range(5):
        assert_success(post_json("comments/get", GET), read=True)


def test_throttle_default_rate_applies_when_unset(
    settings: Any, mongo_db: Any, post_json: Any
) -> None:
    velt = dict(settings.VELT)
    del velt["THROTTLE_RATE"]
    settings.VELT = velt
    throttle: Any = ResolverRateThrottle()
    assert (throttle.num_requests, throttle.duration) == (1200, 60)
    assert_success(post_json("comments/get", GET), read=True)
    # Fill the principal's window up to the default's 1200 requests: the next one is 429.
    keys = [k for k in cache._cache if "throttle_velt_" in k]  # type: ignore[attr-defined]
    assert len(keys) == 1
    key = keys[0].split(":", 2)[-1]
    cache.set(key, [time.time()] * 1200, 60)
    assert_failure(post_json("comments/get", GET), 429, "RATE_LIMITED")


def test_throttle_default_does_not_limit_below_the_rate(
    settings: Any, mongo_db: Any, post_json: Any
) -> None:
    velt = dict(settings.VELT)
    del velt["THROTTLE_RATE"]
    settings.VELT = velt
    assert_success(post_json("comments/get", GET), read=True)
    key = next(k for k in cache._cache if "throttle_velt_" in k).split(":", 2)[-1]  # type: ignore[attr-defined]
    cache.set(key, [time.time()] * 1198, 60)
    assert_success(post_json("comments/get", GET), read=True)


def test_throttle_applies_with_host_throttle_classes(
    rate: Any, post_json: Any, settings: Any
) -> None:
    # The host's REST_FRAMEWORK classes (2/min) and the VELT rate both count.
    settings.REST_FRAMEWORK = {
        "DEFAULT_THROTTLE_CLASSES": ["tests.policies.TwoPerMinute"]
    }
    rate("5/min")
    for _ in range(2):
        assert_success(post_json("comments/get", GET), read=True)
    assert_failure(post_json("comments/get", GET), 429, "RATE_LIMITED")
    cache.clear()
    rate("1/min")
    assert_success(post_json("comments/get", GET), read=True)
    assert_failure(post_json("comments/get", GET), 429, "RATE_LIMITED")


def test_throttle_keys_by_sub_claim_not_by_ip(rate: Any, mongo_db: Any) -> None:
    rate("1/min")
    first, second = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Test u_1:{ORG}"}
    ok = first.post(
        "/velt/comments/get", GET, content_type="application/json", **headers
    )
    assert_success(ok, read=True)
    again = second.post(
        "/velt/comments/get", GET, content_type="application/json", **headers
    )
    assert_failure(again, 429, "RATE_LIMITED")


def test_throttle_cache_key_never_spells_the_user_id(rate: Any, post_json: Any) -> None:
    rate("5/min")
    assert_success(
        post_json("comments/get", GET, as_=("dana@acme.example", ORG)), read=True
    )
    keys = [k for k in cache._cache if "throttle_velt_" in k]  # type: ignore[attr-defined]
    assert keys and not any("dana" in k for k in keys)


def test_throttle_invalid_rate_at_runtime_is_500_envelope(
    rate: Any, post_json: Any
) -> None:
    rate("lots")
    response = post_json("comments/get", GET)
    assert_failure(response, 500, "INTERNAL_ERROR")


@pytest.mark.parametrize("value", ["1200/min", "1/s", "10/hour", "5/day", None])
def test_check_valid_throttle_rate_passes(settings: Any, value: Any) -> None:
    settings.VELT = {**settings.VELT, "THROTTLE_RATE": value}
    assert check_settings() == []


@pytest.mark.parametrize("value", ["lots", "0/min", "-1/min", "10/week", 10, "10"])
def test_check_invalid_throttle_rate_is_e013(settings: Any, value: Any) -> None:
    settings.VELT = {**settings.VELT, "THROTTLE_RATE": value}
    assert [m.id for m in check_settings()] == ["velt.E013"]
