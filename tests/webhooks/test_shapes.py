"""Both of Velt's payload shapes over HTTP: a basic (v1, flat) and an advanced (v2,
nested under ``data``) delivery of the same comment become the same event; the ids
are read where each shape keeps them, comments arrive as an array, and unknown event
types are accepted and send nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from velt_django import users
from velt_django.repository.webhooks import WebhookDeliveryRepository
from velt_django.webhooks import VeltWebhookEvent

from ..contracts import assert_success
from ..families import ORG
from ..webhook_helpers import (
    ALEX,
    DOC,
    FIRST,
    PRIYA,
    REPLY,
    REPLY_TEXT,
    SAM,
    SIGNING_SECRET,
    THREAD,
    basic_event,
    configure,
    deliver,
    stored_thread,
    svix_headers,
)
from ..wire import json_poster

#: Velt's internal (hashed) ids, which its samples show next to the client ids.
INTERNAL_ORG = "392580a690394bfadd823101f2b05513"
INTERNAL_DOC = "7301958264410583"


@pytest.fixture
def db(mongo_db: Any, settings: Any, client: Client) -> Any:
    configure(settings, WEBHOOK_EMAILS=True, WEBHOOK_SIGNING_SECRET=SIGNING_SECRET)
    users.upsert([SAM, ALEX, PRIYA], ORG)
    post = json_poster(client)
    body = {"commentAnnotation": {THREAD: stored_thread()}}
    assert_success(post("comments/save", body, as_=("u_test", ORG)), read=False)
    return mongo_db


def advanced_event(event: str = "comment.add", **data: Any) -> dict[str, Any]:
    """An advanced (v2) delivery of the reply, shaped like Velt's sample: the ids in
    nested metadata objects, the annotation's own metadata holding only the API key."""
    body: dict[str, Any] = {
        "webhookId": "-Ob7Y0aT1mRq8cXe3NwK",
        "event": event,
        "actionType": event.rsplit(".", 1)[-1],
        "source": "comment",
        "platform": "sdk",
        "data": {
            "actionUser": {"userId": ALEX["userId"], "organizationId": INTERNAL_ORG},
            "commentAnnotation": {
                "annotationId": THREAD,
                "metadata": {"apiKey": "pk_test"},
                "from": {"userId": SAM["userId"]},
                "comments": [
                    {"commentId": FIRST, "from": {"userId": SAM["userId"]}},
                    {
                        "commentId": REPLY,
                        "from": {"userId": ALEX["userId"]},
                        "to": [{"userId": PRIYA["userId"]}],
                    },
                ],
            },
            "targetComment": {
                "commentId": REPLY,
                "from": {"userId": ALEX["userId"]},
                "to": [{"userId": PRIYA["userId"]}],
            },
            "metadata": {
                "apiKey": "pk_test",
                "organizationId": INTERNAL_ORG,
                "organization": {"organizationId": ORG},
                "document": {"documentId": DOC, "documentName": "Q3 spec"},
                "pageInfo": {"url": "https://app.example.com/spec"},
            },
            **data,
        },
    }
    return body


def deliver_signed(client: Client, body: dict[str, Any]) -> Any:
    raw = json.dumps(body)
    return deliver(client, raw, token=None, **svix_headers(raw))


def summary(event: VeltWebhookEvent) -> tuple[Any, ...]:
    return (
        event.event_type,
        event.organization_id,
        event.document_id,
        event.annotation_id,
        event.comment_id,
        event.thread_found,
        event.comment_text,
        event.author.user_id if event.author else None,
        [u.user_id for u in event.mentioned_users],
    )


def test_shapes_basic_and_advanced_become_the_same_event(
    db: Any,
    client: Client,
    events: list[VeltWebhookEvent],
    mailoutbox: list[Any],
) -> None:
    assert_success(deliver(client, basic_event()), read=False)
    assert_success(deliver_signed(client, advanced_event()), read=False)
    basic, advanced = events
    assert (basic.channel, advanced.channel) == ("basic", "advanced")
    assert summary(advanced) == summary(basic)
    assert summary(advanced) == (
        "comment.add",
        ORG,
        DOC,
        THREAD,
        str(REPLY),
        True,
        REPLY_TEXT,
        ALEX["userId"],
        [PRIYA["userId"]],
    )
    # Each delivery mails the same members of the organization.
    to = sorted(m.to[0] for m in mailoutbox)
    assert to == sorted([PRIYA["email"], SAM["email"]] * 2)


