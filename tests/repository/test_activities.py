"""``ActivityRepository`` on both tiers: append-only saves, gets with and without an
organization, the retention TTL index and the purge (CONTRACT §12, §5.6)."""

from __future__ import annotations

import datetime
import threading
from typing import Any

import pytest
from pymongo.errors import BulkWriteError

from velt_django.exceptions import DatabaseUnavailableError, RepositoryError
from velt_django.repository import connection
from velt_django.repository.activities import TTL_INDEX, ActivityRepository
from velt_django.repository.base import RecordWrite

ORG = "acme-corp"
OTHER = "globex"


@pytest.fixture(params=["mongo_db", pytest.param("wire_db", marks=pytest.mark.mongo)])
def repo(request: Any) -> ActivityRepository:
    """The repository on the configured database: mongomock, then the wire server."""
    request.getfixturevalue(request.param)
    return ActivityRepository()


def write(
    record_id: str = "act-1",
    org: str = ORG,
    doc: str | None = "doc-1",
    **payload: Any,
) -> RecordWrite:
    metadata = {"organizationId": org, **({"documentId": doc} if doc else {})}
    return RecordWrite(
        organization_id=org,
        record_id=record_id,
        payload={"id": record_id, "metadata": metadata, **payload},
        document_id=doc,
    )


def stored(record_id: str = "act-1", org: str = ORG) -> dict[str, Any]:
    doc = connection.get_database()["velt_activities"].find_one(
        {"organizationId": org, "activityId": record_id}
    )
    assert doc is not None
    found: dict[str, Any] = doc
    return found


def payloads(repo: Any, org: str | None = ORG, **kw: Any) -> Any:
    return {r.record_id: r.payload for r in repo.find(org, **kw)}


# ---- saves ---------------------------------------------------------------------------


def test_save_new_record_stores_envelope(repo: ActivityRepository) -> None:
    repo.save_many([write(text="hello")], event="activity.save")
    doc = stored()
    assert doc["payload"] == {
        "id": "act-1",
        "metadata": {"organizationId": ORG, "documentId": "doc-1"},
        "text": "hello",
    }
    assert (doc["organizationId"], doc["documentId"]) == (ORG, "doc-1")
    assert doc["lastEvent"] == "activity.save"
    assert isinstance(doc["createdAt"], datetime.datetime)
    assert not doc.get("esc")


def test_save_existing_record_keeps_every_stored_value(
    repo: ActivityRepository,
) -> None:
    repo.save_many([write(text="original", changes={"a": 1}, empty=None)])
    created = stored()["createdAt"]
    repo.save_many([write(doc="doc-2", text="rewritten", changes={"b": 2}, empty=1)])
    doc = stored()
    assert doc["payload"]["text"] == "original"
    assert doc["payload"]["changes"] == {"a": 1}
    assert doc["payload"]["empty"] is None
    assert doc["payload"]["metadata"]["documentId"] == "doc-1"
    assert doc["documentId"] == "doc-1"
    assert doc["createdAt"] == created


def test_save_existing_record_gains_missing_keys(repo: ActivityRepository) -> None:
    repo.save_many([write(text="original")])
    later = write(entityData={"k": [1, 2]})
    later.payload["metadata"]["sdkVersion"] = "5.0.3"
    repo.save_many([later])
    payload = payloads(repo)["act-1"]
    assert payload["entityData"] == {"k": [1, 2]}
    assert payload["metadata"]["sdkVersion"] == "5.0.3"
    assert payload["text"] == "original"


def test_save_escaped_key_added_later_round_trips(repo: ActivityRepository) -> None:
    repo.save_many([write()])
    unsafe: dict[str, Any] = {"a.b": {"$x": 1}, "~t": 2}
    repo.save_many([write(**unsafe)])
    assert stored()["esc"] is True
    payload = payloads(repo)["act-1"]
    assert payload["a.b"] == {"$x": 1}
    assert payload["~t"] == 2


def test_save_many_records_in_one_call(repo: ActivityRepository) -> None:
    repo.save_many(
        [write("act-1"), write("act-2", org=OTHER), write("act-1", text="x")]
    )
    assert sorted(payloads(repo)) == ["act-1"]
    assert "text" in payloads(repo)["act-1"]  # added by the third record
    assert sorted(payloads(repo, OTHER)) == ["act-2"]


