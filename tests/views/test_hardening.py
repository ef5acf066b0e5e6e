"""Regression tests for the defects of the hardening issue, each over HTTP.

1. concurrent first saves on the read-merge-write path (MongoDB and PostgreSQL);
2. numbers that overflow a double;
3. Django's PermissionDenied / Http404 raised by an access policy;
4. permanent database errors are 500, unavailability stays 503;
5. ``event`` on deletes is informational, and capped everywhere;
6. a write concern that does not acknowledge writes;
7. authorization sees stored documents, and reads are post-filtered;
plus: the body is parsed only after authentication.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client
from pymongo import ASCENDING, IndexModel
from pymongo.errors import OperationFailure

from tests import policies
from tests.auth import principal
from tests.contracts import assert_failure, assert_success
from velt_django.repository import connection

from ..families import POSTGRES_ALIAS, POSTGRESQL, on_backends, sql_model
from .backends import stored_documents

ORG = "acme-corp"
COMMENTS = "velt_comment_annotations"


def thread(
    annotation_id: str,
    document_id: str = "open-doc",
    comments: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "annotationId": annotation_id,
        "metadata": {"organizationId": ORG, "documentId": document_id},
        **fields,
    }
    if comments is not None:
        payload["comments"] = comments
    return payload


def save_body(*threads: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "commentAnnotation": {t["annotationId"]: t for t in threads},
        "event": "comment.add",
        **extra,
    }


def stored(_db: Any, annotation_id: str) -> dict[str, Any] | None:
    """The stored envelope of ``annotation_id`` in ``ORG`` on the configured backend
    (``backends.stored_documents``), or ``None``."""
    docs = stored_documents(COMMENTS, organizationId=ORG, annotationId=annotation_id)
    return docs[0] if docs else None


def get_data(post_json: Any, body: dict[str, Any]) -> dict[str, Any]:
    response = post_json("comments/get", {"organizationId": ORG, **body})
    data: dict[str, Any] = assert_success(response, read=True)["data"]
    return data


# ---- 1. concurrent first saves on the read-merge-write path --------------------------


def _together(calls: list[Callable[[Client], Any]]) -> list[Any]:
    """Run every call at once, each with its own test ``Client``; returns the responses."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[Client], Any]) -> Any:
        client = Client()
        barrier.wait(timeout=30)
        try:
            return call(client)
        finally:
            connections.close_all()  # the thread's own (PostgreSQL) connection

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _poster(body: dict[str, Any]) -> Callable[[Client], Any]:
    def call(client: Client) -> Any:
        return client.post(
            "/velt/comments/save",
            json.dumps(body),
            content_type="application/json",
            **principal("u_test", ORG),
        )

    return call


@on_backends(transaction=True)  # the saves come from threads
@pytest.mark.parametrize(
    "variant", ["empty_comments", "empty_metadata", "comment_delete"]
)
def test_concurrent_first_saves_on_read_merge_write_path_all_succeed(
    backend: str, variant: str
) -> None:
    bodies = []
    for n in range(8):
        if variant == "empty_comments":
            field: dict[str, Any] = {f"field{n}": n}
            record = thread("hot", comments={}, **field)
            body = save_body(record)
        elif variant == "empty_metadata":
            record = {"annotationId": "hot", "metadata": {}, f"field{n}": n}
            body = save_body(record, metadata={"organizationId": ORG})
        else:
            record = thread("hot", comments={str(n): {"commentId": n}})
            body = save_body(record, event="comment.delete", commentId="999")
        bodies.append(body)
    responses = _together([_poster(body) for body in bodies])
    assert [r.status_code for r in responses] == [200] * 8, [
        r.content for r in responses
    ]
    assert len(stored_documents(COMMENTS, annotationId="hot")) == 1
    payload = stored(backend, "hot")["payload"]  # type: ignore[index]
    # Every writer's own key survived: none was lost to a retry.
    assert {f"field{n}" for n in range(8)} <= set(
        payload
    ) or variant == "comment_delete"
    if variant == "comment_delete":
        assert set(payload["comments"]) == {str(n) for n in range(8)}


