"""Built-in notification e-mails (``VELT["WEBHOOK_EMAILS"]``): mention, reply,
assignment and status change, rendered from overridable templates and sent with
``django.core.mail``."""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Callable, Collection, Iterable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.validators import validate_email
from django.template.loader import render_to_string

from ..conf import velt_settings
from .events import (
    ASSIGNED,
    MESSAGE_ADDED,
    STATUS_CHANGED,
    UPDATED,
    VeltUser,
    VeltWebhookEvent,
)

logger = logging.getLogger(__name__)

#: Kinds in order of precedence: a user named in several ways gets one e-mail, of the
#: first kind that names them.
KINDS = ("mention", "assigned", "reply", "status")

#: Template names; a project overrides them under its own templates directory.
TEMPLATE_DIR = "velt_django/email"


def template_names(kind: str) -> tuple[str, str, str]:
    """Subject, plain-text body and HTML body templates of one kind."""
    base = f"{TEMPLATE_DIR}/{kind}"
    return f"{base}_subject.txt", f"{base}.txt", f"{base}.html"


def _candidates(event: VeltWebhookEvent) -> Iterable[tuple[str, tuple[VeltUser, ...]]]:
    """Who might be told, by kind, before exclusions."""
    kind = event.event_type
    if kind in MESSAGE_ADDED or kind == UPDATED:
        if event.velt_recipients:
            # Velt's processed payload already says who is newly tagged and who gets
            # an update; follow it rather than guessing.
            yield "mention", event.velt_recipients.get("mention", ())
            yield "reply", event.velt_recipients.get("reply", ())
            return
        if kind == UPDATED:
            return  # an edit alone notifies no one (only newly tagged users, above)
        yield "mention", event.mentioned_users
        if kind == "comment.add":
            yield "reply", event.participants
    elif kind == ASSIGNED:
        yield "assigned", event.assigned_users
    elif kind == STATUS_CHANGED:
        yield "status", event.participants + event.assigned_users


def email_setting(event: VeltWebhookEvent, user_id: str) -> str | None:
    """The user's ``email`` setting Velt sent with the delivery (``"ALL"``,
    ``"MINE"`` or ``"NONE"``), or ``None`` when it sent none (or another value)."""
    value = event.notification_config.get(user_id, {}).get("email")
    value = value.upper() if isinstance(value, str) else None
    return value if value in ("ALL", "MINE", "NONE") else None


def _involved(event: VeltWebhookEvent) -> set[str]:
    """Who an event concerns directly (what ``MINE`` asks for): the users mentioned
    in its message, the assignees, and the authors of the thread and its messages."""
    users = [*event.mentioned_users, *event.assigned_users, *event.participants]
    if event.author is not None:
        users.append(event.author)
    return {user.user_id for user in users}


def recipients(event: VeltWebhookEvent) -> list[tuple[str, VeltUser]]:
    """``(kind, user)`` for every user to e-mail about ``event``: never the user who
    acted nor the author of a new or edited message, never a user Velt denies access,
    for a private thread only the users it allows, never against the user's e-mail
    setting (``NONE``: none; ``MINE``: only if directly involved), only users with an
    e-mail, at most one e-mail per user."""
    if not event.is_comment_event:
        return []
    excluded = set(event.access_denied_user_ids)
    # Thread events (assignment, status) concern the thread's first message: its
    # author is told like anyone else, unless they acted themselves.
    message_event = event.event_type in MESSAGE_ADDED or event.event_type == UPDATED
    actors = [event.action_user or event.author]
    if message_event:
        actors.append(event.author)
    excluded.update(actor.user_id for actor in actors if actor is not None)
    visible = event.visible_user_ids
    involved = _involved(event)
    chosen: dict[str, tuple[str, VeltUser]] = {}
    for kind, group in sorted(_candidates(event), key=lambda kg: KINDS.index(kg[0])):
        for user in group:
            if user.user_id in excluded or user.user_id in chosen or not user.email:
                continue
            if visible is not None and user.user_id not in visible:
                continue  # visibility only narrows: it never adds a recipient
            setting = email_setting(event, user.user_id)
            if setting == "NONE" or (
                setting == "MINE" and user.user_id not in involved
            ):
                continue
            chosen[user.user_id] = (kind, user)
    return list(chosen.values())


def context(event: VeltWebhookEvent, kind: str, recipient: VeltUser) -> dict[str, Any]:
    """What the templates see."""
    return {
        "event": event,
        "kind": kind,
        "recipient": recipient,
        "author": event.author,
        "actor": event.action_user or event.author,
        "comment_text": event.comment_text or "",
        "page_url": event.page_url,
        "page_title": event.page_title,
        "status": event.status,
        "document_id": event.document_id,
        "organization_id": event.organization_id,
    }


