"""Appendix A conformance tests for ``comments/get|save|delete`` (wire tier)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.test import Client

from ..auth import principal
from ..contracts import (
    ReadEndpointContract,
    WriteEndpointContract,
    assert_failure,
    assert_json_equal,
    assert_success,
)

pytestmark = pytest.mark.mongo

ORG = "acme-corp"
OTHER = "globex"
BOTH = ("u_test", ORG, OTHER)
COLLECTION = "velt_comment_annotations"

# §4.2 opt-in events plus `comment_annotation.delete`: all are plain upserts on save.
UPSERT_ONLY_EVENTS = [
    "comment_annotation.status_change",
    "comment_annotation.priority_change",
    "comment_annotation.assign",
    "comment_annotation.access_mode_change",
    "comment_annotation.custom_list_change",
    "comment_annotation.approve",
    "comment.accept",
    "comment.reject",
    "comment_annotation.suggestion_accept",
    "comment_annotation.suggestion_reject",
    "comment.reaction_add",
    "comment.reaction_delete",
    "comment_annotation.subscribe",
    "comment_annotation.unsubscribe",
    "comment_annotation.delete",
]

UNSAFE_KEYS = ["a.b", "$x", "~tilde", ""]


def thread(
    annotation_id: str,
    *,
    org: str = ORG,
    doc: str = "doc-1",
    folder: str | None = None,
    comments: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``PartialCommentAnnotation`` as Velt sends it."""
    metadata: dict[str, Any] = {
        "apiKey": "pk_test",
        "documentId": doc,
        "organizationId": org,
    }
    if folder is not None:
        metadata["folderId"] = folder
    if comments is None:
        comments = {
            "100": {"commentId": 100, "commentText": "first", "from": {"userId": "u_1"}}
        }
    return {
        "annotationId": annotation_id,
        "metadata": metadata,
        "comments": comments,
        **extra,
    }


def save(
    post_json: Any,
    *payloads: dict[str, Any],
    as_: tuple[str, ...] = BOTH,
    **request: Any,
) -> None:
    records = {p["annotationId"]: p for p in payloads}
    assert len(records) == len(payloads), (
        "one request cannot hold one id twice; save separately"
    )
    body = {"commentAnnotation": records, **request}
    assert_success(post_json("comments/save", body, as_=as_), read=False)


def get(
    post_json: Any, org: str = ORG, as_: tuple[str, ...] = BOTH, **selectors: Any
) -> dict[str, Any]:
    response = post_json("comments/get", {"organizationId": org, **selectors}, as_=as_)
    data: dict[str, Any] = assert_success(response, read=True)["data"]
    return data


def delete(post_json: Any, body: dict[str, Any], as_: tuple[str, ...] = BOTH) -> None:
    assert_success(post_json("comments/delete", body, as_=as_), read=False)


def stored(db: Any, annotation_id: str, org: str = ORG) -> dict[str, Any] | None:
    doc: dict[str, Any] | None = db[COLLECTION].find_one(
        {"organizationId": org, "annotationId": annotation_id}
    )
    return doc


EXAMPLE_GET_REQUEST = r"""
{
  "organizationId": "acme-corp",
  "documentIds": ["spec-2024-q3"],
  "commentAnnotationIds": ["b7HkP0sWq4ZyNn2eR5tU"]
}
"""

EXAMPLE_GET_RESPONSE = r"""
{
  "data": {
    "Qm3r8XvT2pLkA9dWzF1c": {
      "annotationId": "Qm3r8XvT2pLkA9dWzF1c",
      "metadata": {
        "apiKey": "pk_live_3bT9xQ",
        "documentId": "spec-2024-q3",
        "organizationId": "acme-corp",
        "folderId": "design-reviews"
      },
      "from": { "userId": "u_8841" },
      "targetTextRange": { "text": "the onboarding flow takes four screens" },
      "comments": {
        "517204": {
          "commentId": 517204,
          "commentText": "Can we cut this to two screens?",
          "commentHtml": "<p>Can we cut this to two screens?</p>",
          "from": { "userId": "u_8841" }
        },
        "660913": {
          "commentId": 660913,
          "commentText": "@Priya agreed — see the mock",
          "commentHtml": "<p><span class=\"mention\">@Priya</span> agreed — see the mock</p>",
          "from": { "userId": "u_3307" },
          "to": [{ "userId": "u_1190" }],
          "taggedUserContacts": [{ "userId": "u_1190", "contact": { "userId": "u_1190" }, "text": "@Priya" }],
          "attachments": {
            "284117": { "attachmentId": 284117, "name": "mock-v2.png", "url": "https://app.example.com/velt/f/4kq7Vn2bXs9TzR1mWc8yLd/mock-v2.png" }
          }
        }
      },
      "internalTicketId": "OPS-2291"
    }
  },
  "success": true,
  "statusCode": 200,
  "timestamp": 1767225600123
}
"""

EXAMPLE_SAVE_REPLY = r"""
{
  "commentAnnotation": {
    "Qm3r8XvT2pLkA9dWzF1c": {
      "annotationId": "Qm3r8XvT2pLkA9dWzF1c",
      "metadata": {
        "apiKey": "pk_live_3bT9xQ",
        "documentId": "spec-2024-q3",
        "organizationId": "acme-corp",
        "folderId": "design-reviews",
        "documentMetadata": { "documentName": "Q3 onboarding spec" },
        "sdkVersion": "5.0.2"
      },
      "from": { "userId": "u_8841" },
      "targetTextRange": { "text": "the onboarding flow takes four screens" },
      "comments": {
        "517204": {
          "commentId": 517204,
          "commentText": "Can we cut this to two screens?",
          "commentHtml": "<p>Can we cut this to two screens?</p>",
          "from": { "userId": "u_8841" }
        },
        "660913": {
          "commentId": 660913,
          "commentText": "@Priya agreed — see the mock",
          "commentHtml": "<p><span class=\"mention\">@Priya</span> agreed — see the mock</p>",
          "from": { "userId": "u_3307" },
          "to": [{ "userId": "u_1190" }],
          "taggedUserContacts": [{ "userId": "u_1190", "contact": { "userId": "u_1190" }, "text": "@Priya" }],
          "attachments": {
            "284117": { "attachmentId": 284117, "name": "mock-v2.png", "url": "https://app.example.com/velt/f/4kq7Vn2bXs9TzR1mWc8yLd/mock-v2.png" }
          }
        }
      },
      "internalTicketId": "OPS-2291"
    }
  },
  "event": "comment.add",
  "commentId": "660913",
  "targetComment": {
    "commentId": 660913,
    "commentText": "@Priya agreed — see the mock",
    "commentHtml": "<p><span class=\"mention\">@Priya</span> agreed — see the mock</p>",
    "from": { "userId": "u_3307" },
    "to": [{ "userId": "u_1190" }]
  },
  "metadata": {
    "apiKey": "pk_live_3bT9xQ",
    "documentId": "spec-2024-q3",
    "organizationId": "acme-corp",
    "folderId": "design-reviews",
    "sdkVersion": "5.0.2"
  }
}
"""

