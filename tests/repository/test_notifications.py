"""NotificationRepository on both tiers: reads by ids only (A-18), the merge rule of the
server-side write path (§13.5), deletes, indexes (§5.6)."""

from __future__ import annotations

from typing import Any

import pytest

from velt_django.exceptions import InvalidRecordError, RecordTooLargeError
from velt_django.repository.base import RecordWrite
from velt_django.repository.notifications import NotificationRepository

from ..contracts import assert_json_equal
from ..families import ORG, OTHER, THIRD, UNSAFE_KEYS


@pytest.fixture(params=["mongo_db", pytest.param("wire_db", marks=pytest.mark.mongo)])
def repo(request: pytest.FixtureRequest) -> NotificationRepository:
    """The repository on mongomock (unit tier) and on a real server (wire tier)."""
    request.getfixturevalue(request.param)
    return NotificationRepository()


def record(notification_id: str = "n-1", org: str = ORG, **fields: Any) -> RecordWrite:
    return RecordWrite(
        organization_id=org,
        record_id=notification_id,
        payload={"notificationId": notification_id, **fields},
    )


def test_collection_is_velt_notifications(repo: NotificationRepository) -> None:
    assert repo.collection.name == "velt_notifications"


def test_unique_index_on_organization_and_notification_id(
    repo: NotificationRepository,
) -> None:
    indexes = {
        tuple(k for k, _ in info["key"]): bool(info.get("unique"))
        for info in repo.collection.index_information().values()
    }
    assert indexes[("organizationId", "notificationId")] is True
    assert indexes[("notificationId",)] is False


def test_get_by_ids_returns_payloads_keyed_by_id(repo: NotificationRepository) -> None:
    repo.store([record("n-1", displayBodyMessage="one"), record("n-2")])
    found = repo.get_by_ids(ORG, ["n-1", "n-2", "n-missing"])
    assert found == {
        "n-1": {"notificationId": "n-1", "displayBodyMessage": "one"},
        "n-2": {"notificationId": "n-2"},
    }


def test_get_by_ids_without_ids_returns_nothing(repo: NotificationRepository) -> None:
    repo.store([record("n-1"), record("n-2")])
    assert repo.get_by_ids(ORG, []) == {}


def test_find_without_ids_never_lists_the_organization(
    repo: NotificationRepository,
) -> None:
    repo.store([record("n-1")])
    assert repo.find(ORG) == []
    assert repo.find(ORG, document_ids=["doc-1"], folder_id="f-1") == []


def test_get_by_ids_stays_in_its_organization(repo: NotificationRepository) -> None:
    repo.store(
        [record("n-1", org=ORG, secret="a"), record("n-1", org=OTHER, secret="b")]
    )
    assert repo.get_by_ids(ORG, ["n-1"])["n-1"]["secret"] == "a"
    assert repo.get_by_ids(OTHER, ["n-1"])["n-1"]["secret"] == "b"
    assert repo.get_by_ids(THIRD, ["n-1"]) == {}


def test_store_applies_the_merge_rule(repo: NotificationRepository) -> None:
    repo.store(
        [
            record(
                displayBodyMessage="first",
                notificationSourceData={"a": 1, "b": 2},
                metadata={"k1": 1, "k2": 2},
                kept=0,
            )
        ]
    )
    repo.store(
        [
            record(
                displayBodyMessage="second",
                notificationSourceData={"a": 3},
                metadata={"k2": 20},
                cleared=None,
            )
        ]
    )
    assert_json_equal(
        repo.get_by_ids(ORG, ["n-1"])["n-1"],
        {
            "notificationId": "n-1",
            "displayBodyMessage": "second",
            "notificationSourceData": {"a": 3},
            "metadata": {"k1": 1, "k2": 20},
            "kept": 0,
            "cleared": None,
        },
    )


def test_store_same_key_twice_in_one_call_merges_in_order(
    repo: NotificationRepository,
) -> None:
    written = repo.store([record(a=1, b=1), record(b=2), record("n-2"), record(c=3)])
    assert written == 4
    assert repo.get_by_ids(ORG, ["n-1"])["n-1"] == {
        "notificationId": "n-1",
        "a": 1,
        "b": 2,
        "c": 3,
    }
    assert repo.collection.count_documents({}) == 2


def test_store_more_than_a_batch(repo: NotificationRepository, settings: Any) -> None:
    settings.VELT = {**settings.VELT, "MAX_RECORDS_PER_SAVE": 3}
    assert repo.store([record(f"n-{i}") for i in range(7)]) == 7
    assert NotificationRepository().collection.count_documents({}) == 7


def test_store_is_idempotent(repo: NotificationRepository) -> None:
    repo.store([record(displayBodyMessage="x", n=1)])
    first = repo.get_by_ids(ORG, ["n-1"])
    repo.store([record(displayBodyMessage="x", n=1)])
    assert_json_equal(repo.get_by_ids(ORG, ["n-1"]), first)
    assert repo.collection.count_documents({}) == 1


def test_stored_envelope_keeps_payload_nested(repo: NotificationRepository) -> None:
    repo.store([record(organizationId=ORG)])
    doc = repo.collection.find_one({"notificationId": "n-1"})
    assert doc is not None
    assert doc["organizationId"] == ORG
    assert doc["payload"] == {"notificationId": "n-1", "organizationId": ORG}
    assert "documentId" not in doc


@pytest.mark.parametrize("key", UNSAFE_KEYS)
def test_unsafe_keys_round_trip(repo: NotificationRepository, key: str) -> None:
    unsafe: dict[str, Any] = {key: 1, "nested": {key: {key: [key]}}}
    repo.store([record(**unsafe)])
    payload = repo.get_by_ids(ORG, ["n-1"])["n-1"]
    assert payload[key] == 1
    assert payload["nested"] == {key: {key: [key]}}


def test_check_refuses_integer_outside_int64(repo: NotificationRepository) -> None:
    with pytest.raises(InvalidRecordError):
        repo.check({"notificationId": "n-1", "big": 2**63})


def test_check_refuses_record_over_size_limit(
    repo: NotificationRepository, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "MAX_RECORD_SIZE": 1024}
    with pytest.raises(RecordTooLargeError):
        repo.check({"notificationId": "n-1", "text": "x" * 2048})


def test_delete_removes_only_that_organizations_record(
    repo: NotificationRepository,
) -> None:
    repo.store([record(org=ORG), record(org=OTHER)])
    assert repo.delete(ORG, "n-1") == 1
    assert repo.delete(ORG, "n-1") == 0
    assert repo.get_by_ids(OTHER, ["n-1"]) != {}


def test_locate_and_delete_in_organizations(repo: NotificationRepository) -> None:
    repo.store([record(org=ORG), record(org=OTHER), record(org=THIRD)])
    assert [org for org, _doc in repo.locate("n-1")] == sorted([ORG, OTHER, THIRD])
    assert repo.delete_in_organizations("n-1", [ORG, OTHER]) == 2
    assert [org for org, _doc in repo.locate("n-1")] == [THIRD]
