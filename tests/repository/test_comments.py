"""CommentRepository on mongomock: the merge rule (§5.3), envelope (§5.2), queries (§6.3)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from pymongo.errors import BulkWriteError

import velt_django.repository.annotations as annotations_module
from velt_django.exceptions import (
    DatabaseUnavailableError,
    InvalidRecordError,
    RecordTooLargeError,
)
from velt_django.repository.comments import CommentRepository
from velt_django.repository.keys import escape_key

from ..clock import controlled_now
from ..families import ORG, record_write

OTHER_ORG = "globex"


#: One record as a parsed save hands it over: ``record("A1", {...}, org=..., folder_id=...)``.
record = record_write


@pytest.fixture
def repo(mongo_db: Any) -> CommentRepository:
    return CommentRepository(mongo_db)


@pytest.fixture
def raw(repo: CommentRepository) -> Any:
    """Read the stored envelope of one record."""

    def find(annotation_id: str = "A1", org: str = ORG) -> dict[str, Any]:
        doc = repo.collection.find_one(
            {"organizationId": org, "annotationId": annotation_id}
        )
        assert doc is not None
        return doc

    return find


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime.datetime]:
    """Controls ``now`` inside the repository: append the time the next save should see."""
    return controlled_now(monkeypatch, annotations_module)


def stored(
    repo: CommentRepository, annotation_id: str = "A1", org: str = ORG
) -> dict[str, Any]:
    return repo.get_many(org, ids=[annotation_id])[annotation_id]


# ---- first save and round trip ----------------------------------------------------------


def test_save_many_first_save_stores_payload_as_received(
    repo: CommentRepository,
) -> None:
    payload = {
        "metadata": {"documentId": "doc-1", "organizationId": ORG},
        "from": {"userId": "u_8841"},
        "comments": {"517204": {"commentId": 517204, "commentText": "Hello"}},
        "internalTicketId": "OPS-2291",
    }
    repo.save_many([record(payload=payload)])
    assert stored(repo) == {"annotationId": "A1", **payload}


def test_save_many_first_save_with_empty_comments_stores_empty_map(
    repo: CommentRepository,
) -> None:
    repo.save_many([record(payload={"comments": {}})])
    assert stored(repo) == {"annotationId": "A1", "comments": {}}


def test_save_many_repeated_save_is_idempotent(repo: CommentRepository) -> None:
    payload = {
        "comments": {"1": {"commentId": 1, "commentText": "x"}},
        "metadata": {"a": 1},
    }
    repo.save_many([record(payload=payload)])
    first = stored(repo)
    repo.save_many([record(payload=payload)])
    assert stored(repo) == first


def test_save_many_writes_several_records(repo: CommentRepository) -> None:
    repo.save_many(
        [
            record("A1", {"n": 1}),
            record("A2", {"n": 2}),
            record("B1", {"n": 3}, org=OTHER_ORG),
        ]
    )
    assert repo.get_many(ORG) == {
        "A1": {"annotationId": "A1", "n": 1},
        "A2": {"annotationId": "A2", "n": 2},
    }
    assert repo.get_many(OTHER_ORG) == {"B1": {"annotationId": "B1", "n": 3}}


def test_save_many_with_no_records_writes_nothing(repo: CommentRepository) -> None:
    repo.save_many([])
    assert repo.count_records() == 0


def test_save_many_first_save_creates_one_document(repo: CommentRepository) -> None:
    repo.save_many([record(payload={"x": 1})])
    repo.save_many([record(payload={"y": 2})])
    assert repo.count_records() == 1


# ---- merge rule ------------------------------------------------------------------------


def test_save_many_keeps_keys_absent_from_incoming(repo: CommentRepository) -> None:
    repo.save_many(
        [record(payload={"from": {"userId": "u1"}, "targetTextRange": {"text": "t"}})]
    )
    repo.save_many([record(payload={"assignedTo": {"userId": "u2"}})])
    assert stored(repo) == {
        "annotationId": "A1",
        "from": {"userId": "u1"},
        "targetTextRange": {"text": "t"},
        "assignedTo": {"userId": "u2"},
    }


def test_save_many_replaces_present_scalar_key(repo: CommentRepository) -> None:
    repo.save_many([record(payload={"resolvedByUserId": "u1"})])
    repo.save_many([record(payload={"resolvedByUserId": "u2"})])
    assert stored(repo)["resolvedByUserId"] == "u2"


def test_save_many_replaces_with_explicit_null(repo: CommentRepository) -> None:
    repo.save_many([record(payload={"resolvedByUserId": "u1"})])
    repo.save_many([record(payload={"resolvedByUserId": None})])
    result = stored(repo)
    assert "resolvedByUserId" in result
    assert result["resolvedByUserId"] is None


def test_save_many_replaces_array_wholesale(repo: CommentRepository) -> None:
    repo.save_many([record(payload={"tags": ["a", "b", "c"]})])
    repo.save_many([record(payload={"tags": ["z"]})])
    assert stored(repo)["tags"] == ["z"]


def test_save_many_replaces_nested_object_wholesale(repo: CommentRepository) -> None:
    repo.save_many(
        [record(payload={"context": {"textEditorConfig": {"text": "old"}, "extra": 1}})]
    )
    repo.save_many([record(payload={"context": {"textEditorConfig": {"text": "new"}}})])
    assert stored(repo)["context"] == {"textEditorConfig": {"text": "new"}}


def test_save_many_merges_comments_entry_by_entry(repo: CommentRepository) -> None:
    repo.save_many(
        [record(payload={"comments": {"1": {"commentId": 1, "commentText": "first"}}})]
    )
    repo.save_many(
        [record(payload={"comments": {"2": {"commentId": 2, "commentText": "second"}}})]
    )
    assert stored(repo)["comments"] == {
        "1": {"commentId": 1, "commentText": "first"},
        "2": {"commentId": 2, "commentText": "second"},
    }


def test_save_many_replaces_comment_entry_as_a_whole(repo: CommentRepository) -> None:
    repo.save_many(
        [
            record(
                payload={
                    "comments": {
                        "1": {
                            "commentId": 1,
                            "commentText": "a",
                            "commentHtml": "<p>a</p>",
                        }
                    }
                }
            )
        ]
    )
    repo.save_many(
        [record(payload={"comments": {"1": {"commentId": 1, "commentText": "b"}}})]
    )
    assert stored(repo)["comments"] == {"1": {"commentId": 1, "commentText": "b"}}


def test_save_many_empty_comments_keeps_stored_entries(repo: CommentRepository) -> None:
    repo.save_many([record(payload={"comments": {"1": {"commentId": 1}}})])
    repo.save_many([record(payload={"comments": {}})])
    assert stored(repo)["comments"] == {"1": {"commentId": 1}}


def test_save_many_null_comments_replaces_stored_map(repo: CommentRepository) -> None:
    repo.save_many([record(payload={"comments": {"1": {"commentId": 1}}})])
    repo.save_many([record(payload={"comments": None})])
    assert stored(repo)["comments"] is None


def test_save_many_shallow_merges_metadata(repo: CommentRepository) -> None:
    repo.save_many(
        [
            record(
                payload={
                    "metadata": {
                        "apiKey": "k",
                        "documentId": "doc-1",
                        "sdkVersion": "5.0.1",
                    }
                }
            )
        ]
    )
    repo.save_many(
        [record(payload={"metadata": {"sdkVersion": "5.0.2", "folderId": "f1"}})]
    )
    assert stored(repo)["metadata"] == {
        "apiKey": "k",
        "documentId": "doc-1",
        "sdkVersion": "5.0.2",
        "folderId": "f1",
    }


def test_save_many_replaces_nested_metadata_value_wholesale(
    repo: CommentRepository,
) -> None:
    repo.save_many(
        [
            record(
                payload={
                    "metadata": {
                        "documentMetadata": {"documentName": "Q3", "owner": "u1"}
                    }
                }
            )
        ]
    )
    repo.save_many(
        [record(payload={"metadata": {"documentMetadata": {"documentName": "Q4"}}})]
    )
    assert stored(repo)["metadata"] == {"documentMetadata": {"documentName": "Q4"}}


def test_save_many_replaces_stored_non_object_comments_with_object(
    repo: CommentRepository,
) -> None:
    repo.save_many([record(payload={"comments": ["legacy", "array"], "keep": 1})])
    repo.save_many([record(payload={"comments": {"1": {"commentId": 1}}})])
    assert stored(repo) == {
        "annotationId": "A1",
        "comments": {"1": {"commentId": 1}},
        "keep": 1,
    }


def test_save_many_replaces_stored_string_comments_with_object(
    repo: CommentRepository,
) -> None:
    repo.save_many([record(payload={"comments": "text"})])
    repo.save_many([record(payload={"comments": {"7": {"commentId": 7}}})])
    assert stored(repo)["comments"] == {"7": {"commentId": 7}}


def test_save_many_replaces_stored_non_object_metadata_with_object(
    repo: CommentRepository,
) -> None:
    repo.save_many([record(payload={"metadata": None})])
    repo.save_many([record(payload={"metadata": {"documentId": "doc-1"}})])
    assert stored(repo)["metadata"] == {"documentId": "doc-1"}


def test_save_many_fallback_path_increments_rev(
    repo: CommentRepository, raw: Any
) -> None:
    repo.save_many([record(payload={"comments": []})])
    repo.save_many([record(payload={"comments": {"1": {"commentId": 1}}})])
    assert raw()["rev"] == 2
    assert repo.count_records() == 1


def _race_on_bulk_write(
    repo: CommentRepository, monkeypatch: pytest.MonkeyPatch, details: dict[str, Any]
) -> None:
    """The next bulk_write fails as a server would report ``details``; a competing
    writer's first save of A1 lands just before it."""
    collection = repo.collection

    def bulk_write(self: Any, ops: Any, ordered: bool = True) -> Any:
        collection.insert_one(
            {
                "organizationId": ORG,
                "annotationId": "A1",
                "payload": {"annotationId": "A1", "comments": {"1": {"commentId": 1}}},
                "rev": 1,
            }
        )
        raise BulkWriteError(
            {"writeErrors": [], "writeConcernErrors": [], "nInserted": 0, **details}
        )

    monkeypatch.setattr(type(collection), "bulk_write", bulk_write)


