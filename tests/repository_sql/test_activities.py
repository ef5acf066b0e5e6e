"""SqlActivityRepository on PostgreSQL: the tests of tests/repository/test_activities.py
run unchanged against the SQL twin (imported, not copied; their helpers that read the
MongoDB collection read the table instead), plus what only the SQL backend does: one
statement per save, concurrent appends, retention without a TTL index, and the activity
views and purge command with ``STORAGE_BACKEND = "postgresql"``."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from velt_django.models import ActivityRecord
from velt_django.repository.sql import SqlActivityRepository

from ..commands import command_output
from ..postgres import ALIAS
from ..repository import test_activities as shared
from .conftest import DATABASES
from .test_comments import _concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(databases=DATABASES)]

ORG, OTHER = shared.ORG, shared.OTHER
write, payloads = shared.write, shared.payloads

#: Shared tests of MongoDB itself: escaped keys (``esc``), simulated bulk_write races and
#: errors, the server's concurrency (wire tier), the indexes and the TTL index, and the
#: count of bulk writes. Their SQL forms follow.
MONGO_ONLY = {
    "test_save_escaped_key_added_later_round_trips",
    "test_save_retries_after_a_concurrent_first_insert",
    "test_save_bulk_errors_are_translated",
    "test_concurrent_saves_of_one_new_activity_keep_the_first_value_of_each_key",
    "test_indexes_of_section_5_6",
    "test_retention_off_by_default_creates_no_ttl",
    "test_retention_set_creates_ttl_index",
    "test_retention_changed_updates_ttl_index",
    "test_retention_switched_off_drops_ttl_index",
    "test_save_of_new_records_is_one_upsert_each_in_one_round_trip",
    "test_replayed_save_adds_nothing_and_writes_no_key",
    "test_resave_with_a_new_key_adds_only_that_key",
}

for _name, _test in vars(shared).items():
    if _name.startswith("test_") and _name not in MONGO_ONLY:
        globals()[_name] = _test
spread = shared.spread


def rows() -> Any:
    return ActivityRecord.objects.using(ALIAS)


def stored(record_id: str = "act-1", org: str = ORG) -> dict[str, Any]:
    """The stored row of one activity, under the MongoDB envelope's field names."""
    row = rows().get(organization_id=org, activity_id=record_id)
    return {
        "organizationId": row.organization_id,
        "activityId": row.activity_id,
        "documentId": row.document_id,
        "payload": row.payload,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
        "lastEvent": row.last_event,
    }


def age(record_id: str, org: str, days: int) -> None:
    when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days)
    rows().filter(organization_id=org, activity_id=record_id).update(created_at=when)


def remaining() -> list[tuple[str, str]]:
    return sorted(rows().values_list("organization_id", "activity_id"))


@pytest.fixture(autouse=True)
def table_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared tests' helpers read the table instead of the MongoDB collection."""
    monkeypatch.setattr(shared, "stored", stored)
    monkeypatch.setattr(shared, "age", age)
    monkeypatch.setattr(shared, "remaining", remaining)


@pytest.fixture
def repo() -> SqlActivityRepository:
    return SqlActivityRepository(ALIAS)


# ---- the MONGO_ONLY tests, on the table ----------------------------------------------


def test_unsafe_key_added_later_is_stored_as_sent(repo: SqlActivityRepository) -> None:
    repo.save_many([write()])
    unsafe: dict[str, Any] = {"a.b": {"$x": 1}, "~t": 2}
    repo.save_many([write(**unsafe)])
    assert stored()["payload"]["a.b"] == {"$x": 1}
    assert payloads(repo)["act-1"]["~t"] == 2


def test_indexes_lead_with_the_organization(repo: SqlActivityRepository) -> None:
    with connections[ALIAS].cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s",
            ["velt_activities"],
        )
        definitions = [row[0] for row in cursor.fetchall()]
    assert any(
        "UNIQUE" in d and "(organization_id, activity_id)" in d for d in definitions
    )
    for columns in ("(organization_id, document_id)", "(organization_id, created_at)"):
        assert any(columns in d for d in definitions)
    for column in ("(activity_id)", "(document_id)", "(created_at)"):
        assert any(column in d for d in definitions)


@pytest.mark.parametrize(
    "later",
    [{}, {"text": "changed"}, {"text": "changed", "extra": 2}],
    ids=["new", "replayed", "new-key"],
)
@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_every_save_is_one_statement(
    repo: SqlActivityRepository, later: dict[str, Any]
) -> None:
    if later:
        repo.save_many([write(text="a")])
    with CaptureQueriesContext(connections[ALIAS]) as queries:
        repo.save_many([write(**(later or {"text": "a"})), write("act-2", text="b")])
    assert len(queries) == 1
    payload = stored()["payload"]
    assert payload["text"] == "a"
    assert payload.get("extra") == later.get("extra")


