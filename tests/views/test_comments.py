"""What only ``comments/*`` does (CONTRACT §6, on MongoDB and PostgreSQL): the ``comments`` map merges
message by message, ``comment.delete`` on save removes one message, the §4.2 events are
upserts, and the contract's examples. The checks every family shares are in
``test_annotation_families.py``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ..contracts import assert_json_equal, assert_success
from ..families import BOTH, COMMENTS, UNSAFE_KEYS, on_backends
from ..wire import FamilyClient, PostJson, json_poster, run_together
from .backends import closing_connections, family_client

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

EXAMPLE_ID = "Qm3r8XvT2pLkA9dWzF1c"

thread = COMMENTS.record


@pytest.fixture
def api(backend: str, post_json: PostJson) -> FamilyClient:
    return family_client(COMMENTS, post_json, backend)


def comments_of(api: FamilyClient, annotation_id: str = "t-1") -> Any:
    return api.get_one(annotation_id)["comments"]


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


# ---- the comments map ------------------------------------------------------------------


class TestCommentsMap:
    def test_save_messages_round_trip_json_equal(self, api: FamilyClient) -> None:
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
        )
        api.save(payload)
        assert_json_equal(api.get_one("t-1"), payload)

    def test_save_keeps_numeric_comment_id_numeric(self, api: FamilyClient) -> None:
        api.save(thread("t-1", comments={"517204": {"commentId": 517204}}))
        assert type(comments_of(api)["517204"]["commentId"]) is int

    def test_save_second_message_keeps_first(self, api: FamilyClient) -> None:
        api.save(thread("t-1", comments={"1": {"commentId": 1, "commentText": "one"}}))
        api.save(thread("t-1", comments={"2": {"commentId": 2, "commentText": "two"}}))
        comments = comments_of(api)
        assert sorted(comments) == ["1", "2"]
        assert comments["1"]["commentText"] == "one"

    def test_save_message_entry_replaced_as_a_whole(self, api: FamilyClient) -> None:
        first = {"commentId": 1, "commentText": "one", "extra": 1}
        api.save(thread("t-1", comments={"1": first}))
        api.save(
            thread("t-1", comments={"1": {"commentId": 1, "commentText": "edited"}})
        )
        assert_json_equal(
            comments_of(api)["1"], {"commentId": 1, "commentText": "edited"}
        )

    @on_backends(transaction=True)  # the replies come from threads
    def test_save_concurrent_messages_are_both_stored(self, api: FamilyClient) -> None:
        api.save(thread("t-1", comments={"1": {"commentId": 1, "commentText": "root"}}))

        def reply(n: int) -> Callable[[Client], None]:
            message = {str(n): {"commentId": n, "commentText": f"reply {n}"}}
            body = COMMENTS.save_body(
                thread("t-1", comments=message), event="comment.add", commentId=str(n)
            )

            def send(client: Client) -> None:
                response = json_poster(client)("comments/save", body, as_=BOTH)
                assert response.status_code == 200, response.content

            return closing_connections(send)

        assert run_together([reply(n) for n in (2, 3, 4, 5)]) == []
        assert sorted(comments_of(api)) == ["1", "2", "3", "4", "5"]

    @pytest.mark.parametrize("stored_value", [None, [1, 2], "text"])
    def test_save_messages_replace_non_object_stored_comments(
        self, api: FamilyClient, stored_value: Any
    ) -> None:
        # CONTRACT §5.3: if S[k] is missing or not an object, it becomes P[k].
        api.save({**thread("t-1"), "comments": stored_value})
        api.save(thread("t-1", comments={"1": {"commentId": 1}}))
        assert_json_equal(comments_of(api), {"1": {"commentId": 1}})

    @pytest.mark.parametrize("value", [None, [1, 2], "text", 0, {}])
    def test_save_non_object_comments_round_trip(
        self, api: FamilyClient, value: Any
    ) -> None:
        api.save({**thread("t-1"), "comments": value})
        assert_json_equal(comments_of(api), value)

    def test_save_message_with_large_numeric_key_over_stored_array(
        self, api: FamilyClient
    ) -> None:
        # A numeric entry key must never index into a stored array (padding it).
        api.save({**thread("t-1"), "comments": [1, 2]})
        api.save(thread("t-1", comments={"517204": {"commentId": 517204}}))
        assert_json_equal(comments_of(api), {"517204": {"commentId": 517204}})
        raw = api.stored("t-1")
        assert raw is not None
        assert list(raw["payload"]["comments"]) == ["517204"]

    @pytest.mark.parametrize("key", UNSAFE_KEYS)
    def test_save_unsafe_key_as_message_key_round_trips(
        self, api: FamilyClient, key: str
    ) -> None:
        payload = thread(
            "t-1", comments={key: {"commentId": key}, "2": {"commentId": 2}}
        )
        api.save(payload)
        assert_json_equal(api.get_one("t-1"), payload)

    @pytest.mark.parametrize("key", UNSAFE_KEYS)
    def test_save_unsafe_key_inside_message_round_trips(
        self, api: FamilyClient, key: str
    ) -> None:
        comments = {"1": {"commentId": 1, "custom": {key: {key: [{key: 0}]}}}}
        payload = thread("t-1", comments=comments)
        api.save(payload)
        assert_json_equal(api.get_one("t-1"), payload)


# ---- comment.delete on save ------------------------------------------------------------


class TestMessageDelete:
    def test_save_comment_delete_removes_that_message(self, api: FamilyClient) -> None:
        both = {"517204": {"commentId": 517204}, "660913": {"commentId": 660913}}
        api.save(thread("t-1", comments=both))
        api.save(
            thread("t-1", comments={"517204": {"commentId": 517204}}),
            event="comment.delete",
            commentId="660913",
        )
        assert sorted(comments_of(api)) == ["517204"]

    def test_save_comment_delete_removes_message_still_in_payload(
        self, api: FamilyClient
    ) -> None:
        both = {"517204": {"commentId": 517204}, "660913": {"commentId": 660913}}
        api.save(thread("t-1", comments=dict(both)))
        api.save(
            thread("t-1", comments=dict(both)), event="comment.delete", commentId=660913
        )
        assert sorted(comments_of(api)) == ["517204"]

    def test_save_comment_delete_matches_comment_id_value_under_other_key(
        self, api: FamilyClient
    ) -> None:
        keyed = {"msg-a": {"commentId": 42}, "msg-b": {"commentId": 43}}
        api.save(thread("t-1", comments=keyed))
        api.save(thread("t-1", comments={}), event="comment.delete", commentId=42)
        assert sorted(comments_of(api)) == ["msg-b"]

    def test_save_comment_delete_keeps_thread_and_other_keys(
        self, api: FamilyClient
    ) -> None:
        two = {"1": {"commentId": 1}, "2": {"commentId": 2}}
        api.save(thread("t-1", internalTicketId="OPS-1", comments=two))
        api.save(
            thread("t-1", comments={"1": {"commentId": 1}}),
            event="comment.delete",
            commentId="2",
        )
        returned = api.get_one("t-1")
        assert returned["internalTicketId"] == "OPS-1"
        assert sorted(returned["comments"]) == ["1"]

    def test_save_comment_delete_without_comment_id_removes_nothing(
        self, api: FamilyClient
    ) -> None:
        api.save(thread("t-1", comments={"1": {"commentId": 1}, "2": {"commentId": 2}}))
        api.save(
            thread("t-1", comments={"1": {"commentId": 1}}), event="comment.delete"
        )
        assert sorted(comments_of(api)) == ["1", "2"]

    def test_save_comment_delete_only_touches_threads_in_the_request(
        self, api: FamilyClient
    ) -> None:
        api.save(thread("t-1", comments={"7": {"commentId": 7}}))
        api.save(thread("t-2", comments={"7": {"commentId": 7}}))
        api.save(thread("t-1", comments={}), event="comment.delete", commentId="7")
        data = api.get(ids=["t-1", "t-2"])
        assert data["t-1"]["comments"] == {}
        assert sorted(data["t-2"]["comments"]) == ["7"]

    def test_save_comment_delete_removes_message_with_unsafe_key(
        self, api: FamilyClient
    ) -> None:
        keyed = {"a.b": {"commentId": "a.b"}, "2": {"commentId": 2}}
        api.save(thread("t-1", comments=keyed))
        api.save(thread("t-1", comments={}), event="comment.delete", commentId="a.b")
        assert sorted(comments_of(api)) == ["2"]


# ---- other save events -----------------------------------------------------------------


class TestCommentEvents:
    @pytest.mark.parametrize("event", UPSERT_ONLY_EVENTS)
    def test_save_event_is_plain_upsert(self, api: FamilyClient, event: str) -> None:
        root = {"1": {"commentId": 1, "commentText": "root"}}
        api.save(thread("t-1", comments=root, keep="me"))
        api.save(
            thread(
                "t-1",
                comments={"2": {"commentId": 2, "commentText": "reply"}},
                status="changed",
            ),
            event=event,
            commentId="1",
            targetComment={"commentId": 1, "commentText": "root"},
        )
        returned = api.get_one("t-1")
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
        self, api: FamilyClient, event: str
    ) -> None:
        api.save(thread("t-1"), event=event, commentId="100")
        assert sorted(api.get(ids=["t-1"])) == ["t-1"]

    def test_save_never_stores_target_comment(self, api: FamilyClient) -> None:
        target = {"commentId": 100, "commentText": "TARGET-ONLY-MARKER"}
        api.save(
            thread("t-1"), event="comment.add", commentId="100", targetComment=target
        )
        doc = api.stored("t-1")
        assert doc is not None
        assert "TARGET-ONLY-MARKER" not in json.dumps(doc, default=str)
        assert "targetComment" not in api.get_one("t-1")


# ---- the contract's examples -----------------------------------------------------------


class TestCommentExamples:
    @pytest.fixture
    def reply_saved(self, api: FamilyClient) -> None:
        assert_success(api.post("save", EXAMPLE_SAVE_REPLY), read=False)

    def test_save_contract_reply_example_verbatim(self, api: FamilyClient) -> None:
        response = api.post("save", EXAMPLE_SAVE_REPLY, as_=("u_8841", "acme-corp"))
        assert_success(response, read=False)
        expected = json.loads(EXAMPLE_SAVE_REPLY)["commentAnnotation"]
        assert_json_equal(api.get(ids=[EXAMPLE_ID]), expected)

    def test_save_contract_message_delete_example_verbatim(
        self, api: FamilyClient, reply_saved: None
    ) -> None:
        assert_success(api.post("save", EXAMPLE_SAVE_MESSAGE_DELETE), read=False)
        returned = api.get_one(EXAMPLE_ID)
        assert sorted(returned["comments"]) == ["517204"]
        assert returned["internalTicketId"] == "OPS-2291"

    def test_save_contract_assign_example_verbatim(
        self, api: FamilyClient, reply_saved: None
    ) -> None:
        assert_success(api.post("save", EXAMPLE_SAVE_ASSIGN), read=False)
        returned = api.get_one(EXAMPLE_ID)
        assert returned["assignedTo"] == {"userId": "u_1190"}
        assert sorted(returned["comments"]) == ["517204", "660913"]

    def test_get_contract_example_verbatim(
        self, api: FamilyClient, reply_saved: None
    ) -> None:
        data = assert_success(api.post("get", EXAMPLE_GET_REQUEST), read=True)["data"]
        expected = json.loads(EXAMPLE_GET_RESPONSE)["data"]
        assert sorted(data) == sorted(expected)
        for key, value in expected[EXAMPLE_ID].items():
            returned = data[EXAMPLE_ID][key]
            if key == "metadata":
                # The example response abbreviates the metadata the reply example saved.
                assert value.items() <= returned.items()
            else:
                assert_json_equal(returned, value)

    def test_delete_contract_example_verbatim(
        self, api: FamilyClient, reply_saved: None
    ) -> None:
        assert_success(api.post("delete", EXAMPLE_DELETE), read=False)
        assert api.get(ids=[EXAMPLE_ID]) == {}
