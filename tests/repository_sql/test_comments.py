"""SqlCommentRepository on PostgreSQL: the assertions of tests/repository/test_comments.py
run unchanged against the SQL twin (imported, not copied), plus what only the SQL
backend does (native keys, one statement per save, row-level concurrency)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from velt_django.exceptions import InvalidRecordError
from velt_django.models import CommentAnnotationRecord
from velt_django.repository.base import RecordWrite
from velt_django.repository.sql import SqlCommentRepository

from ..families import ORG, record_write
from ..postgres import ALIAS
from ..repository import test_comments as shared
from .conftest import DATABASES

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(databases=DATABASES)]

record = record_write

#: Shared tests that read MongoDB itself (a raw collection, escaped keys, a simulated
#: bulk_write race) or assert what JSONB does not keep (the order of object keys).
MONGO_ONLY = {
    "test_save_many_merges_into_concurrent_first_save_after_duplicate_key",
    "test_save_many_write_concern_error_is_database_unavailable",
    "test_save_many_stores_unsafe_keys_escaped",
    "test_save_many_keeps_array_order_and_key_order",
}

# The shared tests, collected here so that they use this module's ``repo`` and ``raw``.
for _name, _test in vars(shared).items():
    if _name.startswith("test_") and _name not in MONGO_ONLY:
        globals()[_name] = _test
seeded = shared.seeded


@pytest.fixture
def repo() -> SqlCommentRepository:
    return SqlCommentRepository(ALIAS)


@pytest.fixture
def raw() -> Any:
    """The stored row of one record, under the MongoDB envelope's field names."""

    def find(annotation_id: str = "A1", org: str = ORG) -> dict[str, Any]:
        row = CommentAnnotationRecord.objects.using(ALIAS).get(
            organization_id=org, annotation_id=annotation_id
        )
        return {
            "organizationId": row.organization_id,
            "annotationId": row.annotation_id,
            "documentId": row.document_id,
            "folderId": row.folder_id,
            "payload": row.payload,
            "rev": row.rev,
            "createdAt": row.created_at,
            "updatedAt": row.updated_at,
            "lastEvent": row.last_event,
        }

    return find


def stored(repo: SqlCommentRepository, annotation_id: str = "A1") -> dict[str, Any]:
    return repo.get_many(ORG, ids=[annotation_id])[annotation_id]


# ---- what JSONB stores differently ---------------------------------------------------


def test_unsafe_keys_are_stored_as_sent(repo: SqlCommentRepository, raw: Any) -> None:
    payload = {"team.name": "ops", "$ref": {"~id": 1}, "": [{"a.b": True}]}
    repo.save_many([record(payload=payload)])
    assert raw()["payload"] == {"annotationId": "A1", **payload}


def test_array_order_is_kept(repo: SqlCommentRepository) -> None:
    repo.save_many([record(payload={"z": 1, "a": 2, "list": [3, 1, 2]})])
    assert stored(repo) == {"annotationId": "A1", "z": 1, "a": 2, "list": [3, 1, 2]}
    assert stored(repo)["list"] == [3, 1, 2]


def test_nul_character_is_refused_and_nothing_is_written(
    repo: SqlCommentRepository,
) -> None:
    with pytest.raises(InvalidRecordError, match="NUL"):
        repo.save_many([record("A1", {"n": 1}), record("A2", {"text": "a\x00b"})])
    assert repo.count_records() == 0


def test_merged_key_stored_as_non_object_by_another_tool_is_replaced(
    repo: SqlCommentRepository,
) -> None:
    repo.save_many([record(payload={"keep": 1})])
    CommentAnnotationRecord.objects.using(ALIAS).update(
        payload={"annotationId": "A1", "comments": [1, 2], "keep": 1}
    )
    repo.save_many([record(payload={"comments": {"7": {"commentId": 7}}})])
    assert stored(repo) == {
        "annotationId": "A1",
        "comments": {"7": {"commentId": 7}},
        "keep": 1,
    }


def test_repeated_record_in_one_save_merges_in_order(
    repo: SqlCommentRepository,
) -> None:
    repo.save_many(
        [
            record(payload={"comments": {"1": {"commentId": 1}}, "v": 1}),
            record(payload={"comments": {"2": {"commentId": 2}}, "v": 2}),
        ]
    )
    assert stored(repo) == {
        "annotationId": "A1",
        "comments": {"1": {"commentId": 1}, "2": {"commentId": 2}},
        "v": 2,
    }


