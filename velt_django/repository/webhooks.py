"""Webhook deliveries: which ones are done, which one a worker is processing (a lease),
and what of a delivery was already delivered (its signal, its e-mails), so that Velt's
retries are processed until one succeeds and never repeat what went out."""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pymongo import ASCENDING, IndexModel, ReturnDocument

from ..conf import velt_settings
from ..exceptions import DuplicateRecordError
from .base import BaseRepository
from .errors import translate_errors

logger = logging.getLogger(__name__)

#: Name of the TTL index that ``VELT["WEBHOOK_DEDUP_DAYS"]`` drives.
TTL_INDEX = "received_ttl"
DAY_SECONDS = 86400

#: Stored ``state`` of a delivery a worker holds (until ``leaseUntil``) and of one that
#: is finished. Records written before leases existed have no state: they are done.
PROCESSING = "processing"
DONE = "done"

#: What :meth:`WebhookDeliveryRepository.claim` found.
CLAIMED = "claimed"
BUSY = "busy"


def utc_now() -> datetime.datetime:
    """The clock of leases (a function, so that tests can move it)."""
    return datetime.datetime.now(datetime.timezone.utc)


@dataclass(frozen=True)
class Claim:
    """The outcome of a claim: ``status`` is :data:`CLAIMED` (this worker processes
    the delivery, holding ``token``), :data:`DONE` (processed before: a retry) or
    :data:`BUSY` (another worker's lease is still running). A claimed delivery
    carries what earlier attempts already delivered."""

    status: str
    token: str = ""
    #: Whether an earlier attempt already sent ``webhook_received``.
    signalled: bool = False
    #: User ids an earlier attempt already e-mailed.
    emailed: frozenset[str] = field(default_factory=frozenset)


class WebhookDeliveryRepository(BaseRepository):
    """``velt_webhook_deliveries``: one small document per delivery id (``webhookId``,
    unique), removed by a TTL index ``WEBHOOK_DEDUP_DAYS`` after it was first received.

    A worker claims a delivery with a lease (``state: "processing"`` until
    ``leaseUntil``); it is marked ``"done"`` only once its processing succeeded. A
    worker that dies leaves the lease to expire, and Velt's retry takes the delivery
    over. ``signalled`` and ``emailed`` (user ids) remember what already went out, so a
    retry only delivers what is missing. Nothing of the payload is stored.
    """

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

    def claim(self, webhook_id: str, lease_seconds: int | None = None) -> Claim:
        """Take ``webhook_id`` for processing for ``lease_seconds`` (default
        ``WEBHOOK_LEASE_SECONDS``): a new id, or one whose earlier lease expired (its
        worker died or gave up). A done id is :data:`DONE`, a live lease :data:`BUSY`.

        Raises :class:`DatabaseUnavailableError` or :class:`RepositoryError`.
        """
        now = utc_now()
        seconds = lease_seconds or velt_settings.WEBHOOK_LEASE_SECONDS
        until = now + datetime.timedelta(seconds=seconds)
        token = uuid.uuid4().hex
        doc = {
            "webhookId": webhook_id,
            "receivedAt": now,
            "state": PROCESSING,
            "leaseUntil": until,
            "claim": token,
        }
        try:
            with translate_errors("insert_one"):
                self.collection.insert_one(doc)
        except DuplicateRecordError:
            pass
        else:
            return Claim(CLAIMED, token)
        with translate_errors("find_one_and_update"):
            taken: dict[str, Any] | None = self.collection.find_one_and_update(
                {
                    "webhookId": webhook_id,
                    "state": PROCESSING,
                    "leaseUntil": {"$lte": now},
                },
                {
                    "$set": {"leaseUntil": until, "claim": token},
                    "$inc": {"attempts": 1},
                },
                return_document=ReturnDocument.AFTER,
            )
        if taken is not None:
            logger.info("velt webhook %s: expired lease taken over", webhook_id)
            emailed = taken.get("emailed")
            if not isinstance(emailed, list):
                emailed = []
            return Claim(
                CLAIMED,
                token,
                signalled=taken.get("signalled") is True,
                emailed=frozenset(u for u in emailed if isinstance(u, str)),
            )
        with translate_errors("find_one"):
            current = self.collection.find_one({"webhookId": webhook_id}, {"state": 1})
        if current is not None and current.get("state") == PROCESSING:
            return Claim(BUSY)
        # Done, or a legacy record (no state); gone only if the TTL removed it just now.
        return Claim(DONE)

    def record_signalled(self, webhook_id: str) -> None:
        """Remember that ``webhook_received`` was sent for ``webhook_id``."""
        with translate_errors("update_one"):
            self.collection.update_one(
                {"webhookId": webhook_id}, {"$set": {"signalled": True}}
            )

    def record_email(self, webhook_id: str, user_id: str) -> None:
        """Remember that ``user_id`` was e-mailed about ``webhook_id`` (called right
        after each e-mail was handed to the mail backend)."""
        with translate_errors("update_one"):
            self.collection.update_one(
                {"webhookId": webhook_id}, {"$addToSet": {"emailed": user_id}}
            )

    def complete(self, webhook_id: str) -> None:
        """Mark ``webhook_id`` done: every later copy is a retry, answered at once."""
        with translate_errors("update_one"):
            self.collection.update_one(
                {"webhookId": webhook_id},
                {
                    "$set": {"state": DONE, "doneAt": utc_now()},
                    "$unset": {"leaseUntil": "", "claim": ""},
                },
            )

    def release(self, webhook_id: str, token: str) -> None:
        """End the lease ``token`` holds without marking the delivery done, so that
        Velt's next retry processes it at once (what went out stays remembered)."""
        with translate_errors("update_one"):
            self.collection.update_one(
                {"webhookId": webhook_id, "state": PROCESSING, "claim": token},
                {"$set": {"leaseUntil": utc_now()}, "$unset": {"claim": ""}},
            )
