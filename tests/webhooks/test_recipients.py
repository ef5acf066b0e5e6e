"""Whom the built-in e-mails may reach, over HTTP: users' notification settings when
Velt sends them (ALL / MINE / NONE), never the actor nor ``accessDeniedUsers``, and
for a private thread (the stored ``visibilityConfig`` or the delivery's
``visibility``) only the users it allows; visibility never adds a recipient."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from velt_django import users

from ..contracts import assert_success
from ..families import ORG
from ..webhook_helpers import (
    ALEX,
    PRIYA,
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

#: A member of the organization who follows the thread without taking part in it.
JO = {"userId": "u_5521", "name": "Jo Park", "email": "jo@acme.example"}


@pytest.fixture
def db(mongo_db: Any, settings: Any) -> Any:
    configure(settings, WEBHOOK_EMAILS=True, WEBHOOK_SIGNING_SECRET=SIGNING_SECRET)
    users.upsert([SAM, ALEX, PRIYA, JO], ORG)
    return mongo_db


def save_thread(client: Client, **fields: Any) -> None:
    thread = {**stored_thread(), **fields}
    body = {"commentAnnotation": {THREAD: thread}}
    post = json_poster(client)
    assert_success(post("comments/save", body, as_=("u_test", ORG)), read=False)


def mailed(outbox: list[Any]) -> list[str]:
    return sorted(address for m in outbox for address in m.to)


def config(**emails: str) -> dict[str, dict[str, str]]:
    """``usersOrganizationNotificationsConfig`` with these ``email`` settings."""
    people = {"sam": SAM, "alex": ALEX, "priya": PRIYA, "jo": JO}
    return {
        people[name]["userId"]: {"inbox": "ALL", "email": value}
        for name, value in emails.items()
    }


def followed_reply(**extra: Any) -> dict[str, Any]:
    """The reply, with Velt's processed recipients: Priya newly tagged, Sam (the
    thread's author) and Jo (a follower) updated."""
    fields: dict[str, Any] = {
        "toContactsTagged": [{"userId": PRIYA["userId"]}],
        "toContactsUpdated": [{"userId": SAM["userId"]}, {"userId": JO["userId"]}],
    }
    return basic_event(**{**fields, **extra})


# ---- notification settings -----------------------------------------------------------


def test_recipients_without_settings_follow_the_default_rules(
    db: Any, client: Client, mailoutbox: list[Any]
) -> None:
    assert_success(deliver(client, followed_reply()), read=False)
    assert mailed(mailoutbox) == sorted([PRIYA["email"], SAM["email"], JO["email"]])


def test_recipients_email_none_gets_nothing_even_when_mentioned(
    db: Any, client: Client, mailoutbox: list[Any]
) -> None:
    body = followed_reply(usersOrganizationNotificationsConfig=config(priya="NONE"))
    assert_success(deliver(client, body), read=False)
    assert mailed(mailoutbox) == sorted([SAM["email"], JO["email"]])


def test_recipients_email_mine_only_when_directly_involved(
    db: Any, client: Client, mailoutbox: list[Any]
) -> None:
    # Sam started the thread and Priya is mentioned: both are involved; Jo only
    # follows it.
    settings = config(sam="MINE", priya="MINE", jo="MINE")
    body = followed_reply(usersOrganizationNotificationsConfig=settings)
    assert_success(deliver(client, body), read=False)
    assert mailed(mailoutbox) == sorted([PRIYA["email"], SAM["email"]])


def test_recipients_email_all_and_unknown_values_keep_the_default_rules(
    db: Any, client: Client, mailoutbox: list[Any]
) -> None:
    settings = config(jo="ALL", sam="SOMETIMES")
    body = followed_reply(usersDocumentNotificationsConfig=settings)
    assert_success(deliver(client, body), read=False)
    assert mailed(mailoutbox) == sorted([PRIYA["email"], SAM["email"], JO["email"]])


def test_recipients_advanced_delivery_settings_are_honoured(
    db: Any, client: Client, mailoutbox: list[Any]
) -> None:
    data = basic_event()
    body = {
        "webhookId": "v2-1",
        "event": "comment.add",
        "source": "comment",
        "data": {k: data[k] for k in ("actionUser", "commentAnnotation", "metadata")}
        | {"targetComment": data["targetComment"]},
        "usersOrganizationNotificationsConfig": config(sam="NONE"),
    }
    raw = json.dumps(body)
    assert_success(deliver(client, raw, token=None, **svix_headers(raw)), read=False)
    assert mailed(mailoutbox) == [PRIYA["email"]]