# ---- one round trip ---------------------------------------------------------------------


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_save_of_fifty_records_is_one_statement(repo: SqlCommentRepository) -> None:
    records = [
        record(f"A{i}", {"comments": {"1": {"commentId": 1}}}) for i in range(50)
    ]
    repo.save_many(records)
    with CaptureQueriesContext(connections[ALIAS]) as queries:
        repo.save_many(
            [record(f"A{i}", {"comments": {"2": {"commentId": 2}}}) for i in range(50)]
        )
    assert len(queries) == 1
    assert len(repo.get_many(ORG)["A49"]["comments"]) == 2


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_deletes_are_one_statement(repo: SqlCommentRepository) -> None:
    """No transaction around a delete (Django's ``QuerySet.delete()`` adds ``BEGIN``
    and ``COMMIT``): one ``DELETE`` is atomic by itself."""
    repo.save_many([record(f"A{i}", document_id="doc-1") for i in range(3)])
    with CaptureQueriesContext(connections[ALIAS]) as queries:
        assert repo.delete(ORG, "A0") == 1
        assert repo.delete(ORG, "A1", only_in_document=("doc-2",)) == 0
        assert repo.delete_in_organizations("A2", [ORG, "org-other"]) == 1
    assert [q["sql"].split()[0] for q in queries] == ["DELETE"] * 3
    assert sorted(repo.get_many(ORG)) == ["A1"]


def test_get_by_document_is_one_query(repo: SqlCommentRepository) -> None:
    repo.save_many([record(f"A{i}", document_id="doc-1") for i in range(100)])
    with CaptureQueriesContext(connections[ALIAS]) as queries:
        assert len(repo.get_many(ORG, document_ids=["doc-1"])) == 100
    assert len(queries) == 1


def test_large_save_is_all_or_nothing_across_statements(
    repo: SqlCommentRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("velt_django.repository.sql.base.ROWS_PER_STATEMENT", 2)
    records = [record(f"A{i}", {"n": i}) for i in range(4)]
    records.append(record("A9", {"text": "\x00"}))
    with pytest.raises(InvalidRecordError):
        repo.save_many(records)
    assert repo.count_records() == 0
    repo.save_many(records[:4])
    assert repo.count_records() == 4


# ---- org-less reads and GDPR --------------------------------------------------------


def test_find_in_any_organization_groups_by_organization(
    seeded: SqlCommentRepository,
) -> None:
    grouped = seeded.find_in_any_organization(["A1", "B9", "nope"])
    assert {
        org: sorted(r.record_id for r in found) for org, found in grouped.items()
    } == {
        ORG: ["A1"],
        shared.OTHER_ORG: ["A1", "B9"],
    }
    assert seeded.find_in_any_organization([]) == {}


def test_scan_and_read_record_and_guarded_rewrite(seeded: SqlCommentRepository) -> None:
    assert seeded.count_records() == 6
    assert seeded.count_records(ORG) == 4
    scanned = list(seeded.scan(shared.OTHER_ORG))
    assert [(r.organization_id, r.record_id) for r in scanned] == [
        (shared.OTHER_ORG, "A1"),
        (shared.OTHER_ORG, "B9"),
    ]
    current = seeded.read_record(ORG, "A1")
    assert current is not None and current.version == 1
    assert current.payload == {"annotationId": "A1"}
    seeded.save_many([record("A1", {"late": True})])
    assert not seeded.rewrite_if_unchanged(current, {"annotationId": "A1"}, "gdpr")
    fresh = seeded.read_record(ORG, "A1")
    assert fresh is not None
    assert seeded.rewrite_if_unchanged(fresh, {"annotationId": "A1"}, "gdpr.erase")
    assert stored(seeded) == {"annotationId": "A1"}
    after = seeded.read_record(ORG, "A1")
    assert after is not None and after.version == fresh.version + 1
    assert seeded.rewrite_if_unchanged(after, None, "gdpr.delete")
    assert seeded.read_record(ORG, "A1") is None


def test_unique_key_is_organization_and_annotation(repo: SqlCommentRepository) -> None:
    with connections[ALIAS].cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname",
            ["velt_comment_annotations"],
        )
        definitions = [row[0] for row in cursor.fetchall()]
    assert any(
        "UNIQUE" in d and "(organization_id, annotation_id)" in d for d in definitions
    )
    assert any("(organization_id, document_id)" in d for d in definitions)
    assert any("(organization_id, folder_id)" in d for d in definitions)


# ---- concurrency ------------------------------------------------------------------------


