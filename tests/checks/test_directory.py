"""System checks of the user directory settings (velt_django/directory/checks.py): the
exact IDs each configuration produces."""

from __future__ import annotations

from typing import Any

import pytest

from tests.userapp.directories import MEMBER_FIELDS
from velt_django.checks import check_settings

GOOD = {
    "MONGODB_URI": "mongodb://localhost:27017",
    "ORGANIZATION_ACCESS": "velt_django.access.velt_orgs_claim",
}


def check_ids(settings: Any, **velt: Any) -> list[str]:
    settings.VELT = {**GOOD, **velt}
    return [str(message.id) for message in check_settings()]


def test_check_default_directory_passes(settings: Any) -> None:
    assert check_ids(settings) == []


def test_check_member_mapping_passes(settings: Any) -> None:
    assert (
        check_ids(
            settings,
            USER_MODEL="userapp.Member",
            USER_FIELDS=MEMBER_FIELDS,
            USER_ORGANIZATION_SCOPED=True,
        )
        == []
    )


def test_check_mongo_directory_passes(settings: Any) -> None:
    path = "velt_django.directory.MongoUserDirectory"
    assert check_ids(settings, USER_DIRECTORY_CLASS=path) == []


def test_check_directory_not_a_user_directory_is_e009(settings: Any) -> None:
    assert check_ids(settings, USER_DIRECTORY_CLASS="velt_django.access.allow_all") == [
        "velt.E009"
    ]


def test_check_directory_import_failure_is_e003(settings: Any) -> None:
    assert check_ids(settings, USER_DIRECTORY_CLASS="nowhere.Directory") == [
        "velt.E003"
    ]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (["userId"], "velt.E010"),
        ({"userId": None}, "velt.E112"),
        ({"userid": "username"}, "velt.E110"),
        ({"name": 5}, "velt.E111"),
        ({"email": ""}, "velt.E111"),
    ],
)
def test_check_malformed_user_fields(settings: Any, fields: Any, expected: str) -> None:
    assert set(check_ids(settings, USER_FIELDS=fields)) == {expected}


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_check_user_profile_not_a_boolean_is_e113(settings: Any, value: Any) -> None:
    assert check_ids(settings, USER_PROFILE=value) == ["velt.E113"]
    assert check_ids(settings, USER_PROFILE=False) == []


@pytest.mark.parametrize(
    ("velt", "expected"),
    [
        ({"USER_MODEL": "userapp.Nobody"}, "velt.E011"),
        ({"USER_FIELDS": {"userId": "get_full_name"}}, "velt.E114"),
        ({"USER_FIELDS": {"email": "get_username"}}, "velt.E114"),
        ({"USER_FIELDS": {"photoUrl": "no_such_field"}}, "velt.E115"),
        ({"USER_FIELDS": {"photoUrl": "tests.userapp.models.missing"}}, "velt.E115"),
    ],
)
def test_check_mapping_that_does_not_fit_the_model(
    settings: Any, velt: dict[str, Any], expected: str
) -> None:
    assert check_ids(settings, **velt) == [expected]


def test_check_scoped_without_organizations_is_e012(settings: Any) -> None:
    assert check_ids(settings, USER_ORGANIZATION_SCOPED=True) == ["velt.E012"]


def test_check_mongo_directory_scoped_needs_no_mapping(settings: Any) -> None:
    path = "velt_django.directory.MongoUserDirectory"
    assert (
        check_ids(settings, USER_DIRECTORY_CLASS=path, USER_ORGANIZATION_SCOPED=True)
        == []
    )
