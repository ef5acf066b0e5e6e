"""System checks of the development-only shared-secret header: the exact IDs each
configuration produces."""

from __future__ import annotations

from typing import Any

import pytest

from velt_django.checks import check_settings

SECRET = "dev-shared-secret-value"


def ids(settings: Any, **velt: Any) -> list[str]:
    settings.VELT = {**settings.VELT, **velt}
    return [str(m.id) for m in check_settings()]


def test_check_shared_secret_enabled_with_debug_is_w004(settings: Any) -> None:
    settings.DEBUG = True
    found = ids(
        settings, INSECURE_SHARED_SECRET=SECRET, ALLOW_INSECURE_SHARED_SECRET=True
    )
    assert found == ["velt.W004"]


def test_check_shared_secret_enabled_without_debug_is_e015(settings: Any) -> None:
    settings.DEBUG = False
    found = ids(
        settings, INSECURE_SHARED_SECRET=SECRET, ALLOW_INSECURE_SHARED_SECRET=True
    )
    assert found == ["velt.E015"]


def test_check_shared_secret_without_opt_in_is_silent(settings: Any) -> None:
    assert ids(settings, INSECURE_SHARED_SECRET=SECRET) == []


@pytest.mark.parametrize("secret", ["", 123, b"bytes"])
def test_check_shared_secret_not_a_string_is_e014(settings: Any, secret: Any) -> None:
    assert ids(settings, INSECURE_SHARED_SECRET=secret) == ["velt.E014"]


def test_check_shared_secret_opt_in_not_a_bool_is_e018(settings: Any) -> None:
    assert ids(settings, ALLOW_INSECURE_SHARED_SECRET="true") == ["velt.E018"]


def test_check_shared_secret_message_never_contains_the_secret(settings: Any) -> None:
    settings.DEBUG = False
    settings.VELT = {
        **settings.VELT,
        "INSECURE_SHARED_SECRET": SECRET,
        "ALLOW_INSECURE_SHARED_SECRET": True,
    }
    for message in check_settings():
        assert SECRET not in f"{message.msg} {message.hint}"
