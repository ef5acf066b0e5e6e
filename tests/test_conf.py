"""VeltSettings: the declarations, defaults, live reads, dotted-path imports and their
cache."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from velt_django import access
from velt_django.conf import (
    DEFAULTS,
    IMPORT_STRINGS,
    OPTIONAL_IMPORTS,
    POSITIVE_INT,
    POSITIVE_INTS,
    SETTINGS,
    VeltSettings,
    velt_settings,
)
from velt_django.directory.fields import MAPPING_KEYS
from velt_django.exceptions import VeltConfigurationError

from .contracts import assert_failure, assert_success
from .families import ORG


def test_velt_settings_defaults_apply_when_key_missing(settings: Any) -> None:
    settings.VELT = {"MONGODB_URI": "mongodb://x"}
    assert velt_settings.COLLECTION_PREFIX == "velt_"
    assert velt_settings.MAX_RECORDS_PER_SAVE == DEFAULTS["MAX_RECORDS_PER_SAVE"] == 500
    assert velt_settings.MAX_BODY_SIZE == 10 * 1024 * 1024
    assert velt_settings.WRITE_CONCERN == "majority"


def test_velt_settings_defaults_apply_without_velt_setting(settings: Any) -> None:
    del settings.VELT
    assert velt_settings.MONGODB_URI is None
    assert velt_settings.DATABASE_NAME == "velt"


def test_velt_settings_non_dict_velt_reads_as_defaults(settings: Any) -> None:
    settings.VELT = ["not", "a", "dict"]
    assert velt_settings.DATABASE_NAME == "velt"


def test_velt_settings_reads_configured_value() -> None:
    assert velt_settings.DATABASE_NAME == "velt_tests"


def test_velt_settings_reads_changes_live(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "MAX_ID_LENGTH": 7}
    assert velt_settings.MAX_ID_LENGTH == 7
    settings.VELT = {**settings.VELT, "MAX_ID_LENGTH": 9}
    assert velt_settings.MAX_ID_LENGTH == 9


def test_velt_settings_separate_instance_reads_same_settings(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "COLLECTION_PREFIX": "x_"}
    assert VeltSettings().COLLECTION_PREFIX == "x_"


def test_velt_settings_get_unknown_key_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NOT_A_SETTING"):
        velt_settings.get("NOT_A_SETTING")


def test_velt_settings_is_set_reports_explicit_keys(settings: Any) -> None:
    settings.VELT = {"MONGODB_URI": "mongodb://x"}
    assert velt_settings.is_set("MONGODB_URI") is True
    assert velt_settings.is_set("DATABASE_NAME") is False


def test_velt_settings_imports_organization_access() -> None:
    assert velt_settings.ORGANIZATION_ACCESS is access.velt_orgs_claim


def test_velt_settings_imports_class_lists() -> None:
    from rest_framework.permissions import IsAuthenticated

    from tests.auth import TestPrincipalAuthentication

    assert velt_settings.AUTHENTICATION_CLASSES == [TestPrincipalAuthentication]
    assert velt_settings.PERMISSION_CLASSES == [IsAuthenticated]


def test_velt_settings_import_failure_names_the_key(settings: Any) -> None:
    settings.VELT = {
        **settings.VELT,
        "ORGANIZATION_ACCESS": "velt_django.access.no_such_policy",
    }
    with pytest.raises(VeltConfigurationError, match="ORGANIZATION_ACCESS"):
        velt_settings.ORGANIZATION_ACCESS  # noqa: B018


def test_velt_settings_import_failure_in_list_names_the_key(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "PERMISSION_CLASSES": ["no_such_module.Perm"]}
    with pytest.raises(VeltConfigurationError, match="PERMISSION_CLASSES"):
        velt_settings.PERMISSION_CLASSES  # noqa: B018


def test_velt_settings_import_of_non_string_names_the_key(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "ORGANIZATION_ACCESS": 42}
    with pytest.raises(VeltConfigurationError, match="ORGANIZATION_ACCESS"):
        velt_settings.ORGANIZATION_ACCESS  # noqa: B018


def test_velt_settings_cache_cleared_when_velt_changes(settings: Any) -> None:
    assert velt_settings.ORGANIZATION_ACCESS is access.velt_orgs_claim
    settings.VELT = {
        **settings.VELT,
        "ORGANIZATION_ACCESS": "velt_django.access.deny_all",
    }
    assert velt_settings.ORGANIZATION_ACCESS is access.deny_all


def test_velt_settings_cache_kept_when_other_setting_changes(settings: Any) -> None:
    hook = velt_settings.ORGANIZATION_ACCESS
    settings.DEBUG = True
    assert velt_settings._imports["ORGANIZATION_ACCESS"] is hook


def test_velt_settings_clear_cache_empties_imports() -> None:
    velt_settings.ORGANIZATION_ACCESS  # noqa: B018
    velt_settings.clear_cache()
    assert velt_settings._imports == {}


def test_velt_settings_cached_values_follow_velt_changes(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "MAX_BODY_SIZE": 1000}
    assert velt_settings.MAX_BODY_SIZE == 1000
    assert velt_settings._values["MAX_BODY_SIZE"] == (1000, 1000)  # remembered
    settings.VELT = {**settings.VELT, "MAX_BODY_SIZE": 2000}
    assert velt_settings.MAX_BODY_SIZE == 2000
    with override_settings(VELT={**settings.VELT, "MAX_BODY_SIZE": 3000}):
        assert velt_settings.MAX_BODY_SIZE == 3000
    assert velt_settings.MAX_BODY_SIZE == 2000


def test_velt_settings_see_velt_changed_in_place(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "MAX_BODY_SIZE": 1000, "FILE_KEY_PREFIX": "a/"}
    assert (velt_settings.MAX_BODY_SIZE, velt_settings.FILE_KEY_PREFIX) == (1000, "a/")
    # No setting_changed signal for these: the next read must still see them.
    settings.VELT["MAX_BODY_SIZE"] = 2000
    settings.VELT["FILE_KEY_PREFIX"] = "b/"
    assert (velt_settings.MAX_BODY_SIZE, velt_settings.FILE_KEY_PREFIX) == (2000, "b/")
    del settings.VELT["MAX_BODY_SIZE"]
    assert velt_settings.MAX_BODY_SIZE == DEFAULTS["MAX_BODY_SIZE"]


def test_velt_settings_clear_cache_empties_values() -> None:
    velt_settings.MAX_ID_LENGTH  # noqa: B018
    velt_settings.clear_cache()
    assert velt_settings._values == {}


def test_velt_settings_mutable_values_are_not_cached(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "MONGO_CLIENT_OPTIONS": {"appname": "x"}}
    velt_settings.MONGO_CLIENT_OPTIONS["appname"] = "changed"
    assert "MONGO_CLIENT_OPTIONS" not in velt_settings._values
    assert velt_settings.MONGO_CLIENT_OPTIONS == {"appname": "x"}


def test_body_limit_change_applies_to_the_next_request(
    settings: Any, mongo_db: Any, post_json: Any
) -> None:
    body = {"organizationId": ORG, "documentIds": ["d"], "padding": "x" * 1024}
    assert_success(post_json("comments/get", body), read=True)
    settings.VELT = {**settings.VELT, "MAX_BODY_SIZE": 512}
    assert_failure(post_json("comments/get", body), 413, "PAYLOAD_TOO_LARGE")
    settings.VELT = {**settings.VELT, "MAX_BODY_SIZE": 4096}
    assert_success(post_json("comments/get", body), read=True)


def test_velt_settings_mongo_client_options_is_a_copy(settings: Any) -> None:
    options = {"appname": "x"}
    settings.VELT = {**settings.VELT, "MONGO_CLIENT_OPTIONS": options}
    velt_settings.MONGO_CLIENT_OPTIONS["appname"] = "changed"
    assert options == {"appname": "x"}


# ---- the declarations ------------------------------------------------------------------


def test_every_key_is_declared_once_on_the_settings_class() -> None:
    assert [setting.name for setting in SETTINGS] == list(DEFAULTS)
    for setting in SETTINGS:
        assert getattr(VeltSettings, setting.name) is setting
        assert DEFAULTS[setting.name] == setting.default
        assert setting.doc and setting.group


def test_derived_key_sets_match_the_declared_kinds() -> None:
    assert IMPORT_STRINGS == {
        "AUTHENTICATION_CLASSES",
        "PERMISSION_CLASSES",
        "ORGANIZATION_ACCESS",
        "READ_FILTER",
        "USER_DIRECTORY_CLASS",
        "TOKEN_ORGANIZATIONS",
    }
    assert OPTIONAL_IMPORTS == {"READ_FILTER", "TOKEN_ORGANIZATIONS"}
    assert "MAX_BODY_SIZE" in POSITIVE_INTS and "API_RETRIES" not in POSITIVE_INTS
    assert POSITIVE_INTS == {s.name for s in SETTINGS if s.kind is POSITIVE_INT}


def test_nested_defaults_come_from_the_declared_keys() -> None:
    assert DEFAULTS["RESOLVER_TOKEN"] == {
        key.name: key.default for key in VeltSettings.RESOLVER_TOKEN.keys
    }
    assert DEFAULTS["RESOLVER_TOKEN"]["TTL"] == 600
    # Keys without a default (initial, color, …) are accepted but not mapped.
    assert DEFAULTS["USER_FIELDS"] == {
        "userId": "username",
        "name": "get_full_name",
        "email": "email",
        "photoUrl": None,
        "organizations": None,
    }
    assert VeltSettings.USER_FIELDS.key_names == MAPPING_KEYS


def test_dict_settings_lay_configured_keys_over_the_defaults(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "RESOLVER_TOKEN": {"TTL": 60}}
    assert velt_settings.RESOLVER_TOKEN == {**DEFAULTS["RESOLVER_TOKEN"], "TTL": 60}
    settings.VELT = {**settings.VELT, "RESOLVER_TOKEN": "not a dict"}
    assert velt_settings.RESOLVER_TOKEN == DEFAULTS["RESOLVER_TOKEN"]
    settings.VELT = {**settings.VELT, "USER_FIELDS": {"name": None}}
    assert velt_settings.USER_FIELDS == {**DEFAULTS["USER_FIELDS"], "name": None}