EXAMPLE_SAVE_MESSAGE_DELETE = r"""
{
  "commentAnnotation": {
    "Qm3r8XvT2pLkA9dWzF1c": {
      "annotationId": "Qm3r8XvT2pLkA9dWzF1c",
      "metadata": { "apiKey": "pk_live_3bT9xQ", "documentId": "spec-2024-q3", "organizationId": "acme-corp" },
      "from": { "userId": "u_8841" },
      "comments": {
        "517204": { "commentId": 517204, "commentText": "Can we cut this to two screens?", "from": { "userId": "u_8841" } }
      }
    }
  },
  "event": "comment.delete",
  "commentId": "660913",
  "metadata": { "apiKey": "pk_live_3bT9xQ", "documentId": "spec-2024-q3", "organizationId": "acme-corp" }
}
"""

EXAMPLE_SAVE_ASSIGN = r"""
{
  "commentAnnotation": {
    "Qm3r8XvT2pLkA9dWzF1c": {
      "annotationId": "Qm3r8XvT2pLkA9dWzF1c",
      "metadata": { "apiKey": "pk_live_3bT9xQ", "documentId": "spec-2024-q3", "organizationId": "acme-corp" },
      "from": { "userId": "u_8841" },
      "assignedTo": { "userId": "u_1190" },
      "comments": {
        "517204": { "commentId": 517204, "commentText": "Can we cut this to two screens?", "from": { "userId": "u_8841" } }
      }
    }
  },
  "event": "comment_annotation.assign",
  "metadata": { "apiKey": "pk_live_3bT9xQ", "documentId": "spec-2024-q3", "organizationId": "acme-corp" }
}
"""

EXAMPLE_DELETE = r"""
{
  "commentAnnotationId": "Qm3r8XvT2pLkA9dWzF1c",
  "metadata": { "apiKey": "pk_live_3bT9xQ", "documentId": "spec-2024-q3", "organizationId": "acme-corp", "folderId": "design-reviews" },
  "event": "comment_annotation.delete"
}
"""


# ---- transport contracts -------------------------------------------------------------


class TestCommentsGetContract(ReadEndpointContract):
    path = "comments/get"
    collection = COLLECTION

    def valid_body(self) -> dict[str, Any]:
        return {"organizationId": ORG, "commentAnnotationIds": ["t-1"]}


class TestCommentsSaveContract(WriteEndpointContract):
    path = "comments/save"
    collection = COLLECTION

    def valid_body(self) -> dict[str, Any]:
        return {
            "commentAnnotation": {"t-1": thread("t-1")},
            "event": "comment_annotation.add",
        }


class TestCommentsDeleteContract(WriteEndpointContract):
    path = "comments/delete"
    collection = COLLECTION

    def valid_body(self) -> dict[str, Any]:
        return {
            "commentAnnotationId": "t-1",
            "metadata": {
                "apiKey": "pk_test",
                "documentId": "doc-1",
                "organizationId": ORG,
            },
        }

    def seed(self, post_json: Any) -> None:
        save(post_json, thread("t-1"))


# ---- comments/get --------------------------------------------------------------------