def test_recipients_never_the_actor_nor_access_denied_users(
    db: Any, client: Client, mailoutbox: list[Any]
) -> None:
    # Velt's processed list and the settings name Alex, who wrote the reply, and Jo,
    # whom Velt denies access.
    body = followed_reply(
        toContactsUpdated=[{"userId": ALEX["userId"]}, {"userId": JO["userId"]}],
        accessDeniedUsers=[JO["userId"]],
        usersOrganizationNotificationsConfig=config(alex="ALL", jo="ALL"),
    )
    assert_success(deliver(client, body), read=False)
    assert mailed(mailoutbox) == [PRIYA["email"]]


# ---- private threads -----------------------------------------------------------------


def test_recipients_of_a_stored_private_thread_are_only_those_it_allows(
    db: Any, client: Client, mailoutbox: list[Any]
) -> None:
    # Only Sam (the author) and Alex may see the thread: Priya, mentioned, may not.
    save_thread(
        client,
        visibilityConfig={"type": "restricted", "userIds": [ALEX["userId"]]},
    )
    assert_success(deliver(client, followed_reply()), read=False)
    assert mailed(mailoutbox) == [SAM["email"]]


@pytest.mark.parametrize("shape", ["basic", "advanced"])
def test_recipients_of_a_delivery_marked_private_are_only_those_it_allows(
    db: Any, client: Client, mailoutbox: list[Any], shape: str
) -> None:
    # Visibility names Priya and Alex (and the thread's author, Sam): Jo, who
    # follows the thread, is not told.
    private = {"type": "restricted", "userIds": [PRIYA["userId"], ALEX["userId"]]}
    if shape == "basic":
        response = deliver(client, followed_reply(visibility=private))
    else:
        data = followed_reply()
        data["visibility"] = private
        body = {"webhookId": "v2-2", "event": "comment.add", "data": data}
        raw = json.dumps(body)
        response = deliver(client, raw, token=None, **svix_headers(raw))
    assert_success(response, read=False)
    assert mailed(mailoutbox) == sorted([PRIYA["email"], SAM["email"]])


def test_recipients_visibility_never_adds_a_recipient(
    db: Any, client: Client, mailoutbox: list[Any]
) -> None:
    # Jo is allowed to see the thread but is not a candidate for this reply.
    private = {"type": "restricted", "userIds": [PRIYA["userId"], JO["userId"]]}
    assert_success(deliver(client, basic_event(visibility=private)), read=False)
    assert mailed(mailoutbox) == sorted([PRIYA["email"], SAM["email"]])


@pytest.mark.parametrize(
    ("config_", "expected"),
    [
        # Private to this organization: its members may all be told.
        ({"type": "organizationPrivate", "organizationId": ORG}, "all"),
        ({"type": "organizationPrivate"}, "all"),
        # Private to another organization: only the users it names.
        ({"type": "organizationPrivate", "organizationIds": ["other-org"]}, "named"),
        # Unknown types fail closed; public restricts nothing.
        ({"type": "private", "userIds": [PRIYA["userId"]]}, "named"),
        ({"type": "public", "userIds": []}, "all"),
    ],
)
def test_recipients_of_organization_private_and_other_types(
    db: Any,
    client: Client,
    mailoutbox: list[Any],
    config_: dict[str, Any],
    expected: str,
) -> None:
    save_thread(client, visibilityConfig={"userIds": [PRIYA["userId"]], **config_})
    assert_success(deliver(client, followed_reply()), read=False)
    everyone = sorted([PRIYA["email"], SAM["email"], JO["email"]])
    named = sorted([PRIYA["email"], SAM["email"]])  # userIds and the author
    assert mailed(mailoutbox) == (everyone if expected == "all" else named)


def test_recipients_rules_inputs_are_on_the_signalled_event(
    db: Any, client: Client
) -> None:
    from velt_django.signals import webhook_received
    from velt_django.webhooks import VeltWebhookEvent

    seen: list[VeltWebhookEvent] = []

    def receiver(sender: Any, event: VeltWebhookEvent, **kwargs: Any) -> None:
        seen.append(event)

    private = {"type": "restricted", "userIds": [PRIYA["userId"]]}
    settings = config(jo="NONE")
    body = basic_event(
        visibility=private, usersOrganizationNotificationsConfig=settings
    )
    webhook_received.connect(receiver, weak=False)
    try:
        assert_success(deliver(client, body), read=False)
    finally:
        webhook_received.disconnect(receiver)
    (event,) = seen
    assert event.visibility == private
    assert event.visible_user_ids == frozenset({PRIYA["userId"], SAM["userId"]})
    assert event.notification_config == settings