def test_save_many_merges_into_concurrent_first_save_after_duplicate_key(
    repo: CommentRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    _race_on_bulk_write(
        repo,
        monkeypatch,
        {"writeErrors": [{"index": 0, "code": 11000, "errmsg": "dup"}]},
    )
    repo.save_many([record(payload={"comments": {"2": {"commentId": 2}}})])
    assert stored(repo)["comments"] == {"1": {"commentId": 1}, "2": {"commentId": 2}}


def test_save_many_write_concern_error_is_database_unavailable(
    repo: CommentRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    _race_on_bulk_write(
        repo, monkeypatch, {"writeConcernErrors": [{"code": 64, "errmsg": "waiting"}]}
    )
    with pytest.raises(DatabaseUnavailableError):
        repo.save_many([record(payload={"x": 1})])


# ---- envelope -----------------------------------------------------------------------------


def test_save_many_derives_document_and_folder(
    repo: CommentRepository, raw: Any
) -> None:
    repo.save_many([record(document_id="doc-9", folder_id="folder-3")])
    doc = raw()
    assert (doc["organizationId"], doc["annotationId"]) == (ORG, "A1")
    assert (doc["documentId"], doc["folderId"]) == ("doc-9", "folder-3")


def test_save_many_refreshes_folder_when_document_moves(
    repo: CommentRepository, raw: Any
) -> None:
    repo.save_many([record(folder_id="folder-a")])
    repo.save_many([record(folder_id="folder-b")])
    assert raw()["folderId"] == "folder-b"


def test_save_many_keeps_document_and_folder_when_not_supplied(
    repo: CommentRepository, raw: Any
) -> None:
    repo.save_many([record(document_id="doc-1", folder_id="folder-a")])
    repo.save_many([record(document_id=None, folder_id=None)])
    doc = raw()
    assert (doc["documentId"], doc["folderId"]) == ("doc-1", "folder-a")


def test_save_many_increments_rev(repo: CommentRepository, raw: Any) -> None:
    repo.save_many([record()])
    assert raw()["rev"] == 1
    repo.save_many([record()])
    repo.save_many([record()])
    assert raw()["rev"] == 3


def test_save_many_keeps_created_at_and_moves_updated_at(
    repo: CommentRepository, raw: Any, clock: list[datetime.datetime]
) -> None:
    first = datetime.datetime(2026, 1, 1, 9, 0, tzinfo=datetime.timezone.utc)
    later = datetime.datetime(2026, 1, 1, 9, 40, tzinfo=datetime.timezone.utc)
    clock.append(first)
    repo.save_many([record()])
    clock.append(later)
    repo.save_many([record()])
    doc = raw()
    assert doc["createdAt"].replace(tzinfo=datetime.timezone.utc) == first
    assert doc["updatedAt"].replace(tzinfo=datetime.timezone.utc) == later


def test_save_many_fallback_path_keeps_created_at(
    repo: CommentRepository, raw: Any, clock: list[datetime.datetime]
) -> None:
    first = datetime.datetime(2026, 1, 1, 9, 0, tzinfo=datetime.timezone.utc)
    clock.append(first)
    repo.save_many([record(payload={"comments": "x"})])
    clock.append(datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc))
    repo.save_many([record(payload={"comments": {"1": {}}})])
    assert raw()["createdAt"].replace(tzinfo=datetime.timezone.utc) == first


def test_save_many_records_last_event(repo: CommentRepository, raw: Any) -> None:
    repo.save_many([record()], event="comment.add")
    assert raw()["lastEvent"] == "comment.add"
    repo.save_many([record()], event="comment_annotation.assign")
    assert raw()["lastEvent"] == "comment_annotation.assign"


def test_save_many_does_not_write_event_into_payload(repo: CommentRepository) -> None:
    repo.save_many([record(payload={"x": 1})], event="comment.add")
    assert stored(repo) == {"annotationId": "A1", "x": 1}


def test_get_many_returns_no_envelope_fields(repo: CommentRepository) -> None:
    repo.save_many([record(payload={"x": 1}, folder_id="f")], event="comment.add")
    payload = stored(repo)
    for field in (
        "_id",
        "rev",
        "createdAt",
        "updatedAt",
        "lastEvent",
        "organizationId",
        "documentId",
        "folderId",
    ):
        assert field not in payload


# ---- comment.delete (message_removal) -----------------------------------------------------


def test_save_many_message_removal_removes_by_key(repo: CommentRepository) -> None:
    repo.save_many(
        [record(payload={"comments": {"1": {"commentId": 1}, "2": {"commentId": 2}}})]
    )
    repo.save_many(
        [record(payload={"comments": {"1": {"commentId": 1}}})],
        event="comment.delete",
        post_merge=CommentRepository.message_removal("2"),
    )
    assert stored(repo)["comments"] == {"1": {"commentId": 1}}


def test_save_many_message_removal_removes_by_comment_id_value(
    repo: CommentRepository,
) -> None:
    repo.save_many(
        [
            record(
                payload={
                    "comments": {"k1": {"commentId": 1}, "k2": {"commentId": 660913}}
                }
            )
        ]
    )
    repo.save_many(
        [record(payload={"comments": {}})],
        post_merge=CommentRepository.message_removal("660913"),
    )
    assert stored(repo)["comments"] == {"k1": {"commentId": 1}}


def test_save_many_message_removal_removes_entry_present_in_incoming(
    repo: CommentRepository,
) -> None:
    repo.save_many(
        [record(payload={"comments": {"1": {"commentId": 1}, "2": {"commentId": 2}}})],
        post_merge=CommentRepository.message_removal("2"),
    )
    assert stored(repo)["comments"] == {"1": {"commentId": 1}}


def test_save_many_message_removal_still_merges_other_keys(
    repo: CommentRepository,
) -> None:
    repo.save_many(
        [
            record(
                payload={
                    "comments": {"1": {"commentId": 1}, "2": {"commentId": 2}},
                    "keep": "k",
                }
            )
        ]
    )
    repo.save_many(
        [record(payload={"from": {"userId": "u"}})],
        post_merge=CommentRepository.message_removal("1"),
    )
    assert stored(repo) == {
        "annotationId": "A1",
        "comments": {"2": {"commentId": 2}},
        "keep": "k",
        "from": {"userId": "u"},
    }


def test_save_many_message_removal_of_unknown_comment_keeps_map(
    repo: CommentRepository,
) -> None:
    repo.save_many([record(payload={"comments": {"1": {"commentId": 1}}})])
    repo.save_many(
        [record(payload={})], post_merge=CommentRepository.message_removal("99")
    )
    assert stored(repo)["comments"] == {"1": {"commentId": 1}}


def test_save_many_message_removal_increments_rev_and_sets_event(
    repo: CommentRepository, raw: Any
) -> None:
    repo.save_many([record(payload={"comments": {"1": {"commentId": 1}}})])
    repo.save_many(
        [record()],
        event="comment.delete",
        post_merge=CommentRepository.message_removal("1"),
    )
    doc = raw()
    assert doc["rev"] == 2
    assert doc["lastEvent"] == "comment.delete"


# ---- key escaping through the repository --------------------------------------------------


def test_save_many_round_trips_unsafe_custom_keys(repo: CommentRepository) -> None:
    payload = {"team.name": "ops", "$ref": {"~id": 1}, "": [{"a.b": True}]}
    repo.save_many([record(payload=payload)])
    assert stored(repo) == {"annotationId": "A1", **payload}


def test_save_many_stores_unsafe_keys_escaped(
    repo: CommentRepository, raw: Any
) -> None:
    repo.save_many([record(payload={"team.name": "ops"})])
    assert raw()["payload"][escape_key("team.name")] == "ops"
    assert "team.name" not in raw()["payload"]


def test_save_many_unescapes_after_later_save_without_unsafe_keys(
    repo: CommentRepository,
) -> None:
    repo.save_many([record(payload={"team.name": "ops"})])
    repo.save_many([record(payload={"plain": 1})])
    assert stored(repo) == {"annotationId": "A1", "team.name": "ops", "plain": 1}


def test_save_many_replaces_unsafe_key_value(repo: CommentRepository) -> None:
    repo.save_many([record(payload={"$ref": "old"})])
    repo.save_many([record(payload={"$ref": "new"})])
    assert stored(repo) == {"annotationId": "A1", "$ref": "new"}


def test_save_many_refuses_integer_outside_int64(repo: CommentRepository) -> None:
    with pytest.raises(InvalidRecordError):
        repo.save_many([record(payload={"n": 2**63})])
    assert repo.count_records() == 0


# ---- JSON type fidelity -------------------------------------------------------------------


def test_save_many_keeps_integer_as_integer(repo: CommentRepository) -> None:
    repo.save_many([record(payload={"comments": {"184639": {"commentId": 184639}}})])
    value = stored(repo)["comments"]["184639"]["commentId"]
    assert value == 184639
    assert type(value) is int


def test_save_many_keeps_float_as_float(repo: CommentRepository) -> None:
    repo.save_many([record(payload={"score": 2.0, "ratio": 0.5})])
    result = stored(repo)
    assert type(result["score"]) is float
    assert result["ratio"] == 0.5


def test_save_many_keeps_bool_distinct_from_int(repo: CommentRepository) -> None:
    repo.save_many([record(payload={"flag": True, "one": 1, "off": False, "zero": 0})])
    result = stored(repo)
    assert result["flag"] is True
    assert result["off"] is False
    assert type(result["one"]) is int
    assert type(result["zero"]) is int


def test_save_many_keeps_array_order_and_key_order(repo: CommentRepository) -> None:
    repo.save_many([record(payload={"z": 1, "a": 2, "list": [3, 1, 2]})])
    result = stored(repo)
    assert list(result) == ["annotationId", "z", "a", "list"]
    assert result["list"] == [3, 1, 2]


# ---- size limit ------------------------------------------------------------------------------


def test_save_many_refuses_record_above_max_record_size(
    repo: CommentRepository, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "MAX_RECORD_SIZE": 200}
    with pytest.raises(RecordTooLargeError):
        repo.save_many([record(payload={"text": "x" * 500})])
    assert repo.count_records() == 0


def test_save_many_accepts_record_below_max_record_size(
    repo: CommentRepository, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "MAX_RECORD_SIZE": 2000}
    repo.save_many([record(payload={"text": "x" * 500})])
    assert stored(repo)["text"] == "x" * 500


def test_save_many_oversized_record_blocks_whole_request(
    repo: CommentRepository, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "MAX_RECORD_SIZE": 200}
    with pytest.raises(RecordTooLargeError):
        repo.save_many([record("A1", {"n": 1}), record("A2", {"text": "x" * 500})])
    assert repo.count_records() == 0


# ---- get query modes ---------------------------------------------------------------------


@pytest.fixture
def seeded(repo: CommentRepository) -> CommentRepository:
    repo.save_many(
        [
            record("A1", document_id="doc-1", folder_id="folder-x"),
            record("A2", document_id="doc-2", folder_id="folder-x"),
            record("A3", document_id="doc-3", folder_id="folder-y"),
            record("A4", document_id="doc-4", folder_id=None),
            record("A1", org=OTHER_ORG, document_id="doc-1", folder_id="folder-x"),
            record("B9", org=OTHER_ORG, document_id="doc-1", folder_id="folder-x"),
        ]
    )
    return repo


def test_get_many_by_ids(seeded: CommentRepository) -> None:
    assert set(seeded.get_many(ORG, ids=["A1", "A3"])) == {"A1", "A3"}


def test_get_many_by_ids_omits_unknown_ids(seeded: CommentRepository) -> None:
    assert set(seeded.get_many(ORG, ids=["A2", "nope"])) == {"A2"}


def test_get_many_by_document_ids(seeded: CommentRepository) -> None:
    assert set(seeded.get_many(ORG, document_ids=["doc-2", "doc-4"])) == {"A2", "A4"}


def test_get_many_by_folder(seeded: CommentRepository) -> None:
    assert set(seeded.get_many(ORG, folder_id="folder-x")) == {"A1", "A2"}


def test_get_many_unions_selectors(seeded: CommentRepository) -> None:
    result = seeded.get_many(
        ORG, ids=["A4"], document_ids=["doc-3"], folder_id="folder-x"
    )
    assert set(result) == {"A1", "A2", "A3", "A4"}


def test_get_many_unions_ids_and_documents(seeded: CommentRepository) -> None:
    assert set(seeded.get_many(ORG, ids=["A1"], document_ids=["doc-4"])) == {"A1", "A4"}


def test_get_many_without_selector_returns_whole_organization(
    seeded: CommentRepository,
) -> None:
    assert set(seeded.get_many(ORG)) == {"A1", "A2", "A3", "A4"}


def test_get_many_isolates_organizations(seeded: CommentRepository) -> None:
    assert set(seeded.get_many(OTHER_ORG, document_ids=["doc-1", "doc-2"])) == {
        "A1",
        "B9",
    }
    assert "B9" not in seeded.get_many(ORG, ids=["B9"])


def test_get_many_unknown_organization_returns_empty(seeded: CommentRepository) -> None:
    assert seeded.get_many("nobody") == {}


def test_get_many_returns_payload_of_requested_organization(
    repo: CommentRepository,
) -> None:
    repo.save_many(
        [
            record("A1", {"owner": "acme"}),
            record("A1", {"owner": "globex"}, org=OTHER_ORG),
        ]
    )
    assert repo.get_many(OTHER_ORG, ids=["A1"])["A1"]["owner"] == "globex"


# ---- delete ---------------------------------------------------------------------------------


def test_delete_removes_record(seeded: CommentRepository) -> None:
    assert seeded.delete(ORG, "A1") == 1
    assert "A1" not in seeded.get_many(ORG)


def test_delete_missing_record_returns_zero(seeded: CommentRepository) -> None:
    assert seeded.delete(ORG, "nope") == 0


def test_delete_leaves_other_organizations(seeded: CommentRepository) -> None:
    seeded.delete(ORG, "A1")
    assert "A1" in seeded.get_many(OTHER_ORG, ids=["A1"])


def test_locate_lists_organization_and_document_sorted(
    seeded: CommentRepository,
) -> None:
    assert seeded.locate("A1") == [(ORG, "doc-1"), (OTHER_ORG, "doc-1")]


def test_locate_unknown_id_is_empty(seeded: CommentRepository) -> None:
    assert seeded.locate("nope") == []


def test_stored_documents_of_existing_records_only(seeded: CommentRepository) -> None:
    assert seeded.stored_documents(ORG, ["A1", "A4", "nope"]) == {
        "A1": "doc-1",
        "A4": "doc-4",
    }
    assert seeded.stored_documents(ORG, []) == {}


def test_find_reports_each_records_document(seeded: CommentRepository) -> None:
    found = seeded.find(ORG, ids=["A1", "A4"])
    assert sorted((r.record_id, r.document_id) for r in found) == [
        ("A1", "doc-1"),
        ("A4", "doc-4"),
    ]


def test_delete_only_in_document_spares_a_moved_record(
    seeded: CommentRepository,
) -> None:
    assert seeded.delete(ORG, "A1", only_in_document=("doc-9",)) == 0
    assert seeded.delete(ORG, "A1", only_in_document=("doc-1",)) == 1


def test_delete_in_organizations_deletes_only_listed(seeded: CommentRepository) -> None:
    assert seeded.delete_in_organizations("A1", [OTHER_ORG, "nobody"]) == 1
    assert "A1" in seeded.get_many(ORG, ids=["A1"])
    assert seeded.get_many(OTHER_ORG, ids=["A1"]) == {}


def test_delete_in_organizations_with_no_orgs_deletes_nothing(
    seeded: CommentRepository,
) -> None:
    assert seeded.delete_in_organizations("A1", []) == 0
    assert [org for org, _doc in seeded.locate("A1")] == [ORG, OTHER_ORG]