class TestCommentsGet:
    @pytest.fixture(autouse=True)
    def _wire(self, wire_db: Any) -> None:
        self.db = wire_db

    @pytest.fixture
    def four_threads(self, post_json: Any) -> None:
        save(post_json, thread("t-1", doc="doc-a", folder="f-1"))
        save(post_json, thread("t-2", doc="doc-b", folder="f-2"))
        save(post_json, thread("t-3", doc="doc-c", folder="f-3"))
        save(post_json, thread("t-4", doc="doc-d", folder="f-4"))
        save(post_json, thread("t-x", org=OTHER, doc="doc-a", folder="f-1"))

    def test_get_unknown_ids_return_empty_data(self, post_json: Any) -> None:
        save(post_json, thread("t-1"))
        assert get(post_json, commentAnnotationIds=["nope-1", "nope-2"]) == {}

    def test_get_known_ids_keyed_by_annotation_id(
        self, post_json: Any, four_threads: None
    ) -> None:
        data = get(post_json, commentAnnotationIds=["t-2", "t-4", "unknown"])
        assert sorted(data) == ["t-2", "t-4"]
        assert data["t-2"]["annotationId"] == "t-2"
        assert data["t-4"]["metadata"]["documentId"] == "doc-d"

    def test_get_empty_organization_returns_empty_data(self, post_json: Any) -> None:
        assert get(post_json, org=ORG) == {}

    def test_get_by_document_ids(self, post_json: Any, four_threads: None) -> None:
        assert sorted(get(post_json, documentIds=["doc-b", "doc-c"])) == ["t-2", "t-3"]

    def test_get_by_folder_with_all_documents(
        self, post_json: Any, four_threads: None
    ) -> None:
        assert sorted(get(post_json, folderId="f-3", allDocuments=True)) == ["t-3"]

    def test_get_union_of_ids_documents_and_folder(
        self, post_json: Any, four_threads: None
    ) -> None:
        data = get(
            post_json,
            commentAnnotationIds=["t-1"],
            documentIds=["doc-b"],
            folderId="f-3",
            allDocuments=True,
        )
        assert sorted(data) == ["t-1", "t-2", "t-3"]

    def test_get_folder_without_all_documents_returns_whole_organization(
        self, post_json: Any, four_threads: None
    ) -> None:
        assert sorted(get(post_json, folderId="f-1")) == ["t-1", "t-2", "t-3", "t-4"]

    def test_get_folder_with_all_documents_false_does_not_select(
        self, post_json: Any, four_threads: None
    ) -> None:
        data = get(
            post_json, commentAnnotationIds=["t-2"], folderId="f-1", allDocuments=False
        )
        assert sorted(data) == ["t-2"]

    def test_get_no_selector_returns_whole_organization(
        self, post_json: Any, four_threads: None
    ) -> None:
        assert sorted(get(post_json)) == ["t-1", "t-2", "t-3", "t-4"]

    def test_get_never_returns_other_organizations_records(
        self, post_json: Any, four_threads: None
    ) -> None:
        data = get(
            post_json,
            commentAnnotationIds=["t-x"],
            documentIds=["doc-a"],
            folderId="f-1",
            allDocuments=True,
        )
        assert sorted(data) == ["t-1"]

    def test_get_for_another_organization_of_the_principal(
        self, post_json: Any, four_threads: None
    ) -> None:
        data = get(post_json, org=OTHER, commentAnnotationIds=["t-x", "t-1"])
        assert sorted(data) == ["t-x"]
        assert data["t-x"]["metadata"]["organizationId"] == OTHER

    def test_get_for_organization_not_allowed_is_403(
        self, post_json: Any, four_threads: None
    ) -> None:
        response = post_json(
            "comments/get", {"organizationId": OTHER}, as_=("u_test", ORG)
        )
        body = assert_failure(response, 403, "FORBIDDEN")
        assert "data" not in body

    def test_get_without_organization_is_400(self, post_json: Any) -> None:
        response = post_json("comments/get", {"commentAnnotationIds": ["t-1"]})
        assert_failure(response, 400, "INVALID_INPUT")

    def test_get_non_array_ids_is_400(self, post_json: Any) -> None:
        response = post_json(
            "comments/get", {"organizationId": ORG, "commentAnnotationIds": "t-1"}
        )
        assert_failure(response, 400, "INVALID_INPUT")

    def test_get_numeric_ids_are_coerced_to_strings(self, post_json: Any) -> None:
        save(post_json, thread("12345"))
        assert sorted(get(post_json, commentAnnotationIds=[12345])) == ["12345"]

    def test_get_ignores_metadata_object(
        self, post_json: Any, four_threads: None
    ) -> None:
        # gets are scoped by their top-level fields only.
        data = get(
            post_json, commentAnnotationIds=["t-1"], metadata={"organizationId": OTHER}
        )
        assert sorted(data) == ["t-1"]

    def test_get_response_holds_only_the_payload(self, post_json: Any) -> None:
        payload = thread("t-1", internalTicketId="OPS-1")
        save(post_json, payload)
        assert_json_equal(get(post_json, commentAnnotationIds=["t-1"])["t-1"], payload)


# ---- comments/save -------------------------------------------------------------------


