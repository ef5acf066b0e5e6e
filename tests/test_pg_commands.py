"""The commands with ``STORAGE_BACKEND = "postgresql"``: ``velt_ensure_indexes`` checks
the storage migrations instead of creating MongoDB indexes, ``velt_check`` checks the
PostgreSQL connection, the applied migrations and the models' indexes, and
``velt_purge_activities --expired`` deletes what MongoDB's TTL index would."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from django.core.management.base import CommandError
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

from velt_django.models import ActivityRecord
from velt_django.repository.sql import SqlActivityRepository

from .commands import command_output
from .postgres import ALIAS
from .repository.test_activities import write
from .repository_sql.conftest import DATABASES
from .test_command_velt_check import line, run, run_failing

NAMES = [
    "config",
    "postgresql",
    "migrations",
    "indexes",
    "storage:attachment",
    "storage:recording",
    "velt-api",
]
#: A storage migration (any would do) and an index its model declares.
MIGRATION = "0003_notification_activity_user_records"
INDEX = "velt_act_org_created"


@pytest.fixture
def on_postgresql(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The PostgreSQL backend on the test alias; no MongoDB anywhere (its URI is unset,
    so any MongoDB call would fail the test)."""
    monkeypatch.delenv("VELT_API_KEY", raising=False)
    monkeypatch.delenv("VELT_AUTH_TOKEN", raising=False)
    velt = {k: v for k, v in settings.VELT.items() if k != "MONGODB_URI"}
    settings.VELT = {**velt, "STORAGE_BACKEND": "postgresql", "DATABASE_ALIAS": ALIAS}


def unapply(name: str) -> None:
    """Forget that a storage migration ran on the alias (rolled back with the test)."""
    MigrationRecorder(connections[ALIAS]).record_unapplied("velt_django", name)


def drop_index(name: str) -> None:
    """Drop one of the activity table's declared indexes (rolled back with the test)."""
    [index] = [i for i in ActivityRecord._meta.indexes if i.name == name]
    with connections[ALIAS].schema_editor() as editor:
        editor.remove_index(ActivityRecord, index)


F = TypeVar("F", bound=Callable[..., None])


def on_postgres(test: F) -> F:
    """A test of the PostgreSQL tier with the PostgreSQL backend selected."""
    marks = (
        pytest.mark.postgres,
        pytest.mark.django_db(databases=DATABASES),
        pytest.mark.usefixtures("on_postgresql"),
    )
    for mark in marks:
        test = mark(test)
    return test


# ---- velt_ensure_indexes ---------------------------------------------------------------


@on_postgres
def test_ensure_indexes_on_postgresql_points_at_migrate() -> None:
    out = command_output("velt_ensure_indexes")
    assert "come from manage.py migrate" in out
    assert f'database "{ALIAS}"' in out
    assert out.splitlines()[-1] == (
        f"Migrations are applied on {ALIAS}; indexes are in place."
    )


@on_postgres
def test_ensure_indexes_fails_while_a_storage_migration_is_unapplied() -> None:
    unapply(MIGRATION)
    with pytest.raises(CommandError) as caught:
        command_output("velt_ensure_indexes")
    assert str(caught.value) == (
        f"unapplied velt_django migrations on {ALIAS}: {MIGRATION} "
        f"(run manage.py migrate --database {ALIAS})"
    )


@pytest.mark.postgres
@pytest.mark.django_db(databases=DATABASES, transaction=True)
@pytest.mark.usefixtures("on_postgresql")
def test_ensure_indexes_on_postgresql_down_is_a_command_error(pg_cluster: Any) -> None:
    pg_cluster.stop()
    with pytest.raises(CommandError) as caught:
        command_output("velt_ensure_indexes")
    assert str(caught.value) == (
        "could not read the applied migrations: the database is unavailable"
    )
    pg_cluster.start()
    assert "Migrations are applied" in command_output("velt_ensure_indexes")


# ---- velt_check --------------------------------------------------------------------


@on_postgres
def test_velt_check_on_postgresql_passes() -> None:
    out, _ = run()
    assert line(out, "config").startswith("OK   ")
    assert line(out, "postgresql").startswith("OK   ")
    assert f"DATABASES['{ALIAS}'] reachable" in line(out, "postgresql")
    assert "storage migrations applied" in line(out, "migrations")
    assert line(out, "migrations").startswith("OK   ")
    assert line(out, "indexes").startswith("OK   ")
    assert " tables" in line(out, "indexes")
    assert "mongodb" not in out and "write-concern" not in out
    assert out.splitlines()[-1] == "All checks passed."
    payload = json.loads(run("--json")[0])
    assert [check["name"] for check in payload["checks"]] == NAMES
    assert payload["ok"] is True