def test_save_retries_after_a_concurrent_first_insert(
    repo: ActivityRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = ActivityRepository.collection.fget  # type: ignore[attr-defined]
    calls: list[int] = []

    class Racing:
        """The collection, but the first bulk_write loses a first-insert race."""

        def __init__(self, collection: Any) -> None:
            self.inner = collection

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        def bulk_write(self, ops: Any, ordered: bool = True) -> Any:
            calls.append(len(ops))
            if len(calls) == 1:
                self.inner.insert_one(
                    {
                        "organizationId": ORG,
                        "activityId": "act-1",
                        "payload": {"id": "act-1", "text": "won the race"},
                    }
                )
                raise BulkWriteError(
                    {"writeErrors": [{"index": 0, "code": 11000}], "nInserted": 0}
                )
            return self.inner.bulk_write(ops, ordered=ordered)

    monkeypatch.setattr(
        ActivityRepository, "collection", property(lambda self: Racing(real(self)))
    )
    repo.save_many([write(text="lost the race", extra=1)])
    # The lost upsert, the repeated upsert (now matching), then the missing keys added.
    assert len(calls) == 3
    payload = stored()["payload"]
    assert payload["text"] == "won the race"
    assert payload["extra"] == 1


@pytest.mark.parametrize(
    ("details", "error"),
    [
        ({"writeErrors": [{"index": 0, "code": 121}]}, RepositoryError),
        (
            {"writeErrors": [], "writeConcernErrors": [{"code": 64}]},
            DatabaseUnavailableError,
        ),
    ],
    ids=["validation", "write-concern"],
)
def test_save_bulk_errors_are_translated(
    repo: ActivityRepository,
    monkeypatch: pytest.MonkeyPatch,
    details: dict[str, Any],
    error: type[Exception],
) -> None:
    class Failing:
        def bulk_write(self, ops: Any, ordered: bool = True) -> Any:
            raise BulkWriteError(details)

    monkeypatch.setattr(ActivityRepository, "collection", property(lambda s: Failing()))
    with pytest.raises(error):
        repo.save_many([write()])


@pytest.mark.mongo
def test_concurrent_saves_of_one_new_activity_keep_the_first_value_of_each_key(
    wire_db: Any,
) -> None:
    writers = 6
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            own: dict[str, Any] = {f"only-{n}": n}
            ActivityRepository().save_many([write(writer=n, **own)])
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    docs = list(connection.get_database()["velt_activities"].find({}))
    assert len(docs) == 1
    payload = docs[0]["payload"]
    assert payload["writer"] in range(writers)
    assert {f"only-{n}" for n in range(writers)} <= set(payload)


# ---- reads ---------------------------------------------------------------------------


@pytest.fixture
def spread(repo: ActivityRepository) -> ActivityRepository:
    repo.save_many(
        [
            write("act-1", doc="doc-a"),
            write("act-2", doc="doc-b"),
            write("act-3", doc=None),
            write("act-1", org=OTHER, doc="doc-a"),
            write("act-9", org=OTHER, doc="doc-z"),
        ]
    )
    return repo


def test_find_with_organization_and_no_selector_is_whole_organization(
    spread: ActivityRepository,
) -> None:
    assert sorted(payloads(spread)) == ["act-1", "act-2", "act-3"]


def test_find_union_of_ids_and_documents(spread: ActivityRepository) -> None:
    found = payloads(spread, ids=["act-3"], document_ids=["doc-b"])
    assert sorted(found) == ["act-2", "act-3"]


def test_find_without_organization_and_selector_is_empty(
    spread: ActivityRepository,
) -> None:
    assert spread.find(None) == []


def test_find_without_organization_spans_organizations(
    spread: ActivityRepository,
) -> None:
    found = spread.find(None, ids=["act-1"], document_ids=["doc-z"])
    assert sorted((r.organization_id, r.record_id, r.document_id) for r in found) == [
        (ORG, "act-1", "doc-a"),
        (OTHER, "act-1", "doc-a"),
        (OTHER, "act-9", "doc-z"),
    ]


def test_stored_documents(spread: ActivityRepository) -> None:
    assert spread.stored_documents(ORG, ["act-1", "act-3", "nope"]) == {
        "act-1": "doc-a",
        "act-3": None,
    }
    assert spread.stored_documents(ORG, []) == {}


# ---- purge ---------------------------------------------------------------------------


def age(record_id: str, org: str, days: int) -> None:
    when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days)
    connection.get_database()["velt_activities"].update_one(
        {"organizationId": org, "activityId": record_id}, {"$set": {"createdAt": when}}
    )


def remaining() -> list[tuple[str, str]]:
    docs = connection.get_database()["velt_activities"].find({})
    return sorted((d["organizationId"], d["activityId"]) for d in docs)


