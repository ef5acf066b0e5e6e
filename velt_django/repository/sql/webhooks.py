"""Webhook deliveries on PostgreSQL (``velt_webhook_deliveries``), through Django's ORM:
the same methods, and the same answers, as ``repository.webhooks.
WebhookDeliveryRepository``.

A claim is one ``INSERT … ON CONFLICT (webhook_id) DO UPDATE … WHERE``: a new id is
inserted with a lease, and a stored one is taken over only while the ``WHERE`` holds
(its lease expired, or the id itself expired, below). PostgreSQL evaluates that
condition on the row it has locked, so of several workers claiming one delivery at once
exactly one gets it; the others read the row and answer busy or done. The ORM has no
upsert whose update is conditional, hence this module's one hand-written statement.

``WEBHOOK_DEDUP_DAYS``: PostgreSQL has no TTL index. An id received more than that many
days ago is *expired*: every method treats it as absent (a claim starts it afresh, as
after MongoDB's TTL monitor removed it), and :meth:`SqlWebhookDeliveryRepository.
purge_expired` deletes expired rows (run it on a schedule).
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from typing import Any, ClassVar

from django.db import connections
from django.db.models import F, JSONField, QuerySet, Value
from django.db.models.expressions import CombinedExpression

from ...conf import velt_settings
from ...models import WebhookDeliveryRecord
from .. import webhooks
from ..webhooks import BUSY, CLAIMED, DAY_SECONDS, DONE, PROCESSING, Claim
from .base import database_alias
from .errors import translate_errors

logger = logging.getLogger(__name__)

#: A stored row received before the dedup cutoff.
_EXPIRED = "s.received_at < %(cutoff)s"

_CLAIM = (
    "INSERT INTO {table} AS s (webhook_id, received_at, state, lease_until, claim,"
    " attempts, signalled, emailed)"
    " VALUES (%(webhook_id)s, %(now)s, %(state)s, %(until)s, %(token)s, 0, false,"
    " '[]'::jsonb)"
    " ON CONFLICT (webhook_id) DO UPDATE SET"
    f" received_at = CASE WHEN {_EXPIRED} THEN EXCLUDED.received_at"
    " ELSE s.received_at END,"
    " state = EXCLUDED.state,"
    " lease_until = EXCLUDED.lease_until,"
    " claim = EXCLUDED.claim,"
    f" attempts = CASE WHEN {_EXPIRED} THEN 0 ELSE s.attempts + 1 END,"
    f" signalled = CASE WHEN {_EXPIRED} THEN false ELSE s.signalled END,"
    f" emailed = CASE WHEN {_EXPIRED} THEN '[]'::jsonb ELSE s.emailed END,"
    f" done_at = CASE WHEN {_EXPIRED} THEN NULL ELSE s.done_at END"
    f" WHERE {_EXPIRED}"
    " OR (s.state = %(state)s AND s.lease_until <= %(now)s)"
    " RETURNING s.attempts, s.signalled, s.emailed"
)


class SqlWebhookDeliveryRepository:
    """``velt_webhook_deliveries``: one row per delivery id (``webhook_id``, unique);
    the twin of ``WebhookDeliveryRepository``. Nothing of the payload is stored."""

    model: ClassVar[type[WebhookDeliveryRecord]] = WebhookDeliveryRecord
    id_field: ClassVar[str] = "webhookId"

    def __init__(self, using: str | None = None) -> None:
        self._using = using

    @property
    def using(self) -> str:
        return self._using if self._using is not None else database_alias()

    @staticmethod
    def dedup_cutoff(now: datetime.datetime) -> datetime.datetime:
        """The receipt time before which a delivery id is expired."""
        seconds = velt_settings.WEBHOOK_DEDUP_DAYS * DAY_SECONDS
        return now - datetime.timedelta(seconds=seconds)

    def _live(self, webhook_id: str) -> QuerySet[WebhookDeliveryRecord]:
        """The row of ``webhook_id`` unless it expired."""
        cutoff = self.dedup_cutoff(webhooks.utc_now())
        return self.model._default_manager.using(self.using).filter(
            webhook_id=webhook_id, received_at__gte=cutoff
        )

    def claim(self, webhook_id: str, lease_seconds: int | None = None) -> Claim:
        """Take ``webhook_id`` for processing for ``lease_seconds`` (default
        ``WEBHOOK_LEASE_SECONDS``): a new id, an expired one, or one whose lease
        expired. A done id is :data:`DONE`, a live lease :data:`BUSY`. One statement,
        and one more read when the id is not taken.

        Raises :class:`DatabaseUnavailableError` or :class:`RepositoryError`.
        """
        now = webhooks.utc_now()
        seconds = lease_seconds or velt_settings.WEBHOOK_LEASE_SECONDS
        token = uuid.uuid4().hex
        connection = connections[self.using]
        sql = _CLAIM.format(table=connection.ops.quote_name(self.model._meta.db_table))
        params: dict[str, Any] = {
            "webhook_id": webhook_id,
            "now": now,
            "until": now + datetime.timedelta(seconds=seconds),
            "token": token,
            "state": PROCESSING,
            "cutoff": self.dedup_cutoff(now),
        }
        with translate_errors("claim", self.using), connection.cursor() as cursor:
            cursor.execute(sql, params)
            taken = cursor.fetchone()
        if taken is not None:
            attempts, signalled, emailed = taken
            if isinstance(emailed, str):  # Django loads jsonb as text on raw cursors
                emailed = json.loads(emailed)
            if attempts:
                logger.info("velt webhook %s: expired lease taken over", webhook_id)
            if not isinstance(emailed, list):
                emailed = []
            return Claim(
                CLAIMED,
                token,
                signalled=signalled is True,
                emailed=frozenset(u for u in emailed if isinstance(u, str)),
            )
        with translate_errors("find", self.using):
            state = self._live(webhook_id).values_list("state", flat=True).first()
        if state == PROCESSING:
            return Claim(BUSY)
        # Done (or, if purged just now, gone: as on MongoDB, a retry of a done id).
        return Claim(DONE)

    def record_signalled(self, webhook_id: str) -> None:
        """Remember that ``webhook_received`` was sent for ``webhook_id``."""
        with translate_errors("update", self.using):
            self._live(webhook_id).update(signalled=True)

    def record_email(self, webhook_id: str, user_id: str) -> None:
        """Remember that ``user_id`` was e-mailed about ``webhook_id`` (added once: the
        condition is re-checked on the locked row, so concurrent calls add it once)."""
        added = CombinedExpression(
            F("emailed"), "||", Value([user_id], JSONField()), output_field=JSONField()
        )
        rows = self._live(webhook_id).exclude(emailed__contains=[user_id])
        with translate_errors("update", self.using):
            rows.update(emailed=added)

    def complete(self, webhook_id: str) -> None:
        """Mark ``webhook_id`` done: every later copy is a retry, answered at once."""
        with translate_errors("update", self.using):
            self._live(webhook_id).update(
                state=DONE, done_at=webhooks.utc_now(), lease_until=None, claim=None
            )

    def release(self, webhook_id: str, token: str) -> None:
        """End the lease ``token`` holds without marking the delivery done, so that
        Velt's next retry processes it at once (what went out stays remembered)."""
        rows = self._live(webhook_id).filter(state=PROCESSING, claim=token)
        with translate_errors("update", self.using):
            rows.update(lease_until=webhooks.utc_now(), claim=None)

    def purge_expired(self, *, dry_run: bool = False) -> int:
        """Delete (or with ``dry_run`` count) every expired delivery id: what MongoDB's
        TTL index on ``receivedAt`` does by itself."""
        cutoff = self.dedup_cutoff(webhooks.utc_now())
        rows = self.model._default_manager.using(self.using).filter(
            received_at__lt=cutoff
        )
        with translate_errors("purge", self.using):
            if dry_run:
                return rows.count()
            deleted, _ = rows.delete()
            return deleted