class TestCommentsSave:
    @pytest.fixture(autouse=True)
    def _wire(self, wire_db: Any) -> None:
        self.db = wire_db

    def test_save_round_trip_is_json_equal(self, post_json: Any) -> None:
        payload = thread(
            "t-1",
            comments={
                "517204": {
                    "commentId": 517204,
                    "commentText": "text",
                    "commentHtml": "<p>text</p>",
                    "from": {"userId": "u_1"},
                    "to": [{"userId": "u_2"}, {"userId": "u_3"}],
                    "unknownEntryKey": {
                        "deep": [1, 1.0, 0, False, None, "", {"x": []}]
                    },
                },
                "msg-str": {"commentId": "msg-str", "commentText": "string id"},
            },
            internalTicketId="OPS-2291",
            customNull=None,
            customZero=0,
            customFalse=False,
            customEmpty="",
            customInt=1,
            customFloat=1.0,
            customBig=184639,
            customNegative=-2.5,
            customList=[3, "b", None, {"k": True}],
            customNested={"a": {"b": {"c": [[]], "d": {}}}},
            targetTextRange={"text": "selected — ünïcode ✓"},
            resolvedByUserId=None,
        )
        save(post_json, payload)
        assert_json_equal(get(post_json, commentAnnotationIds=["t-1"])["t-1"], payload)

    def test_save_keeps_integer_and_float_distinct(self, post_json: Any) -> None:
        save(post_json, thread("t-1", one=1, onePointZero=1.0))
        returned = get(post_json, commentAnnotationIds=["t-1"])["t-1"]
        assert type(returned["one"]) is int
        assert type(returned["onePointZero"]) is float

    def test_save_keeps_numeric_comment_id_numeric(self, post_json: Any) -> None:
        save(post_json, thread("t-1", comments={"517204": {"commentId": 517204}}))
        returned = get(post_json, commentAnnotationIds=["t-1"])["t-1"]
        assert type(returned["comments"]["517204"]["commentId"]) is int

    def test_save_stores_integers_as_integers_in_mongodb(self, post_json: Any) -> None:
        save(post_json, thread("t-1", customBig=184639, customFloat=2.0))
        doc = stored(self.db, "t-1")
        assert doc is not None
        assert type(doc["payload"]["customBig"]) is int
        assert type(doc["payload"]["customFloat"]) is float

    def test_save_falsy_values_keep_their_types(self, post_json: Any) -> None:
        save(post_json, thread("t-1", z=0, f=False, n=None, e=""))
        returned = get(post_json, commentAnnotationIds=["t-1"])["t-1"]
        assert [returned["z"], returned["f"], returned["n"], returned["e"]] == [
            0,
            False,
            None,
            "",
        ]
        assert (
            type(returned["z"]) is int
            and returned["f"] is False
            and returned["n"] is None
        )

    def test_save_without_custom_key_keeps_stored_value(self, post_json: Any) -> None:
        save(post_json, thread("t-1", internalTicketId="OPS-2291"))
        save(post_json, thread("t-1"))
        assert (
            get(post_json, commentAnnotationIds=["t-1"])["t-1"]["internalTicketId"]
            == "OPS-2291"
        )

    def test_save_with_null_custom_key_stores_null(self, post_json: Any) -> None:
        save(post_json, thread("t-1", internalTicketId="OPS-2291"))
        save(post_json, thread("t-1", internalTicketId=None))
        returned = get(post_json, commentAnnotationIds=["t-1"])["t-1"]
        assert "internalTicketId" in returned
        assert returned["internalTicketId"] is None

    def test_save_replaces_nested_objects_wholesale(self, post_json: Any) -> None:
        save(
            post_json,
            thread("t-1", context={"textEditorConfig": {"text": "old", "offset": 3}}),
        )
        save(post_json, thread("t-1", context={"textEditorConfig": {"text": "new"}}))
        returned = get(post_json, commentAnnotationIds=["t-1"])["t-1"]
        assert_json_equal(returned["context"], {"textEditorConfig": {"text": "new"}})

    def test_save_second_message_keeps_first(self, post_json: Any) -> None:
        save(
            post_json,
            thread("t-1", comments={"1": {"commentId": 1, "commentText": "one"}}),
        )
        save(
            post_json,
            thread("t-1", comments={"2": {"commentId": 2, "commentText": "two"}}),
        )
        comments = get(post_json, commentAnnotationIds=["t-1"])["t-1"]["comments"]
        assert sorted(comments) == ["1", "2"]
        assert comments["1"]["commentText"] == "one"

    def test_save_message_entry_replaced_as_a_whole(self, post_json: Any) -> None:
        save(
            post_json,
            thread(
                "t-1",
                comments={"1": {"commentId": 1, "commentText": "one", "extra": 1}},
            ),
        )
        save(
            post_json,
            thread("t-1", comments={"1": {"commentId": 1, "commentText": "edited"}}),
        )
        comments = get(post_json, commentAnnotationIds=["t-1"])["t-1"]["comments"]
        assert_json_equal(comments["1"], {"commentId": 1, "commentText": "edited"})

    def test_save_concurrent_messages_are_both_stored(self, post_json: Any) -> None:
        save(
            post_json,
            thread("t-1", comments={"1": {"commentId": 1, "commentText": "root"}}),
        )
        bodies = [
            {
                "commentAnnotation": {
                    "t-1": thread(
                        "t-1",
                        comments={
                            str(n): {"commentId": n, "commentText": f"reply {n}"}
                        },
                    )
                },
                "event": "comment.add",
                "commentId": str(n),
            }
            for n in (2, 3, 4, 5)
        ]
        statuses: list[int] = []
        barrier = threading.Barrier(len(bodies))

        def send(body: dict[str, Any]) -> None:
            barrier.wait()
            response = Client().post(
                "/velt/comments/save",
                json.dumps(body),
                content_type="application/json",
                **principal(*BOTH),
            )
            statuses.append(response.status_code)

        workers = [threading.Thread(target=send, args=(body,)) for body in bodies]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert statuses == [200, 200, 200, 200]
        comments = get(post_json, commentAnnotationIds=["t-1"])["t-1"]["comments"]
        assert sorted(comments) == ["1", "2", "3", "4", "5"]

    @pytest.mark.parametrize("stored_value", [None, [1, 2], "text"])
    def test_save_messages_replace_non_object_stored_comments(
        self, post_json: Any, stored_value: Any
    ) -> None:
        # CONTRACT §5.3: if S[k] is missing or not an object, it becomes P[k].
        save(post_json, {**thread("t-1"), "comments": stored_value})
        save(post_json, thread("t-1", comments={"1": {"commentId": 1}}))
        assert_json_equal(
            get(post_json, commentAnnotationIds=["t-1"])["t-1"]["comments"],
            {"1": {"commentId": 1}},
        )

    @pytest.mark.parametrize("value", [None, [1, 2], "text", 0, {}])
    def test_save_non_object_comments_round_trip(
        self, post_json: Any, value: Any
    ) -> None:
        save(post_json, {**thread("t-1"), "comments": value})
        assert_json_equal(
            get(post_json, commentAnnotationIds=["t-1"])["t-1"]["comments"], value
        )

    def test_save_message_with_large_numeric_key_over_stored_array(
        self, post_json: Any, wire_db: Any
    ) -> None:
        # A numeric entry key must never index into a stored array (padding it).
        save(post_json, {**thread("t-1"), "comments": [1, 2]})
        save(post_json, thread("t-1", comments={"517204": {"commentId": 517204}}))
        assert_json_equal(
            get(post_json, commentAnnotationIds=["t-1"])["t-1"]["comments"],
            {"517204": {"commentId": 517204}},
        )
        raw = wire_db["velt_comment_annotations"].find_one({"annotationId": "t-1"})
        assert list(raw["payload"]["comments"]) == ["517204"]

    def test_save_metadata_object_replaces_non_object_stored_metadata(
        self, post_json: Any
    ) -> None:
        save(
            post_json,
            {**thread("t-1"), "metadata": "opaque"},
            metadata={"organizationId": ORG},
        )
        save(post_json, thread("t-1"))
        metadata = get(post_json, commentAnnotationIds=["t-1"])["t-1"]["metadata"]
        assert_json_equal(
            metadata,
            {"apiKey": "pk_test", "documentId": "doc-1", "organizationId": ORG},
        )

    def test_save_comment_delete_removes_that_message(self, post_json: Any) -> None:
        save(
            post_json,
            thread(
                "t-1",
                comments={
                    "517204": {"commentId": 517204},
                    "660913": {"commentId": 660913},
                },
            ),
        )
        save(
            post_json,
            thread("t-1", comments={"517204": {"commentId": 517204}}),
            event="comment.delete",
            commentId="660913",
        )
        comments = get(post_json, commentAnnotationIds=["t-1"])["t-1"]["comments"]
        assert sorted(comments) == ["517204"]

    def test_save_comment_delete_removes_message_still_in_payload(
        self, post_json: Any
    ) -> None:
        both = {"517204": {"commentId": 517204}, "660913": {"commentId": 660913}}
        save(post_json, thread("t-1", comments=dict(both)))
        save(
            post_json,
            thread("t-1", comments=dict(both)),
            event="comment.delete",
            commentId=660913,
        )
        comments = get(post_json, commentAnnotationIds=["t-1"])["t-1"]["comments"]
        assert sorted(comments) == ["517204"]

    def test_save_comment_delete_matches_comment_id_value_under_other_key(
        self, post_json: Any
    ) -> None:
        save(
            post_json,
            thread(
                "t-1", comments={"msg-a": {"commentId": 42}, "msg-b": {"commentId": 43}}
            ),
        )
        save(
            post_json, thread("t-1", comments={}), event="comment.delete", commentId=42
        )
        comments = get(post_json, commentAnnotationIds=["t-1"])["t-1"]["comments"]
        assert sorted(comments) == ["msg-b"]

    def test_save_comment_delete_keeps_thread_and_other_keys(
        self, post_json: Any
    ) -> None:
        save(
            post_json,
            thread(
                "t-1",
                internalTicketId="OPS-1",
                comments={"1": {"commentId": 1}, "2": {"commentId": 2}},
            ),
        )
        save(
            post_json,
            thread("t-1", comments={"1": {"commentId": 1}}),
            event="comment.delete",
            commentId="2",
        )
        returned = get(post_json, commentAnnotationIds=["t-1"])["t-1"]
        assert returned["internalTicketId"] == "OPS-1"
        assert sorted(returned["comments"]) == ["1"]

    def test_save_comment_delete_without_comment_id_removes_nothing(
        self, post_json: Any
    ) -> None:
        save(
            post_json,
            thread("t-1", comments={"1": {"commentId": 1}, "2": {"commentId": 2}}),
        )
        save(
            post_json,
            thread("t-1", comments={"1": {"commentId": 1}}),
            event="comment.delete",
        )
        comments = get(post_json, commentAnnotationIds=["t-1"])["t-1"]["comments"]
        assert sorted(comments) == ["1", "2"]

    def test_save_comment_delete_only_touches_threads_in_the_request(
        self, post_json: Any
    ) -> None:
        save(post_json, thread("t-1", comments={"7": {"commentId": 7}}))
        save(post_json, thread("t-2", comments={"7": {"commentId": 7}}))
        save(
            post_json, thread("t-1", comments={}), event="comment.delete", commentId="7"
        )
        data = get(post_json, commentAnnotationIds=["t-1", "t-2"])
        assert data["t-1"]["comments"] == {}
        assert sorted(data["t-2"]["comments"]) == ["7"]

    @pytest.mark.parametrize("event", UPSERT_ONLY_EVENTS)
    def test_save_event_is_plain_upsert(self, post_json: Any, event: str) -> None:
        save(
            post_json,
            thread(
                "t-1",
                comments={"1": {"commentId": 1, "commentText": "root"}},
                keep="me",
            ),
        )
        save(
            post_json,
            thread(
                "t-1",
                comments={"2": {"commentId": 2, "commentText": "reply"}},
                status="changed",
            ),
            event=event,
            commentId="1",
            targetComment={"commentId": 1, "commentText": "root"},
        )
        returned = get(post_json, commentAnnotationIds=["t-1"])["t-1"]
        assert sorted(returned["comments"]) == ["1", "2"]
        assert returned["keep"] == "me"
        assert returned["status"] == "changed"

    @pytest.mark.parametrize(
        "event",
        [
            "comment_annotation.add",
            "comment.add",
            "comment.update",
            "some.future_event",
        ],
    )
    def test_save_core_and_unknown_events_upsert(
        self, post_json: Any, event: str
    ) -> None:
        save(post_json, thread("t-1"), event=event, commentId="100")
        assert sorted(get(post_json, commentAnnotationIds=["t-1"])) == ["t-1"]

    def test_save_records_event_in_envelope_not_payload(self, post_json: Any) -> None:
        save(post_json, thread("t-1"), event="comment.add", commentId="100")
        doc = stored(self.db, "t-1")
        assert doc is not None
        assert doc["lastEvent"] == "comment.add"
        assert "event" not in doc["payload"]
        assert "commentId" not in doc["payload"]

    def test_save_never_stores_target_comment(self, post_json: Any) -> None:
        target = {"commentId": 100, "commentText": "TARGET-ONLY-MARKER"}
        save(
            post_json,
            thread("t-1"),
            event="comment.add",
            commentId="100",
            targetComment=target,
        )
        doc = stored(self.db, "t-1")
        assert doc is not None
        assert "TARGET-ONLY-MARKER" not in json.dumps(doc, default=str)
        assert (
            "targetComment" not in get(post_json, commentAnnotationIds=["t-1"])["t-1"]
        )

    def test_save_does_not_store_request_metadata_in_payload(
        self, post_json: Any
    ) -> None:
        payload = thread("t-1")
        save(
            post_json,
            payload,
            metadata={"organizationId": ORG, "documentId": "doc-1", "requestOnly": "x"},
        )
        assert "requestOnly" not in json.dumps(
            get(post_json, commentAnnotationIds=["t-1"])["t-1"]
        )

    def test_save_empty_map_answers_200(self, post_json: Any) -> None:
        response = post_json(
            "comments/save",
            {"commentAnnotation": {}, "metadata": {"organizationId": ORG}},
        )
        assert_success(response, read=False)

    def test_save_empty_map_writes_nothing(self, post_json: Any) -> None:
        post_json(
            "comments/save",
            {"commentAnnotation": {}, "metadata": {"organizationId": ORG}},
        )
        assert self.db[COLLECTION].count_documents({}) == 0

    @pytest.mark.parametrize(
        "body", [{}, {"commentAnnotation": None}, {"event": "comment.add"}]
    )
    def test_save_missing_map_is_400(
        self, post_json: Any, body: dict[str, Any]
    ) -> None:
        assert_failure(post_json("comments/save", body), 400, "INVALID_INPUT")

    @pytest.mark.parametrize("value", [[], "x", 3, True])
    def test_save_non_object_map_is_400(self, post_json: Any, value: Any) -> None:
        assert_failure(
            post_json("comments/save", {"commentAnnotation": value}),
            400,
            "INVALID_INPUT",
        )

    def test_save_record_without_organization_is_400_without_pii(
        self, post_json: Any
    ) -> None:
        payload = {
            "annotationId": "t-1",
            "comments": {"1": {"commentId": 1, "commentText": "SECRET-PII-TEXT"}},
        }
        response = post_json("comments/save", {"commentAnnotation": {"t-1": payload}})
        body = assert_failure(response, 400, "INVALID_INPUT")
        assert "SECRET-PII-TEXT" not in body["message"]
        assert self.db[COLLECTION].count_documents({}) == 0

    def test_save_map_key_wins_over_payload_annotation_id(self, post_json: Any) -> None:
        body = {"commentAnnotation": {"key-id": thread("payload-id")}}
        assert_success(post_json("comments/save", body, as_=BOTH), read=False)
        data = get(post_json, commentAnnotationIds=["key-id", "payload-id"])
        assert sorted(data) == ["key-id"]
        assert data["key-id"]["annotationId"] == "key-id"

    def test_save_fills_missing_annotation_id_from_key(self, post_json: Any) -> None:
        payload = thread("t-1")
        del payload["annotationId"]
        assert_success(
            post_json("comments/save", {"commentAnnotation": {"t-1": payload}}),
            read=False,
        )
        assert (
            get(post_json, commentAnnotationIds=["t-1"])["t-1"]["annotationId"] == "t-1"
        )

    def test_save_prefers_client_organization_id(self, post_json: Any) -> None:
        payload = thread("t-1", org="hashed-internal-org")
        payload["metadata"]["clientOrganizationId"] = ORG
        assert_success(
            post_json(
                "comments/save",
                {"commentAnnotation": {"t-1": payload}},
                as_=("u_test", ORG),
            ),
            read=False,
        )
        assert sorted(get(post_json, commentAnnotationIds=["t-1"])) == ["t-1"]
        assert (
            self.db[COLLECTION].count_documents(
                {"organizationId": "hashed-internal-org"}
            )
            == 0
        )

    def test_save_prefers_client_document_id(self, post_json: Any) -> None:
        payload = thread("t-1", doc="hashed-doc")
        payload["metadata"]["clientDocumentId"] = "doc-real"
        save(post_json, payload)
        assert sorted(get(post_json, documentIds=["doc-real"])) == ["t-1"]

    def test_save_uses_request_metadata_when_payload_has_none(
        self, post_json: Any
    ) -> None:
        payload = {"annotationId": "t-1", "comments": {}}
        save(
            post_json,
            payload,
            metadata={"organizationId": OTHER, "documentId": "doc-r"},
        )
        assert sorted(get(post_json, org=OTHER, documentIds=["doc-r"])) == ["t-1"]

    def test_save_payload_metadata_wins_over_request_metadata(
        self, post_json: Any
    ) -> None:
        save(post_json, thread("t-1", org=ORG), metadata={"organizationId": OTHER})
        assert sorted(get(post_json, org=ORG)) == ["t-1"]
        assert get(post_json, org=OTHER) == {}

    def test_save_for_organization_not_allowed_is_403_and_writes_nothing(
        self, post_json: Any
    ) -> None:
        body = {
            "commentAnnotation": {
                "t-1": thread("t-1", org=ORG),
                "t-2": thread("t-2", org=OTHER),
            }
        }
        assert_failure(
            post_json("comments/save", body, as_=("u_test", ORG)), 403, "FORBIDDEN"
        )
        assert self.db[COLLECTION].count_documents({}) == 0

    def test_save_two_organizations_in_one_request(self, post_json: Any) -> None:
        body = {
            "commentAnnotation": {
                "t-1": thread("t-1", org=ORG),
                "t-2": thread("t-2", org=OTHER),
            }
        }
        assert_success(post_json("comments/save", body, as_=BOTH), read=False)
        assert sorted(get(post_json, org=ORG)) == ["t-1"]
        assert sorted(get(post_json, org=OTHER)) == ["t-2"]

    def test_save_is_idempotent(self, post_json: Any) -> None:
        payload = thread("t-1", internalTicketId="OPS-1")
        save(post_json, payload)
        save(post_json, payload)
        assert self.db[COLLECTION].count_documents({}) == 1
        assert_json_equal(get(post_json, commentAnnotationIds=["t-1"])["t-1"], payload)

    @pytest.mark.parametrize("key", UNSAFE_KEYS)
    def test_save_unsafe_key_round_trips_at_top_level(
        self, post_json: Any, key: str
    ) -> None:
        payload = thread("t-1", **{key: {"v": 1}})
        save(post_json, payload)
        assert_json_equal(get(post_json, commentAnnotationIds=["t-1"])["t-1"], payload)

    @pytest.mark.parametrize("key", UNSAFE_KEYS)
    def test_save_unsafe_key_round_trips_nested(self, post_json: Any, key: str) -> None:
        comments = {"1": {"commentId": 1, "custom": {key: {key: [{key: 0}]}}}}
        payload = thread("t-1", comments=comments, nested={"inner": {key: "v"}})
        save(post_json, payload)
        assert_json_equal(get(post_json, commentAnnotationIds=["t-1"])["t-1"], payload)

    @pytest.mark.parametrize("key", UNSAFE_KEYS)
    def test_save_unsafe_key_as_message_key_round_trips(
        self, post_json: Any, key: str
    ) -> None:
        payload = thread(
            "t-1", comments={key: {"commentId": key}, "2": {"commentId": 2}}
        )
        save(post_json, payload)
        assert_json_equal(get(post_json, commentAnnotationIds=["t-1"])["t-1"], payload)

    @pytest.mark.parametrize("key", UNSAFE_KEYS)
    def test_save_unsafe_key_updated_by_second_save(
        self, post_json: Any, key: str
    ) -> None:
        save(post_json, thread("t-1", **{key: "old"}))
        save(post_json, thread("t-1", **{key: "new"}))
        assert get(post_json, commentAnnotationIds=["t-1"])["t-1"][key] == "new"

    def test_save_comment_delete_removes_message_with_unsafe_key(
        self, post_json: Any
    ) -> None:
        save(
            post_json,
            thread(
                "t-1", comments={"a.b": {"commentId": "a.b"}, "2": {"commentId": 2}}
            ),
        )
        save(
            post_json,
            thread("t-1", comments={}),
            event="comment.delete",
            commentId="a.b",
        )
        assert sorted(
            get(post_json, commentAnnotationIds=["t-1"])["t-1"]["comments"]
        ) == ["2"]

    def test_save_unsafe_key_stored_escaped(self, post_json: Any) -> None:
        save(post_json, thread("t-1", **{"a.b": 1, "plain": 2}))
        doc = stored(self.db, "t-1")
        assert doc is not None
        # CONTRACT §5.5: "~" + base64url("a.b") without padding; ordinary keys unchanged.
        assert doc["payload"]["~YS5i"] == 1
        assert doc["payload"]["plain"] == 2

    def test_save_metadata_is_shallow_merged(self, post_json: Any) -> None:
        first = thread("t-1", folder="f-1")
        first["metadata"].update(
            documentMetadata={"documentName": "Spec"}, sdkVersion="5.0.2", custom="keep"
        )
        save(post_json, first)
        second = thread("t-1")
        second["metadata"] = {
            "organizationId": ORG,
            "documentId": "doc-1",
            "sdkVersion": "5.0.3",
        }
        save(post_json, second)
        metadata = get(post_json, commentAnnotationIds=["t-1"])["t-1"]["metadata"]
        assert_json_equal(
            metadata,
            {
                "apiKey": "pk_test",
                "documentId": "doc-1",
                "organizationId": ORG,
                "folderId": "f-1",
                "documentMetadata": {"documentName": "Spec"},
                "sdkVersion": "5.0.3",
                "custom": "keep",
            },
        )

    def test_save_metadata_nested_objects_replaced(self, post_json: Any) -> None:
        first = thread("t-1")
        first["metadata"]["documentMetadata"] = {"documentName": "Spec", "owner": "u_1"}
        save(post_json, first)
        second = thread("t-1")
        second["metadata"]["documentMetadata"] = {"documentName": "Renamed"}
        save(post_json, second)
        metadata = get(post_json, commentAnnotationIds=["t-1"])["t-1"]["metadata"]
        assert_json_equal(metadata["documentMetadata"], {"documentName": "Renamed"})

    def test_save_derives_document_and_folder(self, post_json: Any) -> None:
        save(post_json, thread("t-1", doc="doc-7", folder="f-7"))
        doc = stored(self.db, "t-1")
        assert doc is not None
        assert (doc["organizationId"], doc["documentId"], doc["folderId"]) == (
            ORG,
            "doc-7",
            "f-7",
        )

    def test_save_moved_document_found_by_new_folder(self, post_json: Any) -> None:
        save(post_json, thread("t-1", doc="doc-7", folder="f-old"))
        save(post_json, thread("t-1", doc="doc-7", folder="f-new"))
        assert sorted(get(post_json, folderId="f-new", allDocuments=True)) == ["t-1"]

    def test_save_moved_document_not_found_by_old_folder(self, post_json: Any) -> None:
        save(post_json, thread("t-1", doc="doc-7", folder="f-old"))
        save(post_json, thread("t-1", doc="doc-7", folder="f-new"))
        assert get(post_json, folderId="f-old", allDocuments=True) == {}

    def test_save_document_change_is_refreshed(self, post_json: Any) -> None:
        save(post_json, thread("t-1", doc="doc-old"))
        save(post_json, thread("t-1", doc="doc-new"))
        assert sorted(get(post_json, documentIds=["doc-new"])) == ["t-1"]
        assert get(post_json, documentIds=["doc-old"]) == {}

    def test_save_envelope_fields_never_in_response(self, post_json: Any) -> None:
        save(post_json, thread("t-1"))
        returned = get(post_json, commentAnnotationIds=["t-1"])["t-1"]
        for bookkeeping in (
            "_id",
            "rev",
            "createdAt",
            "updatedAt",
            "lastEvent",
            "payload",
            "esc",
        ):
            assert bookkeeping not in returned

    def test_save_annotations_alias_with_context_metadata(self, post_json: Any) -> None:
        payload = {
            "annotationId": "t-1",
            "comments": {"1": {"commentId": 1, "commentText": "hi"}},
        }
        body = {
            "annotations": {"t-1": payload},
            "context": {"organizationId": OTHER, "documentId": "doc-ctx"},
        }
        assert_success(post_json("comments/save", body, as_=BOTH), read=False)
        data = get(post_json, org=OTHER, documentIds=["doc-ctx"])
        assert_json_equal(data, {"t-1": payload})

    def test_save_canonical_map_wins_over_annotations_alias(
        self, post_json: Any
    ) -> None:
        body = {
            "commentAnnotation": {"t-1": thread("t-1")},
            "annotations": {"t-2": thread("t-2")},
        }
        assert_success(post_json("comments/save", body, as_=BOTH), read=False)
        assert sorted(get(post_json)) == ["t-1"]

    def test_save_contract_reply_example_verbatim(self, post_json: Any) -> None:
        assert_success(
            post_json("comments/save", EXAMPLE_SAVE_REPLY, as_=("u_8841", ORG)),
            read=False,
        )
        expected = json.loads(EXAMPLE_SAVE_REPLY)["commentAnnotation"]
        data = get(post_json, commentAnnotationIds=["Qm3r8XvT2pLkA9dWzF1c"])
        assert_json_equal(data, expected)

    def test_save_contract_message_delete_example_verbatim(
        self, post_json: Any
    ) -> None:
        post_json("comments/save", EXAMPLE_SAVE_REPLY)
        assert_success(
            post_json("comments/save", EXAMPLE_SAVE_MESSAGE_DELETE), read=False
        )
        returned = get(post_json, commentAnnotationIds=["Qm3r8XvT2pLkA9dWzF1c"])[
            "Qm3r8XvT2pLkA9dWzF1c"
        ]
        assert sorted(returned["comments"]) == ["517204"]
        assert returned["internalTicketId"] == "OPS-2291"

    def test_save_contract_assign_example_verbatim(self, post_json: Any) -> None:
        post_json("comments/save", EXAMPLE_SAVE_REPLY)
        assert_success(post_json("comments/save", EXAMPLE_SAVE_ASSIGN), read=False)
        returned = get(post_json, commentAnnotationIds=["Qm3r8XvT2pLkA9dWzF1c"])[
            "Qm3r8XvT2pLkA9dWzF1c"
        ]
        assert returned["assignedTo"] == {"userId": "u_1190"}
        assert sorted(returned["comments"]) == ["517204", "660913"]

    def test_get_contract_example_verbatim(self, post_json: Any) -> None:
        post_json("comments/save", EXAMPLE_SAVE_REPLY)
        response = post_json("comments/get", EXAMPLE_GET_REQUEST)
        data = assert_success(response, read=True)["data"]
        expected = json.loads(EXAMPLE_GET_RESPONSE)["data"]
        assert sorted(data) == sorted(expected)
        for key, value in expected["Qm3r8XvT2pLkA9dWzF1c"].items():
            returned = data["Qm3r8XvT2pLkA9dWzF1c"][key]
            if key == "metadata":
                # The example response abbreviates the metadata the reply example saved.
                assert value.items() <= returned.items()
            else:
                assert_json_equal(returned, value)


