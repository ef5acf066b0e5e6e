"""Django signals: every Velt webhook event, and every successful resolver write.

They are velt_django's integration point for search indexing, audit logs and custom
notifications: connect a receiver instead of subclassing a view.

``webhook_received``
    Sent once per Velt webhook delivery that passed authentication and was not a
    retry of one already processed. ``sender`` is the receiving view class; the
    keyword argument ``event`` is a :class:`velt_django.webhooks.VeltWebhookEvent`
    (action, organization, document, annotation, the comment's text and HTML from
    the self-hosted store, author, mentioned and assigned users with their e-mails,
    page URL, and the decoded Velt payload). The built-in notification e-mails
    (``VELT["WEBHOOK_EMAILS"]``) are sent after the receivers ran.

``record_saved`` / ``record_deleted``
    Sent after a resolver write reached MongoDB: once per organization of a save
    (``comments/save``, ``reactions/save``, ``recordings/save``, ``activities/save``,
    file uploads) and for each delete that removed something (``…/delete``). Keyword
    arguments:

    - ``family``: ``"comments"``, ``"reactions"``, ``"recordings"``, ``"activities"``,
      ``"notifications"``, or a file scope: ``"attachments"``, ``"recording-files"``;
    - ``organization_id``: the organization written to;
    - ``record_ids``: tuple of the record ids written (annotation, activity and
      notification ids; a file's public id);
    - ``event``: Velt's event string of the request (``"comment.add"`` …) or ``None``.

    No payload text travels with them: a receiver that needs the content reads it
    back (e.g. ``CommentRepository().get_many(organization_id, record_ids)``).
    Resolver views send them with ``ResolverView.notify_written``; other code that
    writes announces its writes with :func:`notify_record_written`, e.g.
    ``notify_record_written(sender, "saved", family="attachments",
    organization_id=org, record_ids=[public_id], event="attachment.add")``.

Receivers run synchronously in the request. One that raises is logged (its name, the
exception type and the traceback's frames, never the message or the arguments, which
can carry personal data) and the next receivers still run: a failing receiver never
turns a resolver write or a webhook delivery into an error answer.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any, Literal

from django.dispatch import Signal

logger = logging.getLogger(__name__)

#: Set while velt_django sends one of its signals (a context variable, so it follows
#: the receivers into asgiref's thread for async receivers, and no other request).
_sending: ContextVar[bool] = ContextVar("velt_django_sending", default=False)


class _QuietRobustFailures(logging.Filter):
    """Drops Django's own report of a receiver failure (``django.dispatch``) while
    velt_django sends: it quotes the exception's message, which can carry personal
    data. :func:`send_safely` logs the failure itself, without the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _sending.get()


logging.getLogger("django.dispatch").addFilter(_QuietRobustFailures())

#: One Velt webhook event; kwargs: ``event`` (:class:`~velt_django.webhooks.VeltWebhookEvent`).
webhook_received = Signal()

#: Records stored by a resolver; kwargs: ``family``, ``organization_id``, ``record_ids``, ``event``.
record_saved = Signal()

#: Records removed by a resolver; kwargs: ``family``, ``organization_id``, ``record_ids``, ``event``.
record_deleted = Signal()

WriteAction = Literal["saved", "deleted"]


def _receiver_name(receiver: Any) -> str:
    target = getattr(receiver, "__func__", receiver)
    module = getattr(target, "__module__", None) or "?"
    name = getattr(target, "__qualname__", None) or type(target).__name__
    return f"{module}.{name}"


def send_safely(signal: Signal, sender: Any, **kwargs: Any) -> int:
    """Send ``signal`` to every receiver; a receiver that raises is logged without its
    message or arguments and the others still run. Returns how many receivers raised."""
    failures = 0
    token = _sending.set(True)
    try:
        results = signal.send_robust(sender, **kwargs)
    finally:
        _sending.reset(token)
    for receiver, result in results:
        if isinstance(result, Exception):
            failures += 1
            frames = "".join(traceback.format_tb(result.__traceback__))
            logger.error(
                "velt_django signal receiver %s raised %s\n%s",
                _receiver_name(receiver),
                type(result).__name__,
                frames,
            )
    return failures


def notify_record_written(
    sender: Any,
    action: WriteAction,
    *,
    family: str,
    organization_id: str,
    record_ids: Iterable[str],
    event: str | None = None,
) -> None:
    """Send :data:`record_saved` (``action="saved"``) or :data:`record_deleted`
    (``action="deleted"``) for records of one organization; never raises because of a
    receiver."""
    signal = record_saved if action == "saved" else record_deleted
    send_safely(
        signal,
        sender,
        family=family,
        organization_id=organization_id,
        record_ids=tuple(dict.fromkeys(str(i) for i in record_ids)),
        event=event,
    )
