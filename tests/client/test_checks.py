"""System checks of the REST API keys (``velt_django.client.checks``, velt.E030-E033)."""

from __future__ import annotations

from typing import Any

import pytest


def _check_ids(settings: Any, **velt: Any) -> list[str]:
    from velt_django.checks import check_settings

    settings.VELT = {**settings.VELT, **velt}
    return [str(m.id) for m in check_settings() if str(m.id).startswith("velt.E03")]


def test_checks_accept_rest_api_defaults_and_valid_values(settings: Any) -> None:
    assert _check_ids(settings) == []
    assert (
        _check_ids(
            settings,
            API_KEY="k",
            AUTH_TOKEN="t",
            API_BASE_URL="http://localhost:8080/velt",
            API_TIMEOUT=2.5,
            API_RETRIES=0,
        )
        == []
    )


@pytest.mark.parametrize(
    "url",
    [
        "api.velt.dev",
        "ftp://api.velt.dev",
        "https://",
        "https://user:pw@api.velt.dev",
        "https://api.velt.dev/?x=1",
        "https://api.velt.dev/#f",
        "http://[::1",
        None,
        42,
    ],
)
def test_checks_malformed_api_base_url_is_e030(settings: Any, url: Any) -> None:
    assert _check_ids(settings, API_BASE_URL=url) == ["velt.E030"]


@pytest.mark.parametrize("timeout", [0, -1, "10", True, None])
def test_checks_bad_api_timeout_is_e031(settings: Any, timeout: Any) -> None:
    assert _check_ids(settings, API_TIMEOUT=timeout) == ["velt.E031"]


@pytest.mark.parametrize("retries", [-1, 1.5, "3", False, None])
def test_checks_bad_api_retries_is_e032(settings: Any, retries: Any) -> None:
    assert _check_ids(settings, API_RETRIES=retries) == ["velt.E032"]


@pytest.mark.parametrize("key", ["API_KEY", "AUTH_TOKEN"])
@pytest.mark.parametrize("value", ["", "  ", 123])
def test_checks_bad_credential_is_e033(settings: Any, key: str, value: Any) -> None:
    assert _check_ids(settings, **{key: value}) == ["velt.E033"]
