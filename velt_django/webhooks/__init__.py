"""Velt webhooks: authenticated deliveries become typed events, signals and e-mails.

The receiver is ``velt_django.views.webhooks.VeltWebhookView`` (URL name
``velt:webhooks-velt``); connect to :data:`velt_django.signals.webhook_received` to
handle the :class:`VeltWebhookEvent` of every delivery.
"""

from __future__ import annotations

from .events import VeltUser, VeltWebhookEvent

__all__ = ["VeltUser", "VeltWebhookEvent"]