def test_shapes_advanced_payload_is_read_by_its_shape_not_its_channel(
    db: Any, client: Client, events: list[VeltWebhookEvent]
) -> None:
    # A top-level string "event" means v2, also when the auth token delivered it.
    assert_success(deliver(client, advanced_event()), read=False)
    (event,) = events
    assert (event.channel, event.organization_id, event.thread_found) == (
        "basic",
        ORG,
        True,
    )


def test_shapes_client_ids_are_preferred_to_velts_internal_ones(
    db: Any, client: Client, events: list[VeltWebhookEvent]
) -> None:
    body = basic_event()
    body["metadata"] = {
        **body["metadata"],
        "organizationId": INTERNAL_ORG,
        "clientOrganizationId": ORG,
        "documentId": INTERNAL_DOC,
        "clientDocumentId": DOC,
    }
    assert_success(deliver(client, body), read=False)
    advanced = advanced_event()
    advanced["data"]["metadata"]["organization"] = {"organizationId": INTERNAL_ORG}
    advanced["data"]["metadata"]["organizationMetadata"] = {
        "organizationId": INTERNAL_ORG,
        "clientOrganizationId": ORG,
    }
    advanced["data"]["metadata"]["documentId"] = INTERNAL_DOC
    assert_success(deliver_signed(client, advanced), read=False)
    assert [(e.organization_id, e.document_id, e.thread_found) for e in events] == [
        (ORG, DOC, True),
        (ORG, DOC, True),
    ]


@pytest.mark.parametrize("shape", ["basic", "advanced"])
def test_shapes_add_without_target_comment_is_the_arrays_last_message(
    db: Any,
    client: Client,
    events: list[VeltWebhookEvent],
    mailoutbox: list[Any],
    shape: str,
) -> None:
    if shape == "basic":
        body = basic_event(comment_id=None)
        response = deliver(client, body)
    else:
        body = advanced_event()
        del body["data"]["targetComment"]
        response = deliver_signed(client, body)
    assert_success(response, read=False)
    (event,) = events
    assert (event.comment_id, event.comment_text) == (str(REPLY), REPLY_TEXT)
    assert [u.user_id for u in event.mentioned_users] == [PRIYA["userId"]]
    assert PRIYA["email"] in [m.to[0] for m in mailoutbox]


@pytest.mark.parametrize(
    "where", ["data", "top", "objects"], ids=["in-data", "top-level", "user-objects"]
)
def test_shapes_advanced_access_denied_users_are_honoured_wherever_they_are(
    db: Any, client: Client, mailoutbox: list[Any], where: str
) -> None:
    body = advanced_event()
    if where == "data":
        body["data"]["accessDeniedUsers"] = [PRIYA["userId"]]
    elif where == "top":
        body["accessDeniedUsers"] = [PRIYA["userId"]]
    else:
        body["data"]["accessDeniedUsers"] = [{"userId": PRIYA["userId"]}]
    assert_success(deliver_signed(client, body), read=False)
    assert [m.to[0] for m in mailoutbox] == [SAM["email"]]


@pytest.mark.parametrize(
    "body",
    [
        {"webhookId": "x1", "event": "message.attempt.exhausted", "data": {}},
        {"webhookId": "x2", "event": "step.breached", "data": {"stepId": "s1"}},
        "unknown-comment-event",
    ],
)
def test_shapes_unknown_event_types_answer_200_and_send_nothing(
    db: Any,
    client: Client,
    events: list[VeltWebhookEvent],
    mailoutbox: list[Any],
    body: Any,
) -> None:
    if body == "unknown-comment-event":
        body = advanced_event("comment.mystery")
    assert_success(deliver_signed(client, body), read=False)
    assert mailoutbox == []
    assert len(events) == 1
    done = db[WebhookDeliveryRepository.collection_name()].find_one()
    assert done["state"] == "done"
