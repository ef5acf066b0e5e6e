"""SqlNotificationRepository on PostgreSQL: the tests of
tests/repository/test_notifications.py run unchanged against the SQL twin (imported, not
copied), those that read the MongoDB collection in their SQL form, concurrent stores,
and the notification views over HTTP with ``STORAGE_BACKEND = "postgresql"``."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connections

from velt_django.models import NotificationRecord
from velt_django.repository.sql import SqlNotificationRepository

from ..families import ORG, OTHER
from ..postgres import ALIAS
from ..repository import test_notifications as shared
from .conftest import DATABASES
from .test_comments import _concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(databases=DATABASES)]

record = shared.record

#: Shared tests that read the MongoDB collection (its name, indexes, documents).
MONGO_ONLY = {
    "test_collection_is_velt_notifications",
    "test_unique_index_on_organization_and_notification_id",
    "test_store_same_key_twice_in_one_call_merges_in_order",
    "test_store_more_than_a_batch",
    "test_store_is_idempotent",
    "test_stored_envelope_keeps_payload_nested",
}

for _name, _test in vars(shared).items():
    if _name.startswith("test_") and _name not in MONGO_ONLY:
        globals()[_name] = _test


@pytest.fixture
def repo() -> SqlNotificationRepository:
    return SqlNotificationRepository(ALIAS)


def rows() -> Any:
    return NotificationRecord.objects.using(ALIAS)


# ---- the MONGO_ONLY tests, on the table ----------------------------------------------


def test_table_and_unique_key(repo: SqlNotificationRepository) -> None:
    with connections[ALIAS].cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s",
            ["velt_notifications"],
        )
        definitions = [row[0] for row in cursor.fetchall()]
    assert any(
        "UNIQUE" in d and "(organization_id, annotation_id)" in d for d in definitions
    )
    assert any("UNIQUE" not in d and "(annotation_id)" in d for d in definitions)


def test_store_same_key_twice_in_one_call_merges_in_order(
    repo: SqlNotificationRepository,
) -> None:
    written = repo.store([record(a=1, b=1), record(b=2), record("n-2"), record(c=3)])
    assert written == 4
    assert repo.get_by_ids(ORG, ["n-1"])["n-1"] == {
        "notificationId": "n-1",
        "a": 1,
        "b": 2,
        "c": 3,
    }
    assert repo.count_records() == 2


def test_store_more_than_a_batch(
    repo: SqlNotificationRepository, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "MAX_RECORDS_PER_SAVE": 3}
    assert repo.store([record(f"n-{i}") for i in range(7)]) == 7
    assert repo.count_records() == 7


def test_store_is_idempotent(repo: SqlNotificationRepository) -> None:
    repo.store([record(displayBodyMessage="x", n=1)])
    first = repo.get_by_ids(ORG, ["n-1"])
    repo.store([record(displayBodyMessage="x", n=1)])
    assert repo.get_by_ids(ORG, ["n-1"]) == first
    assert repo.count_records() == 1


def test_stored_row_keeps_the_payload_as_sent(repo: SqlNotificationRepository) -> None:
    repo.store([record(organizationId=ORG)])
    row = rows().get()
    assert (row.organization_id, row.annotation_id) == (ORG, "n-1")
    assert row.payload == {"notificationId": "n-1", "organizationId": ORG}
    assert (row.document_id, row.folder_id) == (None, None)


def test_gdpr_scan_reads_every_notification(repo: SqlNotificationRepository) -> None:
    repo.store([record(org=ORG), record("n-2", org=OTHER)])
    assert [(r.organization_id, r.record_id) for r in repo.scan()] == [
        (ORG, "n-1"),
        (OTHER, "n-2"),
    ]


# ---- concurrency -----------------------------------------------------------------------


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_concurrent_stores_of_one_notification_merge_every_metadata_key() -> None:
    repo = SqlNotificationRepository(ALIAS)

    def store(i: int) -> None:
        repo.store([record(metadata={f"k{i}": i}, last=i)])

    _concurrently(8, store)
    stored = repo.get_by_ids(ORG, ["n-1"])["n-1"]
    assert stored["metadata"] == {f"k{i}": i for i in range(8)}
    assert stored["last"] in range(8)
    assert rows().get().rev == 8


# ---- over HTTP ---------------------------------------------------------------------------


@pytest.mark.usefixtures("on_postgresql")
def test_notification_views_on_postgresql(post_json: Any) -> None:
    from velt_django import notifications

    notifications.store(ORG, [{"notificationId": "n-1", "displayBodyMessage": "hi"}])
    assert rows().get().annotation_id == "n-1"

    response = post_json(
        "notifications/get", {"organizationId": ORG, "notificationIds": ["n-1", "x"]}
    )
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {
        "n-1": {"notificationId": "n-1", "displayBodyMessage": "hi"}
    }

    response = post_json(
        "notifications/delete", {"organizationId": ORG, "notificationId": "n-1"}
    )
    assert response.status_code == 200, response.content
    assert rows().count() == 0
