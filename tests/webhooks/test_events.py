"""What a delivery becomes: the event filled in from the self-hosted store (a thread
saved through ``comments/save``, users from the directory), the built-in e-mails, and
receivers that raise; and that nothing of the content reaches the logs."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from typing import Any

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends import locmem
from django.test import Client

from velt_django import users
from velt_django.signals import webhook_received
from velt_django.webhooks import VeltUser, VeltWebhookEvent

from ..contracts import assert_failure, assert_success
from ..families import ORG
from ..userapp import directories
from ..webhook_helpers import (
    ALEX,
    FIRST_TEXT,
    PAGE,
    PRIYA,
    REPLY_TEXT,
    SAM,
    basic_event,
    configure,
    deliver,
    stored_thread,
)
from ..wire import json_poster


@pytest.fixture
def db(mongo_db: Any, settings: Any) -> Any:
    configure(settings, WEBHOOK_EMAILS=True)
    users.upsert([SAM, ALEX, PRIYA], ORG)
    return mongo_db


@pytest.fixture
def saved(db: Any, client: Client) -> None:
    """The thread, stored the way the SDK stores it: through ``comments/save``."""
    post = json_poster(client)
    body = {
        "commentAnnotation": {"thread-1": stored_thread()},
        "event": "comment.add",
        "commentId": "660913",
    }
    assert_success(post("comments/save", body, as_=("u_test", ORG)), read=False)


def sent_to(outbox: list[Any], address: str) -> EmailMultiAlternatives:
    (message,) = [m for m in outbox if m.to == [address]]
    assert isinstance(message, EmailMultiAlternatives)
    return message


def html_of(message: EmailMultiAlternatives) -> str:
    (content, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return str(content)


# ---- enrichment ---------------------------------------------------------------------


def test_event_mention_is_enriched_from_the_store_and_directory(
    saved: None, client: Client, events: list[VeltWebhookEvent]
) -> None:
    assert_success(deliver(client, basic_event()), read=False)
    (event,) = events
    assert event.thread_found
    assert (event.organization_id, event.document_id) == (ORG, "spec-q3")
    assert (event.annotation_id, event.comment_id) == ("thread-1", "660913")
    assert event.comment_text == REPLY_TEXT
    assert event.comment_html == "<p><b>@Priya</b> agreed, see the mock</p>"
    assert event.author is not None and event.author.email == ALEX["email"]
    assert event.action_user is not None and event.action_user.name == ALEX["name"]
    assert [(u.user_id, u.email) for u in event.mentioned_users] == [
        (PRIYA["userId"], PRIYA["email"])
    ]
    assert [u.user_id for u in event.participants] == [SAM["userId"], ALEX["userId"]]
    assert event.page_url == PAGE
    assert event.status == "Open"
    assert event.annotation is not None and "comments" in event.annotation
    assert set(event.users()) == {SAM["userId"], ALEX["userId"], PRIYA["userId"]}


def test_event_mention_email_has_the_stored_text_and_directory_address(
    saved: None, client: Client, mailoutbox: list[EmailMultiAlternatives]
) -> None:
    assert_success(deliver(client, basic_event()), read=False)
    message = sent_to(mailoutbox, PRIYA["email"])
    assert message.from_email == "velt@app.example.com"
    assert message.subject == "Alex Kim mentioned you on Q3 spec"
    assert REPLY_TEXT in message.body
    assert PAGE in message.body
    assert "Hi Priya Shah" in message.body
    html = html_of(message)
    assert "@Priya agreed, see the mock" in html
    assert f'href="{PAGE.replace("&", "&amp;")}"' in html


def test_event_text_is_plain_in_text_and_escaped_in_html(
    db: Any, client: Client, mailoutbox: list[EmailMultiAlternatives]
) -> None:
    thread = stored_thread()
    thread["comments"]["660913"]["commentText"] = "<b>5 & 6</b> @Priya"
    post = json_poster(client)
    post("comments/save", {"commentAnnotation": {"thread-1": thread}}, as_=("u", ORG))
    assert_success(deliver(client, basic_event()), read=False)
    message = sent_to(mailoutbox, PRIYA["email"])
    assert "<b>5 & 6</b> @Priya" in message.body
    assert "&lt;b&gt;5 &amp; 6&lt;/b&gt; @Priya" in html_of(message)


def test_event_reply_emails_the_thread_participants_not_the_author(
    saved: None, client: Client, mailoutbox: list[EmailMultiAlternatives]
) -> None:
    deliver(client, basic_event())
    to = sorted(m.to[0] for m in mailoutbox)
    # Priya is mentioned, Sam started the thread; Alex wrote the reply.
    assert to == [PRIYA["email"], SAM["email"]]
    by_address = {m.to[0]: m for m in mailoutbox}
    assert by_address[SAM["email"]].subject == "Alex Kim replied on Q3 spec"


def test_event_author_never_emails_themselves(
    saved: None, client: Client, mailoutbox: list[EmailMultiAlternatives]
) -> None:
    # Alex mentions himself and Priya.
    event = basic_event()
    event["targetComment"]["to"] = [{"userId": ALEX["userId"]}, {"userId": "u_1190"}]
    deliver(client, event)
    assert ALEX["email"] not in [m.to[0] for m in mailoutbox]


def test_event_new_thread_emails_only_the_mentioned(
    db: Any, client: Client, mailoutbox: list[EmailMultiAlternatives]
) -> None:
    thread = stored_thread()
    del thread["comments"]["517204"]
    json_poster(client)(
        "comments/save", {"commentAnnotation": {"thread-1": thread}}, as_=("u", ORG)
    )
    deliver(client, basic_event("newlyAdded"))
    assert [m.to for m in mailoutbox] == [[PRIYA["email"]]]


def test_event_assignment_emails_the_assignee(
    saved: None, client: Client, mailoutbox: list[EmailMultiAlternatives]
) -> None:
    event = basic_event("assigned", comment_id=None)
    event["commentAnnotation"]["assignedTo"] = {"userId": PRIYA["userId"]}
    event["actionUser"] = {"userId": SAM["userId"]}
    deliver(client, event)
    (message,) = mailoutbox
    assert message.to == [PRIYA["email"]]
    assert message.subject == "Sam Reyes assigned a comment to you on Q3 spec"
    # A thread-level event shows the thread's first message.
    assert FIRST_TEXT in message.body


def test_event_status_change_emails_participants_except_the_actor(
    saved: None, client: Client, mailoutbox: list[EmailMultiAlternatives]
) -> None:
    event = basic_event("statusChanged", comment_id=None)
    event["commentAnnotation"]["status"] = {"id": "RESOLVED", "name": "Resolved"}
    event["actionUser"] = {"userId": ALEX["userId"]}
    deliver(client, event)
    (message,) = mailoutbox
    assert message.to == [SAM["email"]]
    assert message.subject == "Alex Kim changed a comment's status to Resolved"


def test_event_processed_recipients_are_followed(
    saved: None, client: Client, mailoutbox: list[EmailMultiAlternatives]
) -> None:
    # Velt's processed payload names whom to tell: only Sam, as an update.
    event = basic_event(toContactsTagged=[], toContactsUpdated=[{"userId": "u_8841"}])
    deliver(client, event)
    assert [(m.to, m.subject) for m in mailoutbox] == [
        ([SAM["email"]], "Alex Kim replied on Q3 spec")
    ]


def test_event_access_denied_users_get_no_email(
    saved: None, client: Client, mailoutbox: list[EmailMultiAlternatives]
) -> None:
    deliver(client, basic_event(accessDeniedUsers=[PRIYA["userId"]]))
    assert PRIYA["email"] not in [m.to[0] for m in mailoutbox]


def test_event_comment_update_sends_no_email(
    saved: None, client: Client, mailoutbox: list[EmailMultiAlternatives]
) -> None:
    deliver(client, basic_event("updated"))
    assert mailoutbox == []


def test_event_users_without_email_are_skipped(
    saved: None, client: Client, mailoutbox: list[EmailMultiAlternatives]
) -> None:
    users.upsert([{"userId": PRIYA["userId"], "name": "Priya", "email": None}], ORG)
    deliver(client, basic_event())
    assert [m.to for m in mailoutbox] == [[SAM["email"]]]


def test_event_emails_are_off_by_default(
    saved: None,
    client: Client,
    settings: Any,
    mailoutbox: list[EmailMultiAlternatives],
    events: list[VeltWebhookEvent],
) -> None:
    settings.VELT = {k: v for k, v in settings.VELT.items() if k != "WEBHOOK_EMAILS"}
    deliver(client, basic_event())
    assert mailoutbox == [] and len(events) == 1


def test_event_from_address_setting(
    saved: None, client: Client, settings: Any, mailoutbox: list[Any]
) -> None:
    configure(settings, WEBHOOK_EMAILS=True, WEBHOOK_EMAIL_FROM="Velt <n@app.example>")
    deliver(client, basic_event())
    assert {m.from_email for m in mailoutbox} == {"Velt <n@app.example>"}


def test_event_templates_are_overridable(
    saved: None, client: Client, settings: Any, tmp_path: Any, mailoutbox: list[Any]
) -> None:
    folder = tmp_path / "velt_django" / "email"
    folder.mkdir(parents=True)
    (folder / "mention_subject.txt").write_text("Custom: {{ recipient.user_id }}")
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [str(tmp_path)],
            "APP_DIRS": True,
        }
    ]
    deliver(client, basic_event())
    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert subjects[PRIYA["email"]] == "Custom: u_1190"


def test_event_unreachable_mail_server_leaves_the_emails_for_the_retry(
    saved: None,
    client: Client,
    settings: Any,
    events: list[VeltWebhookEvent],
    mailoutbox: list[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An SMTP server that cannot be reached may come back: the signal goes out, the
    delivery is answered 503 and left open, and Velt's retry sends the e-mails (the
    signal is not repeated)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1
    assert_failure(deliver(client, basic_event()), 503, "DELIVERY_INCOMPLETE")
    assert len(events) == 1
    assert "notification e-mails failed" in caplog.text
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert_success(deliver(client, basic_event()), read=False)
    assert addresses(mailoutbox) == sorted([PRIYA["email"], SAM["email"]])
    assert len(events) == 1


# ---- whom e-mails go to: the directory's members, never addresses from payloads -------

EVIL = "attacker@evil.example"


def addresses(outbox: list[Any]) -> list[str]:
    return sorted(address for m in outbox for address in m.to)


def test_event_stored_thread_cannot_choose_addresses_or_author(
    db: Any,
    client: Client,
    events: list[VeltWebhookEvent],
    mailoutbox: list[EmailMultiAlternatives],
) -> None:
    # A member of the organization saves the reply with a faked author and a mention
    # carrying an e-mail of their choosing; Velt's delivery says Alex wrote it.
    thread = stored_thread()
    reply = thread["comments"]["660913"]
    reply["from"] = {"userId": SAM["userId"], "name": "Your CEO", "email": EVIL}
    reply["to"] = [
        {"userId": "x", "name": "Evil", "email": EVIL},
        {"userId": PRIYA["userId"], "email": "priya@evil.example"},
    ]
    post = json_poster(client)
    body = {"commentAnnotation": {"thread-1": thread}}
    assert_success(post("comments/save", body, as_=("u_test", ORG)), read=False)

    assert_success(deliver(client, basic_event()), read=False)
    (event,) = events
    assert event.author == VeltUser(ALEX["userId"], ALEX["name"], ALEX["email"])
    ghost = next(u for u in event.mentioned_users if u.user_id == "x")
    assert (ghost.name, ghost.email) == (None, None)
    assert addresses(mailoutbox) == [PRIYA["email"], SAM["email"]]
    assert sent_to(mailoutbox, PRIYA["email"]).subject == (
        "Alex Kim mentioned you on Q3 spec"
    )


def test_event_delivery_e_mails_are_never_used(
    db: Any,
    client: Client,
    events: list[VeltWebhookEvent],
    mailoutbox: list[EmailMultiAlternatives],
) -> None:
    event = basic_event(toContactsTagged=[{"userId": "x", "email": EVIL}])
    event["targetComment"]["to"] = [{"userId": "v", "name": "Visitor", "email": EVIL}]
    event["targetComment"]["from"] = {"userId": ALEX["userId"], "email": EVIL}
    assert_success(deliver(client, event), read=False)
    (built,) = events
    assert built.author is not None and built.author.email == ALEX["email"]
    # Velt's display name is kept for the templates; the e-mail is the directory's.
    assert [(u.user_id, u.name, u.email) for u in built.mentioned_users] == [
        ("v", "Visitor", None),
        ("x", None, None),
    ]
    assert EVIL not in addresses(mailoutbox)


@pytest.mark.parametrize("scoped", [False, True], ids=["unscoped", "scoped"])
@pytest.mark.parametrize(
    "kind", [pytest.param("django", marks=pytest.mark.django_db), "mongo"]
)
def test_event_user_only_of_another_organization_is_not_mailed(
    db: Any,
    client: Client,
    settings: Any,
    events: list[VeltWebhookEvent],
    mailoutbox: list[EmailMultiAlternatives],
    kind: str,
    scoped: bool,
) -> None:
    directory = directories.configure(kind, settings)
    directory.scope(scoped)
    bob = {"userId": "u_5120", "name": "Bob Other", "email": "bob@globex.example"}
    directory.load(SAM, ALEX, PRIYA, org=ORG)
    directory.load(bob, org="globex")
    event = basic_event()
    event["targetComment"]["to"] = [{"userId": bob["userId"]}, {"userId": "u_1190"}]
    assert_success(deliver(client, event), read=False)
    (built,) = events
    assert [(u.user_id, u.name, u.email) for u in built.mentioned_users] == [
        (bob["userId"], None, None),
        (PRIYA["userId"], PRIYA["name"], PRIYA["email"]),
    ]
    assert addresses(mailoutbox) == [PRIYA["email"], SAM["email"]]


@pytest.mark.django_db
def test_event_directory_without_memberships_mails_nobody(
    db: Any,
    client: Client,
    settings: Any,
    events: list[VeltWebhookEvent],
    mailoutbox: list[EmailMultiAlternatives],
) -> None:
    # Django's user model without USER_FIELDS["organizations"] cannot say who belongs
    # to the delivery's organization: nobody is taken for a member.
    configure(settings, WEBHOOK_EMAILS=True)
    settings.VELT = {
        **settings.VELT,
        "USER_DIRECTORY_CLASS": "velt_django.directory.DjangoUserDirectory",
    }
    users.upsert([SAM, ALEX, PRIYA], ORG)
    assert set(users.get_many([PRIYA["userId"]], ORG)) == {PRIYA["userId"]}
    assert_success(deliver(client, basic_event()), read=False)
    assert [u.email for u in events[0].mentioned_users] == [None]
    assert mailoutbox == []


@pytest.mark.parametrize(
    "bad",
    ["x@evil, y@evil", "z@acme.example\nBcc: y@evil.example", "no-at-sign"],
    ids=["comma", "newline", "invalid"],
)
def test_event_malformed_address_does_not_stop_the_other_emails(
    db: Any,
    client: Client,
    mailoutbox: list[EmailMultiAlternatives],
    caplog: pytest.LogCaptureFixture,
    bad: str,
) -> None:
    caplog.set_level(logging.INFO)
    users.upsert([{"userId": "u_bad", "name": "Bad", "email": bad}], ORG)
    event = basic_event()
    # The bad address is the first e-mail of the delivery.
    event["targetComment"]["to"] = [{"userId": "u_bad"}, {"userId": PRIYA["userId"]}]
    assert_success(deliver(client, event), read=False)
    assert addresses(mailoutbox) == [PRIYA["email"], SAM["email"]]
    assert "emails=2" in caplog.text
    assert "recipient skipped" in caplog.text
    assert bad not in caplog.text and "evil" not in caplog.text


class RefusingBackend(locmem.EmailBackend):
    """Django's test backend, refusing ``refused@acme.example`` as an SMTP server would."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        if any("refused@acme.example" in m.to for m in messages):
            raise smtplib.SMTPRecipientsRefused({"refused@acme.example": (550, b"no")})
        return super().send_messages(messages)


