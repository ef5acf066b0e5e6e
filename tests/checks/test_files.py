"""System checks of the file settings: the exact ids each configuration produces."""

from __future__ import annotations

from typing import Any

import pytest

from velt_django.checks import check_settings

GOOD = {
    "MONGODB_URI": "mongodb://localhost:27017",
    "ORGANIZATION_ACCESS": "velt_django.access.velt_orgs_claim",
}
S3 = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": "b"}}


def ids(settings: Any, **velt: Any) -> list[str]:
    settings.VELT = {**GOOD, **velt}
    return [str(message.id) for message in check_settings()]


def test_default_file_settings_pass(settings: Any) -> None:
    assert ids(settings) == []


@pytest.mark.parametrize("mode", ["secret", None, 1])
def test_unknown_url_mode_is_e050(settings: Any, mode: Any) -> None:
    assert ids(settings, FILE_URL_MODE=mode) == ["velt.E050"]


@pytest.mark.parametrize("access", ["signature", ["cookie"], [1]])
def test_bad_file_access_is_e051(settings: Any, access: Any) -> None:
    assert ids(settings, FILE_ACCESS=access) == ["velt.E051"]


def test_empty_file_access_in_private_mode_is_e055(settings: Any) -> None:
    assert ids(settings, FILE_ACCESS=[]) == ["velt.E055"]


def test_empty_file_access_is_fine_in_public_mode(settings: Any) -> None:
    assert ids(settings, FILE_ACCESS=[], FILE_URL_MODE="public") == []


def test_storage_alias_missing_from_storages_is_e052(settings: Any) -> None:
    assert ids(settings, RECORDING_STORAGE="videos") == ["velt.E052"]
    settings.STORAGES = {**settings.STORAGES, "videos": S3}
    assert ids(settings, RECORDING_STORAGE="videos") == []


def test_public_mode_on_a_signing_s3_storage_warns_w050(settings: Any) -> None:
    settings.STORAGES = {**settings.STORAGES, "files": S3}
    assert ids(settings, ATTACHMENT_STORAGE="files", FILE_URL_MODE="public") == [
        "velt.W050"
    ]
    unsigned = {**S3, "OPTIONS": {"bucket_name": "b", "querystring_auth": False}}
    settings.STORAGES = {**settings.STORAGES, "files": unsigned}
    assert ids(settings, ATTACHMENT_STORAGE="files", FILE_URL_MODE="public") == []


@pytest.mark.parametrize("base", ["app.example.com", "ftp://x", 5])
def test_relative_url_base_is_e053(settings: Any, base: Any) -> None:
    assert ids(settings, FILE_URL_BASE=base) == ["velt.E053"]


def test_type_lists_must_be_lists_of_strings_e054(settings: Any) -> None:
    assert ids(settings, FILE_DENIED_TYPES="text/html") == ["velt.E054"]


@pytest.mark.parametrize("active", ["text/html", "image/svg+xml", "*/*"])
def test_inline_html_or_svg_warns_w051(settings: Any, active: str) -> None:
    assert ids(settings, FILE_INLINE_TYPES=["image/png", active]) == ["velt.W051"]


@pytest.mark.parametrize("key", ["ATTACHMENT_MAX_SIZE", "RECORDING_MAX_SIZE"])
def test_size_limits_must_be_positive_e005(settings: Any, key: str) -> None:
    assert ids(settings, **{key: 0}) == ["velt.E005"]


FILESYSTEM = "django.core.files.storage.FileSystemStorage"


@pytest.mark.parametrize(
    ("options", "media_root", "relative"),
    [
        ({}, "", "MEDIA_ROOT is empty"),
        ({}, "media", "MEDIA_ROOT 'media' is relative"),
        ({"location": "uploads"}, "/srv/media", "location 'uploads' is relative"),
        ({"location": ""}, "/srv/media", "location '' is relative"),
    ],
)
def test_file_system_storage_under_the_working_directory_warns_w053(
    settings: Any, options: dict[str, Any], media_root: str, relative: str
) -> None:
    """A stock project (no STORAGES, empty MEDIA_ROOT) would write uploads wherever the
    process was started."""
    settings.MEDIA_ROOT = media_root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": FILESYSTEM, "OPTIONS": options},
    }
    settings.VELT = dict(GOOD)
    messages = [m for m in check_settings() if m.id == "velt.W053"]
    assert len(messages) == 1  # both scopes share the storage: one warning
    assert relative in messages[0].msg


@pytest.mark.parametrize(
    ("entry", "media_root"),
    [
        ({"BACKEND": FILESYSTEM, "OPTIONS": {"location": "/srv/velt"}}, ""),
        ({"BACKEND": FILESYSTEM}, "/srv/media"),
        ({"BACKEND": "django.core.files.storage.InMemoryStorage"}, ""),
        (S3, ""),
    ],
    ids=["absolute-location", "absolute-media-root", "in-memory", "s3"],
)
def test_storage_with_an_absolute_place_passes(
    settings: Any, entry: dict[str, Any], media_root: str
) -> None:
    settings.MEDIA_ROOT = media_root
    settings.STORAGES = {**settings.STORAGES, "default": entry}
    assert "velt.W053" not in ids(settings)