def test_lost_first_insert_is_merged_after_backoff(
    mongo_db: Any, post_json: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race made deterministic: the first read sees no record, then another writer
    inserts it before our insert; the save must merge into that record."""
    sleeps: list[float] = []
    monkeypatch.setattr("velt_django.repository.annotations.time.sleep", sleeps.append)
    collection = mongo_db[COMMENTS]
    real_find_one = type(collection).find_one
    state = {"raced": False}

    def racing_find_one(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.name == COMMENTS and not state["raced"]:
            state["raced"] = True
            self.insert_one(
                {
                    "organizationId": ORG,
                    "annotationId": "t1",
                    "payload": {"annotationId": "t1", "comments": {"1": {"x": 1}}},
                    "rev": 1,
                }
            )
            return None
        return real_find_one(self, *args, **kwargs)

    monkeypatch.setattr(type(collection), "find_one", racing_find_one)
    body = save_body(thread("t1", comments={"2": {"y": 2}}))
    body["commentAnnotation"]["t1"]["comments"] = {"2": {"y": 2}}
    response = post_json(
        "comments/save", {**body, "event": "comment.delete", "commentId": "9"}
    )
    assert_success(response, read=False)
    assert set(stored(mongo_db, "t1")["payload"]["comments"]) == {"1", "2"}  # type: ignore[index]
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.1


# ---- 2. numbers that overflow a double --------------------------------------------------


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1.5e309"])
def test_non_finite_number_is_400_and_stores_nothing(
    mongo_db: Any, post_json: Any, number: str
) -> None:
    raw = json.dumps(save_body(thread("t1", custom="PLACEHOLDER")))
    raw = raw.replace('"PLACEHOLDER"', number)
    body = assert_failure(post_json("comments/save", raw), 400, "INVALID_INPUT")
    assert number not in body["message"]
    assert mongo_db[COMMENTS].count_documents({}) == 0


def test_large_finite_number_still_round_trips(mongo_db: Any, post_json: Any) -> None:
    raw = json.dumps(save_body(thread("t1", custom="PLACEHOLDER")))
    assert_success(
        post_json("comments/save", raw.replace('"PLACEHOLDER"', "1.5e308")), read=False
    )
    assert get_data(post_json, {})["t1"]["custom"] == 1.5e308


# ---- 3. Django exceptions raised by an access policy ------------------------------------


@pytest.mark.parametrize(
    ("policy", "status", "code"),
    [
        ("tests.policies.raises_permission_denied", 403, "FORBIDDEN"),
        ("tests.policies.raises_http404", 404, "NOT_FOUND"),
    ],
)
@pytest.mark.parametrize("path", ["comments/get", "comments/save", "comments/delete"])
def test_policy_raising_django_exception_maps_to_envelope(
    mongo_db: Any,
    post_json: Any,
    settings: Any,
    policy: str,
    status: int,
    code: str,
    path: str,
) -> None:
    assert_success(post_json("comments/save", save_body(thread("t1"))), read=False)
    settings.VELT = {**settings.VELT, "ORGANIZATION_ACCESS": policy}
    bodies = {
        "comments/get": {"organizationId": ORG},
        "comments/save": save_body(thread("t1", custom=1)),
        "comments/delete": {
            "commentAnnotationId": "t1",
            "metadata": {"organizationId": ORG},
        },
    }
    body = assert_failure(post_json(path, bodies[path]), status, code)
    assert "policy says no" not in body["message"]
    assert stored(mongo_db, "t1")["payload"].get("custom") is None  # type: ignore[index]


# ---- 4. permanent database errors -------------------------------------------------------


def test_permanent_database_error_is_500_not_503(
    mongo_db: Any, post_json: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise OperationFailure("Document failed validation", code=121)

    monkeypatch.setattr(type(mongo_db[COMMENTS]), "find", refuse)
    response = post_json("comments/get", {"organizationId": ORG})
    body = assert_failure(response, 500, "INTERNAL_ERROR")
    assert "validation" not in body["message"]


@pytest.mark.parametrize(
    ("code", "labels"), [(91, None), (10107, None), (2, ["RetryableWriteError"])]
)
def test_transient_server_error_stays_503(
    mongo_db: Any,
    post_json: Any,
    monkeypatch: pytest.MonkeyPatch,
    code: int,
    labels: Any,
) -> None:
    def refuse(self: Any, *args: Any, **kwargs: Any) -> Any:
        details = {"errorLabels": labels} if labels else None
        raise OperationFailure("not now", code=code, details=details)

    monkeypatch.setattr(type(mongo_db[COMMENTS]), "find", refuse)
    response = post_json("comments/get", {"organizationId": ORG})
    assert_failure(response, 503, "DATABASE_ERROR")


@pytest.mark.mongo
def test_foreign_unique_index_violation_is_500_quickly(
    wire_db: Any, post_json: Any
) -> None:
    """A host-added unique index refuses a save: permanent, so 500 without 20 retries."""
    wire_db[COMMENTS].create_indexes(
        [IndexModel([("documentId", ASCENDING)], unique=True, name="host_unique_doc")]
    )
    assert_success(post_json("comments/save", save_body(thread("a"))), read=False)
    response = post_json("comments/save", save_body(thread("b")))
    assert_failure(response, 500, "INTERNAL_ERROR")
    assert stored(wire_db, "b") is None
    # The first record is intact, and an update of it is still accepted.
    assert_success(
        post_json("comments/save", save_body(thread("a", custom=1))), read=False
    )
    assert stored(wire_db, "a")["payload"]["custom"] == 1  # type: ignore[index]


# ---- 5. event -------------------------------------------------------------------------


@pytest.mark.parametrize("event", [5, {"$ne": None}, ["x"], True])
def test_delete_with_non_string_event_still_deletes(
    mongo_db: Any, post_json: Any, event: Any
) -> None:
    assert_success(post_json("comments/save", save_body(thread("t1"))), read=False)
    body = {
        "commentAnnotationId": "t1",
        "metadata": {"organizationId": ORG},
        "event": event,
    }
    assert_success(post_json("comments/delete", body), read=False)
    assert stored(mongo_db, "t1") is None


def test_save_event_is_capped_before_it_is_stored_or_logged(
    mongo_db: Any, post_json: Any, caplog: pytest.LogCaptureFixture
) -> None:
    event = "comment.add\n<script>" + "x" * 1000
    caplog.set_level("DEBUG", logger="velt_django")
    response = post_json("comments/save", save_body(thread("t1"), event=event))
    assert_success(response, read=False)
    last_event = stored(mongo_db, "t1")["lastEvent"]  # type: ignore[index]
    assert last_event == ("comment.add__script_" + "x" * 1000)[:100]
    assert "<script>" not in caplog.text and "\n<" not in caplog.text


# ---- 6. write concern -----------------------------------------------------------------


@pytest.mark.parametrize("w", [0, False, -1, ""])
def test_unacknowledged_write_concern_fails_check_and_saves_nothing(
    mongo_db: Any, post_json: Any, settings: Any, w: Any
) -> None:
    from django.core.management.base import SystemCheckError

    settings.VELT = {**settings.VELT, "WRITE_CONCERN": w}
    with pytest.raises(SystemCheckError, match="velt.E007"):
        call_command("check")


@pytest.mark.mongo
def test_write_concern_zero_refuses_writes_over_http(
    wire_db: Any, post_json: Any, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "WRITE_CONCERN": 0}
    response = post_json("comments/save", save_body(thread("t1")))
    assert_failure(response, 500, "INTERNAL_ERROR")
    delete = {"commentAnnotationId": "t1", "metadata": {"organizationId": ORG}}
    assert_failure(post_json("comments/delete", delete), 500, "INTERNAL_ERROR")
    settings.VELT = {**settings.VELT, "WRITE_CONCERN": "majority"}
    assert connection.get_database()[COMMENTS].count_documents({}) == 0


# ---- 7. authorization by stored document ---------------------------------------------


@pytest.fixture
def scoped(backend: str, post_json: Any, settings: Any) -> Iterator[Any]:
    """Two threads, one in an open and one in a secret document, and one stored under no
    document, then the document-scoped policy of tests.policies switched on; on
    mongomock, MongoDB and PostgreSQL (``pytest_generate_tests`` below)."""
    db = backend
    body = save_body(thread("open-1", "open-doc"), thread("secret-1", "secret-doc"))
    body["commentAnnotation"]["loose-1"] = {"annotationId": "loose-1"}
    body["metadata"] = {"organizationId": ORG}
    assert_success(post_json("comments/save", body), read=False)
    settings.VELT = {
        **settings.VELT,
        "ORGANIZATION_ACCESS": "tests.policies.open_documents_only",
    }
    policies.CALLS.clear()
    yield db
    policies.CALLS.clear()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # The document-scoped policy's tests run on mongomock (unit tier) too.
    if "scoped" in metafunc.fixturenames:
        metafunc.definition.add_marker(on_backends(mongomock=True))


def test_scoped_organization_wide_get_drops_refused_documents(
    scoped: Any, post_json: Any
) -> None:
    assert set(get_data(post_json, {})) == {"open-1", "loose-1"}
    assert ("get", ORG, ["secret-doc"]) in policies.CALLS


def test_scoped_get_by_ids_drops_records_of_refused_documents(
    scoped: Any, post_json: Any
) -> None:
    data = get_data(post_json, {"commentAnnotationIds": ["open-1", "secret-1"]})
    assert set(data) == {"open-1"}


def test_scoped_get_naming_refused_document_is_403(scoped: Any, post_json: Any) -> None:
    response = post_json(
        "comments/get", {"organizationId": ORG, "documentIds": ["secret-doc"]}
    )
    assert_failure(response, 403, "FORBIDDEN")


def test_scoped_delete_by_id_checks_stored_document(
    scoped: Any, post_json: Any
) -> None:
    # The metadata names an open document; the record is stored under a secret one.
    body = {
        "commentAnnotationId": "secret-1",
        "metadata": {"organizationId": ORG, "documentId": "open-doc"},
    }
    assert_failure(post_json("comments/delete", body), 403, "FORBIDDEN")
    assert stored(scoped, "secret-1") is not None
    assert ("delete", ORG, ["open-doc", "secret-doc"]) in policies.CALLS


def test_scoped_orgless_delete_skips_refused_document(
    scoped: Any, post_json: Any
) -> None:
    assert_success(
        post_json("comments/delete", {"commentAnnotationId": "secret-1"}), read=False
    )
    assert stored(scoped, "secret-1") is not None
    assert_success(
        post_json("comments/delete", {"commentAnnotationId": "open-1"}), read=False
    )
    assert stored(scoped, "open-1") is None


@pytest.mark.parametrize("record", ["open-1", "loose-1"])
def test_scoped_delete_in_allowed_document_deletes(
    scoped: Any, post_json: Any, record: str
) -> None:
    body = {"commentAnnotationId": record, "metadata": {"organizationId": ORG}}
    assert_success(post_json("comments/delete", body), read=False)
    assert stored(scoped, record) is None
    assert stored(scoped, "secret-1") is not None


def test_scoped_save_moving_record_out_of_refused_document_is_403(
    scoped: Any, post_json: Any
) -> None:
    body = save_body(thread("secret-1", "open-doc", custom="moved"))
    assert_failure(post_json("comments/save", body), 403, "FORBIDDEN")
    doc = stored(scoped, "secret-1")
    assert doc["documentId"] == "secret-doc"  # type: ignore[index]
    assert "custom" not in doc["payload"]  # type: ignore[index]
    assert ("save", ORG, ["open-doc", "secret-doc"]) in policies.CALLS


def test_scoped_save_without_document_keeps_stored_document_checked(
    scoped: Any, post_json: Any
) -> None:
    body = {
        "commentAnnotation": {"secret-1": {"custom": 1}},
        "metadata": {"organizationId": ORG},
    }
    assert_failure(post_json("comments/save", body), 403, "FORBIDDEN")


def test_scoped_save_in_allowed_document_succeeds(scoped: Any, post_json: Any) -> None:
    body = save_body(thread("open-1", "open-doc", custom=1), thread("open-2"))
    assert_success(post_json("comments/save", body), read=False)
    assert stored(scoped, "open-2") is not None


def test_organization_level_policies_skip_stored_document_reads(
    mongo_db: Any, post_json: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped policies are organization-level: a save stays one bulk write, with
    no read before it."""
    finds: list[Any] = []
    collection_type = type(mongo_db[COMMENTS])
    real_find = collection_type.find

    def counting_find(self: Any, *args: Any, **kwargs: Any) -> Any:
        finds.append(args)
        return real_find(self, *args, **kwargs)

    monkeypatch.setattr(collection_type, "find", counting_find)
    assert_success(post_json("comments/save", save_body(thread("t1"))), read=False)
    assert finds == []


def test_read_filter_drops_records_before_the_answer(
    mongo_db: Any, post_json: Any, settings: Any
) -> None:
    body = save_body(thread("t1"), thread("t2", visibility="private"))
    assert_success(post_json("comments/save", body), read=False)
    settings.VELT = {
        **settings.VELT,
        "READ_FILTER": "tests.policies.hide_private_threads",
    }
    assert set(get_data(post_json, {})) == {"t1"}


# ---- body parsed after authentication ----------------------------------------------


@pytest.mark.parametrize("raw", ["{not json", "[1]", "1e400"])
def test_unauthenticated_bad_json_is_401_not_400(
    mongo_db: Any, post_json: Any, raw: str
) -> None:
    assert_failure(post_json("comments/save", raw, as_=None), 401, "UNAUTHENTICATED")
    assert_failure(post_json("comments/save", raw), 400, "INVALID_INPUT")


def test_oversized_body_is_refused_before_authentication(
    mongo_db: Any, post_json: Any, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "MAX_BODY_SIZE": 64}
    response = post_json("comments/save", "x" * 100, as_=None)
    assert_failure(response, 413, "PAYLOAD_TOO_LARGE")


# ---- throttling (the 429 of the error table) -------------------------------------------


def test_host_throttle_answers_429_envelope(
    mongo_db: Any, post_json: Any, settings: Any
) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.REST_FRAMEWORK = {
        "DEFAULT_THROTTLE_CLASSES": ["tests.policies.TwoPerMinute"]
    }
    body = {"organizationId": ORG}
    for _ in range(2):
        assert_success(post_json("comments/get", body), read=True)
    assert_failure(post_json("comments/get", body), 429, "RATE_LIMITED")
    # Another principal has its own budget.
    other = post_json("comments/get", body, as_=("u_other", ORG))
    assert_success(other, read=True)
    cache.clear()


def test_scoped_orgless_delete_keeps_a_record_moved_after_the_check(
    scoped: Any, post_json: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The policy allows the open document the record was found under; a save that
    lands between that check and the delete moves it to a secret document. The delete
    is for the document that was checked, so the record stays."""
    from velt_django.repository.annotations import AnnotationRepository
    from velt_django.repository.sql.annotations import SqlAnnotationRepository

    repository: Any = AnnotationRepository
    if scoped == POSTGRESQL:
        repository = SqlAnnotationRepository
    locate = repository.locate

    def locate_then_move(self: Any, record_id: str) -> Any:
        found = locate(self, record_id)
        if scoped == POSTGRESQL:
            model = sql_model(COMMENTS)
            assert model is not None
            rows = model._default_manager.using(POSTGRES_ALIAS)
            rows.filter(annotation_id=record_id).update(document_id="secret-doc")
        else:
            connection.get_database()[COMMENTS].update_one(
                {"annotationId": record_id}, {"$set": {"documentId": "secret-doc"}}
            )
        return found

    monkeypatch.setattr(repository, "locate", locate_then_move)
    assert_success(
        post_json("comments/delete", {"commentAnnotationId": "open-1"}), read=False
    )
    assert stored(scoped, "open-1") is not None
    assert ("delete", ORG, ["open-doc"]) in policies.CALLS