def test_event_refused_email_does_not_stop_the_others(
    db: Any, client: Client, settings: Any, mailoutbox: list[EmailMultiAlternatives]
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    users.upsert([{"userId": "u_gone", "email": "refused@acme.example"}], ORG)
    event = basic_event()
    event["targetComment"]["to"] = [{"userId": "u_gone"}, {"userId": PRIYA["userId"]}]
    assert_success(deliver(client, event), read=False)
    assert addresses(mailoutbox) == [PRIYA["email"], SAM["email"]]


# ---- missing self-hosted data -------------------------------------------------------


def test_event_deleted_thread_yields_what_is_known(
    saved: None,
    client: Client,
    events: list[VeltWebhookEvent],
    mailoutbox: list[EmailMultiAlternatives],
) -> None:
    post = json_poster(client)
    delete = {"commentAnnotationId": "thread-1", "metadata": {"organizationId": ORG}}
    assert_success(post("comments/delete", delete, as_=("u", ORG)), read=False)
    assert_success(deliver(client, basic_event()), read=False)
    (event,) = events
    assert not event.thread_found and event.annotation is None
    assert event.comment_text is None
    assert (event.annotation_id, event.comment_id) == ("thread-1", "660913")
    # Users still come from the directory.
    assert [u.email for u in event.mentioned_users] == [PRIYA["email"]]
    assert REPLY_TEXT not in sent_to(mailoutbox, PRIYA["email"]).body


def test_event_unknown_users_and_organization_are_tolerated(
    db: Any, client: Client, events: list[VeltWebhookEvent]
) -> None:
    event = basic_event(actionUser="u_nobody")
    del event["metadata"], event["commentAnnotation"]["metadata"]
    event["targetComment"]["to"] = [{"userId": "u_ghost"}, "u_ghost", 7, None, {}]
    assert_success(deliver(client, event), read=False)
    (built,) = events
    assert built.organization_id is None and not built.thread_found
    assert [(u.user_id, u.email) for u in built.mentioned_users] == [("u_ghost", None)]


def test_event_database_error_while_enriching_still_signals(
    saved: None,
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
    events: list[VeltWebhookEvent],
) -> None:
    from velt_django.exceptions import DatabaseUnavailableError
    from velt_django.repository.comments import CommentRepository

    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise DatabaseUnavailableError("the database is unavailable")

    monkeypatch.setattr(CommentRepository, "get_many", unavailable)
    assert_success(deliver(client, basic_event()), read=False)
    assert [e.thread_found for e in events] == [False]


@pytest.mark.parametrize(
    "body",
    [
        {"webhookId": "h1", "notificationSource": "huddle", "actionType": "created"},
        {"webhookId": "c1", "notificationSource": "crdt", "actionType": "updateData"},
        {"webhookId": "x1"},
        {"webhookId": "x2", "commentAnnotation": "odd", "metadata": [1]},
    ],
)
def test_event_other_sources_and_odd_shapes_are_signalled(
    db: Any,
    client: Client,
    events: list[VeltWebhookEvent],
    mailoutbox: list[Any],
    body: dict[str, Any],
) -> None:
    assert_success(deliver(client, body), read=False)
    (event,) = events
    assert event.payload == body
    assert mailoutbox == []


def test_event_basic_action_types_map_to_velt_event_names(
    db: Any, client: Client, events: list[VeltWebhookEvent]
) -> None:
    actions = ["newlyAdded", "deleted", "assigned", "accepted", "rejected", "mystery"]
    for i, action in enumerate(actions):
        deliver(client, basic_event(action, webhook_id=f"w{i}"))
    assert [e.event_type for e in events] == [
        "comment_annotation.add",
        "comment.delete",
        "comment_annotation.assign",
        "comment_annotation.accept",
        "comment_annotation.reject",
        "comment.mystery",
    ]


@pytest.mark.parametrize(
    ("source", "action", "expected"),
    [
        ("huddle", "created", "huddle.create"),
        ("huddle", "join", "huddle.join"),
        ("huddle", "joined", "huddle.join"),
        ("crdt", "updateData", "crdt.update_data"),
    ],
)
def test_event_basic_huddle_and_crdt_actions_map_to_velt_event_names(
    db: Any,
    client: Client,
    events: list[VeltWebhookEvent],
    source: str,
    action: str,
    expected: str,
) -> None:
    body = {"webhookId": "h1", "notificationSource": source, "actionType": action}
    assert_success(deliver(client, body), read=False)
    assert [(e.source, e.event_type) for e in events] == [(source, expected)]


def test_event_page_url_must_be_http(
    db: Any, client: Client, events: list[VeltWebhookEvent]
) -> None:
    event = basic_event()
    event["metadata"]["pageInfo"]["url"] = "javascript:alert(1)"
    event["commentAnnotation"]["metadata"] = event["metadata"]
    deliver(client, event)
    assert events[0].page_url is None


def test_event_repr_has_no_personal_data(
    saved: None, client: Client, events: list[VeltWebhookEvent]
) -> None:
    deliver(client, basic_event())
    text = repr(events[0])
    assert "thread-1" in text
    for secret in (REPLY_TEXT, PRIYA["email"], PRIYA["name"], PAGE):
        assert secret not in text


# ---- receivers that raise, and logs -------------------------------------------------


def test_event_receiver_that_raises_is_logged_and_emails_still_go(
    saved: None,
    client: Client,
    mailoutbox: list[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(sender: Any, event: VeltWebhookEvent, **kwargs: Any) -> None:
        raise RuntimeError(f"cannot index {event.comment_text}")

    later: list[str] = []

    def healthy(sender: Any, event: VeltWebhookEvent, **kwargs: Any) -> None:
        later.append(event.webhook_id)

    webhook_received.connect(broken, weak=False)
    webhook_received.connect(healthy, weak=False)
    try:
        assert_success(deliver(client, basic_event()), read=False)
    finally:
        webhook_received.disconnect(broken)
        webhook_received.disconnect(healthy)
    assert later == ["velt:wh-0001"]
    assert len(mailoutbox) == 2
    assert "broken raised RuntimeError" in caplog.text
    assert REPLY_TEXT not in caplog.text


def test_event_no_payload_text_in_logs(
    saved: None,
    client: Client,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("velt_django", "django"):
        # Through caplog, which puts the level back after the test.
        caplog.set_level(logging.DEBUG, logger=name)
    marker = "pii-webhook-marker-Qz7"
    event = basic_event(
        commentText=marker,
        actionUser={"userId": ALEX["userId"], "email": f"{marker}@x.example"},
    )
    event["metadata"]["pageInfo"]["title"] = marker
    deliver(client, event)
    deliver(client, event)  # the retry
    deliver(client, event, token="wrong")
    deliver(client, {"encodedPayload": marker})
    deliver(client, f'{{"{marker}": ')
    text = caplog.text + " ".join(repr(r.args) for r in caplog.records)
    for secret in (marker, REPLY_TEXT, PRIYA["email"], SAM["email"], "Priya Shah"):
        assert secret not in text
    assert "wh-0001" in text  # ids are logged
