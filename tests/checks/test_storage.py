"""System checks of the storage backend (velt_django/checks.py, ``velt.E070``–``E072``):
the PostgreSQL backend needs no MongoDB URI but a PostgreSQL alias of ``DATABASES``."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests import settings as test_settings
from velt_django.checks import check_settings

ACCESS = {"ORGANIZATION_ACCESS": "velt_django.access.velt_orgs_claim"}
POSTGRESQL = {**ACCESS, "STORAGE_BACKEND": "postgresql", "DATABASE_ALIAS": "velt_pg"}


def messages(settings: Any, velt: Any) -> list[Any]:
    settings.VELT = velt
    return check_settings()


def test_postgresql_backend_needs_no_mongodb_uri(settings: Any) -> None:
    assert messages(settings, POSTGRESQL) == []


def test_mongodb_backend_still_needs_its_uri(settings: Any) -> None:
    found = messages(settings, {**ACCESS, "STORAGE_BACKEND": "mongodb"})
    assert [m.id for m in found] == ["velt.E001"]


def test_unknown_backend_is_refused_with_the_choices(settings: Any) -> None:
    found = messages(settings, {**POSTGRESQL, "STORAGE_BACKEND": "postgres"})
    assert [m.id for m in found] == ["velt.E070"]
    assert found[0].msg == 'VELT["STORAGE_BACKEND"] must be "mongodb" or "postgresql".'


@pytest.mark.parametrize("alias", ["nope", 1, ["velt_pg"]])
def test_alias_must_be_a_key_of_databases(settings: Any, alias: Any) -> None:
    found = messages(settings, {**POSTGRESQL, "DATABASE_ALIAS": alias})
    assert [m.id for m in found] == ["velt.E071"]
    assert repr(alias) in found[0].msg


def test_the_alias_defaults_to_default(settings: Any) -> None:
    # tests/settings.py's "default" is SQLite, so the default alias is refused as such.
    found = messages(settings, {**ACCESS, "STORAGE_BACKEND": "postgresql"})
    assert [m.id for m in found] == ["velt.E072"]
    assert 'DATABASES["default"]' in found[0].msg


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
@pytest.mark.parametrize(
    "engine", ["django.db.backends.sqlite3", "django.db.backends.mysql", None]
)
def test_other_engines_are_refused_by_name(settings: Any, engine: Any) -> None:
    entry = {"NAME": "velt"} if engine is None else {"ENGINE": engine, "NAME": "velt"}
    settings.DATABASES = {**test_settings.DATABASES, "velt_pg": entry}
    found = messages(settings, POSTGRESQL)
    assert [m.id for m in found] == ["velt.E072"]
    assert repr(engine) in found[0].msg
    assert "not supported" in (found[0].hint or "")


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_postgis_is_postgresql(settings: Any) -> None:
    settings.DATABASES = {
        **test_settings.DATABASES,
        "velt_pg": {"ENGINE": "django.contrib.gis.db.backends.postgis", "NAME": "v"},
    }
    assert messages(settings, POSTGRESQL) == []


def test_the_alias_is_ignored_with_mongodb(settings: Any) -> None:
    velt = {**ACCESS, "MONGODB_URI": "mongodb://x", "DATABASE_ALIAS": "nope"}
    assert messages(settings, velt) == []


def test_manage_py_check_fails_on_a_sqlite_alias(settings: Any) -> None:
    settings.VELT = {**ACCESS, "STORAGE_BACKEND": "postgresql"}
    with pytest.raises(SystemCheckError, match=r"velt\.E072"):
        call_command("check")
