"""Webhook delivery ids already processed: how a Velt retry is recognised and skipped."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from typing import ClassVar

from pymongo import ASCENDING, IndexModel

from ..conf import velt_settings
from ..exceptions import DuplicateRecordError
from .base import BaseRepository
from .errors import translate_errors

logger = logging.getLogger(__name__)

#: Name of the TTL index that ``VELT["WEBHOOK_DEDUP_DAYS"]`` drives.
TTL_INDEX = "received_ttl"
DAY_SECONDS = 86400


class WebhookDeliveryRepository(BaseRepository):
    """``velt_webhook_deliveries``: one small document per processed delivery id
    (``webhookId``, unique), removed by a TTL index ``WEBHOOK_DEDUP_DAYS`` after it was
    received. Nothing of the payload is stored."""

    collection_suffix = "webhook_deliveries"
    id_field: ClassVar[str] = "webhookId"

    indexes: ClassVar[Sequence[IndexModel]] = (
        IndexModel([("webhookId", ASCENDING)], unique=True, name="webhook_unique"),
    )

    def ensure_indexes(self) -> list[str]:
        """The unique index plus the TTL index on ``receivedAt``; a changed
        ``WEBHOOK_DEDUP_DAYS`` is applied with ``collMod`` (or by recreating the index)."""
        names = super().ensure_indexes()
        seconds = velt_settings.WEBHOOK_DEDUP_DAYS * DAY_SECONDS
        self.ensure_ttl_index(TTL_INDEX, "receivedAt", seconds)
        return [*names, TTL_INDEX]

    def claim(self, webhook_id: str) -> bool:
        """Record ``webhook_id`` as received; ``False`` when it was already recorded
        (a retry, or a concurrent delivery of the same id that won the insert).

        Raises :class:`DatabaseUnavailableError` or :class:`RepositoryError`.
        """
        now = datetime.datetime.now(datetime.timezone.utc)
        doc = {"webhookId": webhook_id, "receivedAt": now}
        try:
            with translate_errors("insert_one"):
                self.collection.insert_one(doc)
        except DuplicateRecordError:
            return False
        return True
