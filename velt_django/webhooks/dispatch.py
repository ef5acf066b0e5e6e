"""What happens to an accepted delivery: the event is built, the signal sent, and the
built-in e-mails (when on) go out. Nothing here raises."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from ..conf import velt_settings
from ..signals import send_safely, webhook_received
from .delivery import Delivery
from .emails import send_notification_emails
from .enrich import build_event
from .events import VeltWebhookEvent

logger = logging.getLogger(__name__)


def process(delivery: Delivery, sender: Any) -> VeltWebhookEvent | None:
    """Build the event of ``delivery``, send :data:`~velt_django.signals.webhook_received`
    from ``sender``, then the notification e-mails. Returns the event, or ``None`` when
    it could not be built (logged with the traceback's frames only)."""
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
        return None
    failures = send_safely(webhook_received, sender, event=event)
    sent = send_notification_emails(event) if velt_settings.WEBHOOK_EMAILS else 0
    logger.info(
        "velt webhook %s processed: event=%s org=%s thread=%s receiver_errors=%d emails=%d",
        delivery.webhook_id,
        event.event_type,
        event.organization_id or "-",
        "found" if event.thread_found else "missing",
        failures,
        sent,
    )
    return event