# ---- comments/delete -----------------------------------------------------------------


class TestCommentsDelete:
    @pytest.fixture(autouse=True)
    def _wire(self, wire_db: Any) -> None:
        self.db = wire_db

    @staticmethod
    def body(
        annotation_id: str = "t-1", org: str | None = ORG, **extra: Any
    ) -> dict[str, Any]:
        metadata = (
            {"apiKey": "pk_test", "documentId": "doc-1", "organizationId": org}
            if org
            else None
        )
        return {
            "commentAnnotationId": annotation_id,
            "metadata": metadata,
            "event": "comment_annotation.delete",
            **extra,
        }

    def test_delete_removes_the_thread(self, post_json: Any) -> None:
        save(post_json, thread("t-1"), thread("t-2"))
        delete(post_json, self.body("t-1"))
        assert sorted(get(post_json)) == ["t-2"]

    def test_delete_removes_the_stored_document(self, post_json: Any) -> None:
        save(post_json, thread("t-1"))
        delete(post_json, self.body("t-1"))
        assert stored(self.db, "t-1") is None

    def test_delete_repeated_answers_200(self, post_json: Any) -> None:
        save(post_json, thread("t-1"))
        delete(post_json, self.body("t-1"))
        delete(post_json, self.body("t-1"))
        assert get(post_json) == {}

    def test_delete_unknown_id_answers_200(self, post_json: Any) -> None:
        delete(post_json, self.body("never-stored"))

    def test_delete_leaves_same_id_in_other_organization(self, post_json: Any) -> None:
        save(post_json, thread("t-1", org=ORG))
        save(post_json, thread("t-1", org=OTHER))
        delete(post_json, self.body("t-1", org=ORG))
        assert get(post_json, org=ORG) == {}
        assert sorted(get(post_json, org=OTHER)) == ["t-1"]

    def test_delete_with_annotation_id_alias(self, post_json: Any) -> None:
        save(post_json, thread("t-1"), thread("t-2"))
        body = self.body("unused")
        del body["commentAnnotationId"]
        body["annotationId"] = "t-1"
        delete(post_json, body)
        assert sorted(get(post_json)) == ["t-2"]

    def test_delete_canonical_id_wins_over_alias(self, post_json: Any) -> None:
        save(post_json, thread("t-1"), thread("t-2"))
        delete(post_json, self.body("t-1", annotationId="t-2"))
        assert sorted(get(post_json)) == ["t-2"]

    def test_delete_without_any_id_is_400(self, post_json: Any) -> None:
        body = self.body()
        del body["commentAnnotationId"]
        assert_failure(post_json("comments/delete", body), 400, "INVALID_INPUT")

    def test_delete_prefers_client_organization_id(self, post_json: Any) -> None:
        save(post_json, thread("t-1", org=ORG))
        save(post_json, thread("t-1", org=OTHER))
        body = self.body("t-1", org=OTHER)
        body["metadata"]["clientOrganizationId"] = ORG
        delete(post_json, body)
        assert get(post_json, org=ORG) == {}
        assert sorted(get(post_json, org=OTHER)) == ["t-1"]

    def test_delete_for_organization_not_allowed_is_403_and_keeps_thread(
        self, post_json: Any
    ) -> None:
        save(post_json, thread("t-1", org=OTHER))
        response = post_json(
            "comments/delete", self.body("t-1", org=OTHER), as_=("u_test", ORG)
        )
        assert_failure(response, 403, "FORBIDDEN")
        assert stored(self.db, "t-1", org=OTHER) is not None

    def test_delete_without_metadata_uses_principals_organizations(
        self, post_json: Any
    ) -> None:
        save(post_json, thread("t-1", org=ORG))
        save(post_json, thread("t-1", org=OTHER))
        delete(post_json, self.body("t-1", org=None), as_=("u_test", ORG))
        assert stored(self.db, "t-1", org=ORG) is None
        assert stored(self.db, "t-1", org=OTHER) is not None

    def test_delete_ignores_extra_metadata_keys(self, post_json: Any) -> None:
        save(post_json, thread("t-1"))
        body = self.body("t-1")
        body["metadata"].update(
            attachmentId=284117, commentAnnotationId="t-1", sdkVersion="4.0"
        )
        delete(post_json, body)
        assert get(post_json) == {}

    def test_delete_contract_example_verbatim(self, post_json: Any) -> None:
        post_json("comments/save", EXAMPLE_SAVE_REPLY)
        assert_success(post_json("comments/delete", EXAMPLE_DELETE), read=False)
        assert get(post_json, commentAnnotationIds=["Qm3r8XvT2pLkA9dWzF1c"]) == {}

    def test_delete_does_not_touch_other_threads_of_the_document(
        self, post_json: Any
    ) -> None:
        save(post_json, thread("t-1", doc="doc-1"), thread("t-2", doc="doc-1"))
        delete(post_json, self.body("t-1"))
        assert sorted(get(post_json, documentIds=["doc-1"])) == ["t-2"]