def build_message(
    event: VeltWebhookEvent, kind: str, recipient: VeltUser
) -> EmailMultiAlternatives:
    """One e-mail, plain text with an HTML alternative."""
    subject_name, text_name, html_name = template_names(kind)
    ctx = context(event, kind, recipient)
    subject = " ".join(render_to_string(subject_name, ctx).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(text_name, ctx),
        from_email=velt_settings.WEBHOOK_EMAIL_FROM or settings.DEFAULT_FROM_EMAIL,
        to=[str(recipient.email)],
    )
    message.attach_alternative(render_to_string(html_name, ctx), "text/html")
    return message


def _address_problem(address: str) -> str | None:
    """Why ``address`` cannot receive an e-mail, else ``None``: ``"separator"`` for a
    comma or a line break (more recipients or headers smuggled in), ``"invalid"`` for
    anything else Django's ``validate_email`` refuses."""
    if any(char in address for char in ",\r\n"):
        return "separator"
    try:
        validate_email(address)
    except ValidationError:
        return "invalid"
    return None


#: What :func:`_send_one` did with one e-mail.
SENT = "sent"
SKIPPED = "skipped"
RETRY = "retry"


def _is_transient(err: Exception) -> bool:
    """Whether a mail failure may pass on its own (Velt's retry should send the e-mail
    again): network and SMTP errors, except an SMTP server's permanent (5xx) refusal.
    Anything else a backend raises, and a refusal, would fail the same way again."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in err.recipients.values()]
        return any(not 500 <= code < 600 for code in codes)
    if isinstance(err, smtplib.SMTPResponseException):
        return not 500 <= err.smtp_code < 600
    return isinstance(err, OSError)


def _send_one(
    connection: BaseEmailBackend, event: VeltWebhookEvent, kind: str, user: VeltUser
) -> str:
    """Send one e-mail: :data:`SENT`, :data:`SKIPPED` (an unusable address, or a
    failure that would repeat) or :data:`RETRY` (a transient failure: left for Velt's
    retry). A failure is logged and concerns this e-mail only."""
    problem = _address_problem(str(user.email))
    if problem is not None:
        logger.warning(
            "velt webhook %s: recipient skipped (%s address)", event.webhook_id, problem
        )
        return SKIPPED
    try:
        sent = int(connection.send_messages([build_message(event, kind, user)]) or 0)
    except Exception as err:  # a mail failure never stops the other e-mails
        retry = _is_transient(err)
        logger.error(
            "velt webhook %s: a notification e-mail failed (%s)%s",
            event.webhook_id,
            type(err).__name__,
            "; left for the retry" if retry else "",
        )
        # The session may be broken: the next e-mail opens a fresh one.
        with suppress(Exception):
            connection.close()
        return RETRY if retry else SKIPPED
    return SENT if sent else SKIPPED


@dataclass
class EmailReport:
    """What :func:`send_notification_emails` did: e-mails ``sent`` now, ``earlier``
    ones an earlier attempt of the delivery had sent (not repeated), and ``left``
    ones not sent, because the time budget ran out or the mail backend failed in a way
    that may pass (Velt's retry sends them)."""

    sent: int = 0
    earlier: int = 0
    left: int = 0


def send_notification_emails(
    event: VeltWebhookEvent,
    *,
    already_sent: Collection[str] = frozenset(),
    on_sent: Callable[[str], None] | None = None,
    deadline: float | None = None,
) -> EmailReport:
    """Send the e-mails of ``event`` over one connection, each on its own so that one
    bad address or refused e-mail does not stop the others. Recipients whose user id
    is in ``already_sent`` are skipped; ``on_sent(user_id)`` runs right after each
    e-mail went (the delivery's memory of what was sent; its errors propagate). No
    e-mail is started once ``time.monotonic()`` reaches ``deadline``. An e-mail (or a
    connection) failing for a network or temporary SMTP reason counts as ``left``;
    a permanent refusal is logged and skipped.
    Failures are logged by type only (addresses and text are personal data)."""
    report = EmailReport()
    planned = []
    for kind, user in recipients(event):
        if user.user_id in already_sent:
            report.earlier += 1
        else:
            planned.append((kind, user))
    if not planned:
        return report
    try:
        connection = get_connection()
        connection.open()
    except Exception as err:
        retry = _is_transient(err)
        logger.error(
            "velt webhook %s: notification e-mails failed (%s)%s",
            event.webhook_id,
            type(err).__name__,
            "; left for the retry" if retry else "",
        )
        if retry:
            report.left = len(planned)
        return report
    try:
        for index, (kind, user) in enumerate(planned):
            if deadline is not None and time.monotonic() >= deadline:
                report.left = len(planned) - index
                break
            outcome = _send_one(connection, event, kind, user)
            if outcome == SENT:
                report.sent += 1
                if on_sent is not None:
                    on_sent(user.user_id)
            elif outcome == RETRY:
                report.left += 1
    finally:
        with suppress(Exception):
            connection.close()
    return report