def _concurrently(count: int, work: Any) -> None:
    """Run ``work(i)`` in ``count`` threads released at once; re-raise any failure."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_concurrent_replies_to_one_thread_are_all_kept() -> None:
    repo = SqlCommentRepository(ALIAS)
    repo.save_many([record(payload={"comments": {"0": {"commentId": 0}}})])

    def reply(i: int) -> None:
        message = {str(i + 1): {"commentId": i + 1, "commentText": f"reply {i}"}}
        repo.save_many([record(payload={"comments": message})], event="comment.add")

    _concurrently(8, reply)
    comments = stored(repo)["comments"]
    assert sorted(comments, key=int) == [str(i) for i in range(9)]
    row = CommentAnnotationRecord.objects.using(ALIAS).get()
    assert row.rev == 9


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_concurrent_first_saves_of_one_thread_are_all_kept() -> None:
    repo = SqlCommentRepository(ALIAS)

    def first(i: int) -> None:
        repo.save_many([record(payload={"comments": {str(i): {"commentId": i}}})])

    _concurrently(8, first)
    assert sorted(stored(repo)["comments"], key=int) == [str(i) for i in range(8)]
    assert repo.count_records() == 1


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_concurrent_delete_and_replies_keep_every_reply() -> None:
    repo = SqlCommentRepository(ALIAS)
    repo.save_many([record(payload={"comments": {"0": {"commentId": 0}}})])

    def work(i: int) -> None:
        if i == 0:
            repo.save_many(
                [record(payload={})],
                event="comment.delete",
                post_merge=SqlCommentRepository.message_removal("0"),
            )
        else:
            repo.save_many([record(payload={"comments": {str(i): {"commentId": i}}})])

    _concurrently(6, work)
    assert sorted(stored(repo)["comments"], key=int) == ["1", "2", "3", "4", "5"]


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_concurrent_multi_record_saves_in_opposite_orders_do_not_deadlock() -> None:
    repo = SqlCommentRepository(ALIAS)
    ids = [f"A{i}" for i in range(20)]

    def save(i: int) -> None:
        order = ids if i % 2 else list(reversed(ids))
        repo.save_many(
            [
                RecordWrite(ORG, rid, {"annotationId": rid, "comments": {str(i): {}}})
                for rid in order
            ]
        )

    _concurrently(6, save)
    assert all(len(p["comments"]) == 6 for p in repo.get_many(ORG).values())


# ---- the compiled find ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ids", "documents", "folder"),
    [
        (["A1", "A1", "A3"], [], None),
        ([], ["doc-2", "doc-1", "doc-2"], None),
        (["A5"], ["doc-2"], "f-1"),
        ([], [], "f-1"),
        ([], [], None),
    ],
)
def test_find_answers_what_the_orm_queryset_answers(
    repo: SqlCommentRepository, ids: list[str], documents: list[str], folder: str | None
) -> None:
    """The statement compiled once per shape gives the rows of the queryset it was
    compiled from, for every value of that shape (the second organization and the
    second set of ids reuse the cached statement)."""
    from django.db.models import Q

    for org in (ORG, "org-other"):
        repo.save_many(
            [
                record(
                    f"A{i}",
                    {"n": i},
                    org=org,
                    document_id=f"doc-{i % 3}",
                    folder_id=f"f-{i % 2}",
                )
                for i in range(8)
            ]
        )
    for org, shift in ((ORG, 0), ("org-other", 1)):
        wanted = [f"A{int(i[1:]) + shift}" for i in ids]
        selectors = Q()
        if wanted:
            selectors |= Q(annotation_id__in=wanted)
        if documents:
            selectors |= Q(document_id__in=documents)
        if folder is not None:
            selectors |= Q(folder_id=folder)
        expected = sorted(
            CommentAnnotationRecord.objects.using(ALIAS)
            .filter(Q(organization_id=org) & selectors)
            .values_list("annotation_id", "document_id", "payload")
        )
        found = repo.find(org, wanted, documents, folder)
        assert sorted(tuple(r) for r in found) == expected
        assert expected  # every shape here matches something


def test_find_and_delete_with_nul_texts_touch_nothing_for_them(
    repo: SqlCommentRepository,
) -> None:
    """As on MongoDB: a NUL id, document, folder or organization is in no record, for
    a find and for a delete."""
    repo.save_many([record("A1", document_id="doc-1", folder_id="f-1")])
    assert repo.find(ORG, ["A\x00"]) == []
    assert repo.find(ORG, [], ["doc\x00"]) == []
    assert repo.find(ORG, [], [], "f\x00") == []
    assert repo.find("o\x00", ["A1"]) == []
    assert [r.record_id for r in repo.find(ORG, ["A1", "A\x00"])] == ["A1"]
    assert repo.delete(ORG, "A\x00") == 0
    assert repo.delete("o\x00", "A1") == 0
    assert repo.delete(ORG, "A1", only_in_document=("doc\x00",)) == 0
    assert [r.record_id for r in repo.find(ORG, ["A1"])] == ["A1"]