def test_purge_organization(spread: ActivityRepository) -> None:
    assert spread.purge(ORG) == 3
    assert remaining() == [(OTHER, "act-1"), (OTHER, "act-9")]


def test_purge_document(spread: ActivityRepository) -> None:
    assert spread.purge(ORG, "doc-a") == 1
    assert (ORG, "act-1") not in remaining()
    assert (OTHER, "act-1") in remaining()


def test_purge_older_than(spread: ActivityRepository) -> None:
    age("act-2", ORG, 40)
    age("act-9", OTHER, 40)
    cutoff = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=30)
    assert spread.purge(ORG, older_than=cutoff) == 1
    assert (ORG, "act-2") not in remaining()
    assert len(remaining()) == 4


def test_purge_dry_run_counts_and_deletes_nothing(spread: ActivityRepository) -> None:
    assert spread.purge(ORG, dry_run=True) == 3
    assert len(remaining()) == 5


# ---- retention index -------------------------------------------------------------------


def ttl(repo: ActivityRepository) -> Any:
    info = repo.collection.index_information().get(TTL_INDEX)
    return None if info is None else info.get("expireAfterSeconds")


def test_indexes_of_section_5_6(repo: ActivityRepository) -> None:
    info = repo.collection.index_information()
    keys = {
        tuple(tuple(part) for part in v["key"]): bool(v.get("unique"))
        for k, v in info.items()
        if k != "_id_"
    }
    assert keys == {
        (("organizationId", 1), ("activityId", 1)): True,
        (("organizationId", 1), ("documentId", 1)): False,
        (("activityId", 1),): False,
        (("documentId", 1),): False,
    }


def test_retention_off_by_default_creates_no_ttl(repo: ActivityRepository) -> None:
    assert TTL_INDEX not in repo.ensure_indexes()
    assert ttl(repo) is None


def test_retention_set_creates_ttl_index(
    repo: ActivityRepository, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "ACTIVITY_RETENTION_DAYS": 30}
    repo = ActivityRepository()
    assert TTL_INDEX in repo.ensure_indexes()
    assert ttl(repo) == 30 * 86400
    info = repo.collection.index_information()[TTL_INDEX]
    assert [tuple(part) for part in info["key"]] == [("createdAt", 1)]


def test_retention_changed_updates_ttl_index(
    repo: ActivityRepository, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "ACTIVITY_RETENTION_DAYS": 30}
    ActivityRepository().ensure_indexes()
    settings.VELT = {**settings.VELT, "ACTIVITY_RETENTION_DAYS": 7}
    repo = ActivityRepository()
    repo.ensure_indexes()
    repo.ensure_indexes()  # idempotent
    assert ttl(repo) == 7 * 86400


def test_retention_switched_off_drops_ttl_index(
    repo: ActivityRepository, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "ACTIVITY_RETENTION_DAYS": 30}
    ActivityRepository().ensure_indexes()
    settings.VELT = {**settings.VELT, "ACTIVITY_RETENTION_DAYS": None}
    repo = ActivityRepository()
    repo.ensure_indexes()
    assert ttl(repo) is None


def _count_bulk_writes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records the number of operations of every bulk_write the repository sends."""
    real = ActivityRepository.collection.fget  # type: ignore[attr-defined]
    sizes: list[int] = []

    class Counting:
        def __init__(self, collection: Any) -> None:
            self.inner = collection

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        def bulk_write(self, ops: Any, ordered: bool = True) -> Any:
            sizes.append(len(ops))
            return self.inner.bulk_write(ops, ordered=ordered)

    monkeypatch.setattr(
        ActivityRepository, "collection", property(lambda self: Counting(real(self)))
    )
    return sizes


def test_save_of_new_records_is_one_upsert_each_in_one_round_trip(
    repo: ActivityRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = _count_bulk_writes(monkeypatch)
    repo.save_many(
        [write("act-1", text="a", extra=1), write("act-2", text="b", more={"x": 1})]
    )
    assert sizes == [2]


def test_replayed_save_adds_nothing_and_writes_no_key(
    repo: ActivityRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.save_many([write(text="a")])
    sizes = _count_bulk_writes(monkeypatch)
    repo.save_many([write(text="changed")])
    assert sizes == [1]
    assert stored()["payload"]["text"] == "a"


def test_resave_with_a_new_key_adds_only_that_key(
    repo: ActivityRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.save_many([write(text="a")])
    sizes = _count_bulk_writes(monkeypatch)
    repo.save_many([write(text="changed", extra=2)])
    assert sizes == [1, 1]
    payload = stored()["payload"]
    assert (payload["text"], payload["extra"]) == ("a", 2)
