"""What happens to an accepted delivery, before it is answered: a lease is taken on
its id, the event is built, the signal sent and the built-in e-mails (when on) go out;
only then is the delivery marked done. A failure, a dead worker or a spent time budget
leaves it to Velt's retry, which sends only what did not go out yet."""

from __future__ import annotations

import logging
import traceback
from contextlib import suppress
from typing import Any

from ..conf import velt_settings
from ..repository.backend import resolve
from ..repository.webhooks import BUSY, DONE, Claim, WebhookDeliveryRepository
from ..signals import send_safely, webhook_received
from .delivery import Delivery
from .emails import EmailReport, send_notification_emails
from .enrich import build_event

logger = logging.getLogger(__name__)

#: Outcomes of :func:`handle`.
PROCESSED = "processed"
DUPLICATE = "duplicate"
IN_PROGRESS = "in_progress"
INCOMPLETE = "incomplete"


def handle(delivery: Delivery, sender: Any, deadline: float | None = None) -> str:
    """Claim ``delivery`` and process it (:func:`process`); returns :data:`PROCESSED`
    (now marked done), :data:`DUPLICATE` (done before), :data:`IN_PROGRESS` (another
    worker holds a live lease) or :data:`INCOMPLETE` (e-mails left when ``deadline``,
    a ``time.monotonic()`` value, passed, or when the mail backend failed in a way
    that may pass). A failure releases the lease and is raised: the delivery stays
    open for Velt's retry.

    Raises :class:`DatabaseUnavailableError` or :class:`RepositoryError`.
    """
    repository = resolve(WebhookDeliveryRepository)()
    claim = repository.claim(delivery.webhook_id)
    if claim.status == DONE:
        logger.info("velt webhook %s: already processed", delivery.webhook_id)
        return DUPLICATE
    if claim.status == BUSY:
        logger.info("velt webhook %s: being processed elsewhere", delivery.webhook_id)
        return IN_PROGRESS
    logger.info("velt webhook %s accepted (%s)", delivery.webhook_id, delivery.channel)
    try:
        if process(delivery, sender, claim, repository, deadline):
            repository.complete(delivery.webhook_id)
            return PROCESSED
    except Exception:
        with suppress(Exception):  # else the lease expires: the retry after it
            repository.release(delivery.webhook_id, claim.token)
        raise
    repository.release(delivery.webhook_id, claim.token)
    return INCOMPLETE


def process(
    delivery: Delivery,
    sender: Any,
    claim: Claim,
    repository: WebhookDeliveryRepository,
    deadline: float | None = None,
) -> bool:
    """Build the event of ``delivery``, send :data:`~velt_django.signals.webhook_received`
    from ``sender`` unless an earlier attempt did, then the notification e-mails not
    sent yet, each remembered in ``repository`` as it goes. Returns whether all of it
    is done (``False``: e-mails left when ``deadline`` passed or the mail backend
    failed transiently). An event that cannot be built is logged (the traceback's
    frames only) and counts as done: a retry would fail the same way. Errors remembering what went out are raised."""
    try:
        event = build_event(delivery)
    except Exception as err:
        frames = "".join(traceback.format_tb(err.__traceback__))
        logger.error(
            "velt webhook %s: event not built (%s)\n%s",
            delivery.webhook_id,
            type(err).__name__,
            frames,
        )
        return True
    failures = 0
    if not claim.signalled:
        failures = send_safely(webhook_received, sender, event=event)
        repository.record_signalled(delivery.webhook_id)
    report = EmailReport()
    if velt_settings.WEBHOOK_EMAILS:
        report = send_notification_emails(
            event,
            already_sent=claim.emailed,
            on_sent=lambda user_id: repository.record_email(
                delivery.webhook_id, user_id
            ),
            deadline=deadline,
        )
    logger.info(
        "velt webhook %s processed: event=%s org=%s thread=%s signalled=%s "
        "receiver_errors=%d emails=%d emails_earlier=%d emails_left=%d",
        delivery.webhook_id,
        event.event_type,
        event.organization_id or "-",
        "found" if event.thread_found else "missing",
        "earlier" if claim.signalled else "now",
        failures,
        report.sent,
        report.earlier,
        report.left,
    )
    return report.left == 0