@on_postgres
def test_velt_check_fails_on_an_unapplied_storage_migration() -> None:
    unapply(MIGRATION)
    out, error = run_failing()
    assert line(out, "migrations").startswith("FAIL ")
    assert f"unapplied on {ALIAS}: {MIGRATION}" in line(out, "migrations")
    assert str(error) == "1 check(s) failed: migrations"


@on_postgres
def test_velt_check_names_a_missing_index() -> None:
    drop_index(INDEX)
    out, error = run_failing()
    assert line(out, "indexes").startswith("FAIL ")
    assert f"missing velt_activities.{INDEX} (run manage.py migrate)" in line(
        out, "indexes"
    )
    assert str(error) == "1 check(s) failed: indexes"


@pytest.mark.postgres
@pytest.mark.django_db(databases=DATABASES, transaction=True)
@pytest.mark.usefixtures("on_postgresql")
def test_velt_check_reports_postgresql_down_and_skips_what_needs_it(
    pg_cluster: Any,
) -> None:
    pg_cluster.stop()
    out, error = run_failing()
    assert line(out, "postgresql").startswith("FAIL ")
    assert "unreachable: the database is unavailable" in line(out, "postgresql")
    assert str(pg_cluster.port) not in out  # no connection settings
    assert line(out, "migrations").startswith("SKIP ")
    assert line(out, "indexes").startswith("SKIP ")
    assert str(error) == "1 check(s) failed: postgresql"
    pg_cluster.start()
    out, _ = run()  # recovers without a restart of the process
    assert line(out, "postgresql").startswith("OK   ")


# ---- velt_purge_activities --expired ------------------------------------------------


def age(record_id: str, org: str, days: int) -> None:
    when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days)
    rows = ActivityRecord.objects.using(ALIAS)
    rows.filter(organization_id=org, activity_id=record_id).update(created_at=when)


def remaining() -> list[tuple[str, str]]:
    rows = ActivityRecord.objects.using(ALIAS)
    return sorted(rows.values_list("organization_id", "activity_id"))


@pytest.fixture
def expiring(on_postgresql: None, settings: Any) -> None:
    """Four activities in two organizations, two of them past a 30-day retention."""
    SqlActivityRepository().save_many(
        [write("a1", "acme"), write("a2", "acme"), write("b1", "globex")]
    )
    SqlActivityRepository().save_many([write("b2", "globex")])
    age("a2", "acme", 31)
    age("b1", "globex", 45)
    age("b2", "globex", 29)
    settings.VELT = {**settings.VELT, "ACTIVITY_RETENTION_DAYS": 30}


@on_postgres
@pytest.mark.usefixtures("expiring")
def test_purge_expired_on_postgresql_deletes_in_every_organization() -> None:
    out = command_output("velt_purge_activities", "--expired", "--dry-run")
    assert "Would delete 2 expired activities (older than 30 days)" in out
    assert len(remaining()) == 4
    out = command_output("velt_purge_activities", "--expired")
    assert "Deleted 2 expired activities (older than 30 days) in every" in out
    assert remaining() == [("acme", "a1"), ("globex", "b2")]
    out = command_output("velt_purge_activities", "--expired")
    assert "Deleted 0 expired activities" in out


@on_postgres
@pytest.mark.usefixtures("expiring")
def test_purge_expired_without_retention_deletes_nothing(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "ACTIVITY_RETENTION_DAYS": None}
    out = command_output("velt_purge_activities", "--expired")
    assert 'No activity expires: VELT["ACTIVITY_RETENTION_DAYS"] is not set.' in out
    assert len(remaining()) == 4


@on_postgres
@pytest.mark.usefixtures("expiring")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--document", "doc-1"), "--expired cannot be combined with --document"),
        (("--older-than-days", "3"), "--expired cannot be combined with --older-than"),
        (("--organization", "acme"), "not allowed with argument"),
    ],
)
def test_purge_expired_refuses_the_filters_of_one_organization(
    args: tuple[str, ...], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        command_output("velt_purge_activities", "--expired", *args)
    assert len(remaining()) == 4


def test_purge_expired_on_mongodb_leaves_it_to_the_ttl_index(
    mongo_db: Any, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "ACTIVITY_RETENTION_DAYS": 30}
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=90)
    mongo_db["velt_activities"].insert_one(
        {"organizationId": "acme", "activityId": "a1", "createdAt": old}
    )
    out = command_output("velt_purge_activities", "--expired")
    assert "on MongoDB the TTL index deletes activities older than 30 days" in out
    assert mongo_db["velt_activities"].count_documents({}) == 1
