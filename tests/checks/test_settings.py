"""System checks of the core settings (velt_django/checks.py): the exact IDs each
configuration produces."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from velt_django.checks import check_settings

GOOD = {
    "MONGODB_URI": "mongodb://localhost:27017",
    "ORGANIZATION_ACCESS": "velt_django.access.velt_orgs_claim",
}


def ids(settings: Any, velt: Any) -> list[str]:
    settings.VELT = velt
    return [str(message.id) for message in check_settings()]


def test_check_settings_good_settings_pass(settings: Any) -> None:
    assert ids(settings, dict(GOOD)) == []


def test_check_settings_test_settings_pass() -> None:
    assert check_settings() == []


def test_check_settings_missing_uri_is_e001(settings: Any) -> None:
    assert ids(settings, {"ORGANIZATION_ACCESS": GOOD["ORGANIZATION_ACCESS"]}) == [
        "velt.E001"
    ]


@pytest.mark.parametrize("uri", [None, ""])
def test_check_settings_empty_uri_is_e001(settings: Any, uri: Any) -> None:
    assert ids(settings, {**GOOD, "MONGODB_URI": uri}) == ["velt.E001"]


def test_check_settings_missing_velt_gives_e001_and_w003(settings: Any) -> None:
    del settings.VELT
    assert [message.id for message in check_settings()] == ["velt.E001", "velt.W003"]


@pytest.mark.parametrize("velt", [["MONGODB_URI"], "mongodb://x", 1])
def test_check_settings_non_dict_velt_is_e002(settings: Any, velt: Any) -> None:
    assert ids(settings, velt) == ["velt.E002"]


def test_check_settings_bad_import_path_is_e003(settings: Any) -> None:
    assert ids(
        settings, {**GOOD, "ORGANIZATION_ACCESS": "velt_django.access.nope"}
    ) == ["velt.E003"]


def test_check_settings_bad_class_list_is_e003(settings: Any) -> None:
    assert ids(settings, {**GOOD, "AUTHENTICATION_CLASSES": ["no.such.Class"]}) == [
        "velt.E003"
    ]


def test_check_settings_e003_message_names_the_key(settings: Any) -> None:
    settings.VELT = {**GOOD, "PERMISSION_CLASSES": ["no.such.Class"]}
    (message,) = check_settings()
    assert "PERMISSION_CLASSES" in message.msg


def test_check_settings_allow_all_without_debug_is_e004(settings: Any) -> None:
    settings.DEBUG = False
    assert ids(
        settings, {**GOOD, "ORGANIZATION_ACCESS": "velt_django.access.allow_all"}
    ) == ["velt.E004"]


def test_check_settings_allow_all_with_debug_is_w002(settings: Any) -> None:
    settings.DEBUG = True
    assert ids(
        settings, {**GOOD, "ORGANIZATION_ACCESS": "velt_django.access.allow_all"}
    ) == ["velt.W002"]


def test_check_settings_deny_all_is_accepted(settings: Any) -> None:
    assert (
        ids(settings, {**GOOD, "ORGANIZATION_ACCESS": "velt_django.access.deny_all"})
        == []
    )


@pytest.mark.parametrize("value", [0, -1, "100", 1.5, True, None])
def test_check_settings_bad_positive_int_is_e005(settings: Any, value: Any) -> None:
    assert ids(settings, {**GOOD, "MAX_RECORD_SIZE": value}) == ["velt.E005"]


def test_check_settings_each_bad_positive_int_is_reported(settings: Any) -> None:
    assert ids(settings, {**GOOD, "MAX_BODY_SIZE": 0, "CORS_MAX_AGE": -5}) == [
        "velt.E005",
        "velt.E005",
    ]


def test_check_settings_positive_int_is_accepted(settings: Any) -> None:
    assert (
        ids(settings, {**GOOD, "MAX_RECORD_SIZE": 1, "SOCKET_TIMEOUT_MS": 5000}) == []
    )


@pytest.mark.parametrize("prefix", ["velt$", "a\x00b", 5, None])
def test_check_settings_bad_collection_prefix_is_e017(
    settings: Any, prefix: Any
) -> None:
    assert ids(settings, {**GOOD, "COLLECTION_PREFIX": prefix}) == ["velt.E017"]


def test_check_settings_custom_collection_prefix_is_accepted(settings: Any) -> None:
    assert ids(settings, {**GOOD, "COLLECTION_PREFIX": "myapp_"}) == []


def test_check_settings_missing_rest_framework_is_e006(settings: Any) -> None:
    settings.INSTALLED_APPS = [
        app for app in settings.INSTALLED_APPS if app != "rest_framework"
    ]
    assert ids(settings, dict(GOOD)) == ["velt.E006"]


def test_check_settings_unknown_key_is_w001(settings: Any) -> None:
    assert ids(settings, {**GOOD, "MONGO_URI": "mongodb://typo"}) == ["velt.W001"]


def test_check_settings_w001_names_the_unknown_key(settings: Any) -> None:
    settings.VELT = {**GOOD, "MAX_RECORD_SIZ": 5}
    (message,) = check_settings()
    assert "MAX_RECORD_SIZ" in message.msg


def test_check_settings_missing_organization_access_is_w003(settings: Any) -> None:
    assert ids(settings, {"MONGODB_URI": GOOD["MONGODB_URI"]}) == ["velt.W003"]


def test_check_settings_does_not_touch_the_network(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from velt_django.repository import connection

    def fail() -> None:
        raise AssertionError("a check must not create a client")

    monkeypatch.setattr(connection, "get_client", fail)
    assert (
        ids(settings, {**GOOD, "MONGODB_URI": "mongodb://unreachable.invalid:1"}) == []
    )


def test_check_command_passes_with_test_settings() -> None:
    call_command("check")


def test_check_command_fails_with_e004(settings: Any) -> None:
    settings.DEBUG = False
    settings.VELT = {
        **settings.VELT,
        "ORGANIZATION_ACCESS": "velt_django.access.allow_all",
    }
    with pytest.raises(SystemCheckError, match="velt.E004"):
        call_command("check")


@pytest.mark.parametrize("w", [0, -1, False, True, "", "  ", 1.5, None])
def test_check_settings_unacknowledged_write_concern_is_e007(
    settings: Any, w: Any
) -> None:
    assert ids(settings, {**GOOD, "WRITE_CONCERN": w}) == ["velt.E007"]


@pytest.mark.parametrize("w", ["majority", 1, 3, "dc-east"])
def test_check_settings_acknowledged_write_concern_passes(
    settings: Any, w: Any
) -> None:
    assert ids(settings, {**GOOD, "WRITE_CONCERN": w}) == []


def test_check_settings_read_filter_import_failure_is_e003(settings: Any) -> None:
    assert ids(settings, {**GOOD, "READ_FILTER": "tests.policies.nope"}) == [
        "velt.E003"
    ]


def test_check_settings_read_filter_path_passes(settings: Any) -> None:
    assert (
        ids(settings, {**GOOD, "READ_FILTER": "tests.policies.hide_private_threads"})
        == []
    )
