"""System checks of the Velt user token view (``USER_TOKEN_VIEW``, velt.E034–E036)."""

from __future__ import annotations

from typing import Any

import pytest

from velt_django.checks import check_settings

GOOD = {
    "MONGODB_URI": "mongodb://localhost:27017",
    "ORGANIZATION_ACCESS": "velt_django.access.velt_orgs_claim",
}
ON = {
    **GOOD,
    "USER_TOKEN_VIEW": True,
    "API_KEY": "velt-key",
    "AUTH_TOKEN": "velt-auth-token",
    "TOKEN_ORGANIZATIONS": "tests.urls_browser.organizations_of",
}


@pytest.fixture(autouse=True)
def no_credentials_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VELT_API_KEY", raising=False)
    monkeypatch.delenv("VELT_AUTH_TOKEN", raising=False)


def ids(settings: Any, velt: Any) -> list[str]:
    settings.VELT = velt
    return [str(message.id) for message in check_settings()]


def without(*keys: str) -> dict[str, Any]:
    return {key: value for key, value in ON.items() if key not in keys}


def test_switched_on_and_configured_passes(settings: Any) -> None:
    assert ids(settings, dict(ON)) == []


def test_off_needs_nothing(settings: Any) -> None:
    assert ids(settings, {**GOOD, "USER_TOKEN_VIEW": False}) == []
    assert ids(settings, dict(GOOD)) == []


@pytest.mark.parametrize(
    "missing", [("API_KEY",), ("AUTH_TOKEN",), ("API_KEY", "AUTH_TOKEN")]
)
def test_on_without_credentials_is_e034(
    settings: Any, missing: tuple[str, ...]
) -> None:
    assert ids(settings, without(*missing)) == ["velt.E034"]


def test_credentials_from_the_environment_are_enough(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VELT_API_KEY", "velt-key")
    monkeypatch.setenv("VELT_AUTH_TOKEN", "velt-auth-token")
    assert ids(settings, without("API_KEY", "AUTH_TOKEN")) == []


def test_on_without_token_organizations_is_e035(settings: Any) -> None:
    assert ids(settings, without("TOKEN_ORGANIZATIONS")) == ["velt.E035"]


@pytest.mark.parametrize("value", [1, "yes", "True", None])
def test_not_a_bool_is_e036(settings: Any, value: Any) -> None:
    assert ids(settings, {**ON, "USER_TOKEN_VIEW": value}) == ["velt.E036"]