def test_repeated_activity_in_one_save_keeps_the_first_values(
    repo: SqlActivityRepository,
) -> None:
    first = write(text="first", doc=None)
    second = write(text="second", extra=1)
    second.payload["metadata"]["sdkVersion"] = "5"
    repo.save_many([first, second])
    payload = stored()["payload"]
    assert (payload["text"], payload["extra"]) == ("first", 1)
    assert payload["metadata"]["sdkVersion"] == "5"
    assert stored()["documentId"] == "doc-1"


def test_gdpr_rewrite_is_guarded_by_rev(repo: SqlActivityRepository) -> None:
    repo.save_many([write(text="a")])
    current = repo.read_record(ORG, "act-1")
    assert current is not None
    repo.save_many([write(extra=1)])
    assert not repo.rewrite_if_unchanged(current, {"id": "act-1"}, "gdpr.erase")
    fresh = repo.read_record(ORG, "act-1")
    assert fresh is not None and repo.count_records(ORG) == 1
    assert repo.rewrite_if_unchanged(fresh, {"id": "act-1"}, "gdpr.erase")
    assert payloads(repo)["act-1"] == {"id": "act-1"}
    after = repo.read_record(ORG, "act-1")
    assert after is not None and repo.rewrite_if_unchanged(after, None, "gdpr.delete")
    assert list(repo.scan()) == []


# ---- concurrency -----------------------------------------------------------------------


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_concurrent_saves_of_one_new_activity_keep_the_first_value_of_each_key() -> (
    None
):
    repo = SqlActivityRepository(ALIAS)
    writers = 8

    def save(n: int) -> None:
        own: dict[str, Any] = {f"only-{n}": n}
        later = write(writer=n, **own)
        later.payload["metadata"][f"m-{n}"] = n
        repo.save_many([later])

    _concurrently(writers, save)
    (row,) = rows()
    assert row.payload["writer"] in range(writers)
    assert {f"only-{n}" for n in range(writers)} <= set(row.payload)
    assert {f"m-{n}" for n in range(writers)} <= set(row.payload["metadata"])
    assert row.rev == writers


# ---- retention: no TTL index --------------------------------------------------------


@pytest.fixture
def retained(settings: Any, spread: SqlActivityRepository) -> SqlActivityRepository:
    settings.VELT = {**settings.VELT, "ACTIVITY_RETENTION_DAYS": 30}
    age("act-2", ORG, 31)
    age("act-9", OTHER, 31)
    return spread


def test_reads_ignore_expired_activities(retained: SqlActivityRepository) -> None:
    assert sorted(payloads(retained)) == ["act-1", "act-3"]
    assert retained.find(None, ids=["act-9"]) == []
    assert retained.stored_documents(ORG, ["act-2", "act-1"]) == {"act-1": "doc-a"}
    # Still stored (GDPR sees them) until purged.
    assert retained.count_records() == 5


def test_save_of_an_expired_activity_starts_it_afresh(
    retained: SqlActivityRepository,
) -> None:
    retained.save_many([write("act-2", doc="doc-new", text="new")])
    row = stored("act-2")
    assert row["payload"]["text"] == "new"
    assert row["documentId"] == "doc-new"
    assert row["createdAt"] > datetime.datetime.now(
        datetime.timezone.utc
    ) - datetime.timedelta(minutes=1)
    assert "act-2" in payloads(retained)


def test_purge_expired_deletes_what_reads_ignore(
    retained: SqlActivityRepository, settings: Any
) -> None:
    assert retained.purge_expired(dry_run=True) == 2
    assert len(remaining()) == 5
    assert retained.purge_expired() == 2
    assert remaining() == [(ORG, "act-1"), (ORG, "act-3"), (OTHER, "act-1")]
    settings.VELT = {**settings.VELT, "ACTIVITY_RETENTION_DAYS": None}
    assert retained.purge_expired() == 0


def test_retention_off_reads_every_activity(spread: SqlActivityRepository) -> None:
    age("act-2", ORG, 4000)
    assert sorted(payloads(spread)) == ["act-1", "act-2", "act-3"]
    assert spread.purge_expired() == 0


# ---- over HTTP and the command -----------------------------------------------------


@pytest.mark.usefixtures("on_postgresql")
def test_activity_views_and_purge_command_on_postgresql(post_json: Any) -> None:
    body: dict[str, Any] = {
        "activity": {"act-1": write(text="first").payload},
        "event": "activity.save",
        "organizationId": ORG,
    }
    response = post_json("activities/save", body)
    assert response.status_code == 200, response.content
    body["activity"]["act-1"] = write(text="rewritten", extra=1).payload
    assert post_json("activities/save", body).status_code == 200

    response = post_json(
        "activities/get", {"organizationId": ORG, "documentIds": ["doc-1"]}
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert list(data) == ["act-1"]
    assert (data["act-1"]["text"], data["act-1"]["extra"]) == ("first", 1)
    assert stored()["lastEvent"] == "activity.save"

    out = command_output("velt_purge_activities", "--organization", ORG)
    assert "Deleted 1 activity" in out
    assert rows().count() == 0
