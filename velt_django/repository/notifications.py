"""Custom notifications (docs/notifications.md): one record per (``organizationId``,
``notificationId``), payload nested under ``payload`` like every other record."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from pymongo import ASCENDING, IndexModel

from ..conf import velt_settings
from .annotations import AnnotationRepository, FoundRecord
from .base import Document, RecordWrite


class NotificationRepository(AnnotationRepository):
    """``velt_notifications``. Reads select by ids only: a notification is addressed to
    its recipients, so an organization's notifications are never listed wholesale,
    whatever a caller passes.

    Saves (only from the server, docs/notifications.md, "Storing notification texts from
    your backend") use the merge rule of the annotation records; a notification has no
    keyed maps, so only ``metadata`` merges key by key.
    """

    collection_suffix = "notifications"
    id_field: ClassVar[str] = "notificationId"

    indexes: ClassVar[Sequence[IndexModel]] = (
        IndexModel(
            [("organizationId", ASCENDING), ("notificationId", ASCENDING)],
            unique=True,
            name="org_notification_unique",
        ),
        # Deletes that name no organization look the id up across organizations (the
        # org-less delete, docs/wire-protocol.md, "Requests without an organization"),
        # like the annotation collections' (annotationId) index.
        IndexModel([("notificationId", ASCENDING)], name="notification"),
    )

    def find(
        self,
        organization_id: str,
        ids: Sequence[str] = (),
        document_ids: Sequence[str] = (),
        folder_id: str | None = None,
    ) -> list[FoundRecord]:
        """Records of the organization with the given ids; no ids → none (never a
        listing).

        Notifications are stored under no document or folder, so those selectors
        select nothing either.
        """
        if not ids:
            return []
        return super().find(organization_id, ids)

    def get_by_ids(
        self, organization_id: str, notification_ids: Sequence[str]
    ) -> dict[str, Document]:
        """The ``data`` map of ``notifications/get``: payloads keyed by notification id."""
        return self.get_many(organization_id, notification_ids)

    def check(self, payload: Document) -> None:
        """Raise what :meth:`save_many` would raise for this payload
        (:class:`~velt_django.exceptions.InvalidRecordError`,
        :class:`~velt_django.exceptions.RecordTooLargeError`), without writing."""
        self._prepare(payload)

    def store(self, records: Iterable[RecordWrite]) -> int:
        """Upsert every record with the merge rule, in batches of at most
        ``MAX_RECORDS_PER_SAVE``; returns how many records were written.

        A batch never holds one key twice: a later record of the same key goes into the
        next batch, so it merges over the earlier one in order.
        """
        limit = velt_settings.MAX_RECORDS_PER_SAVE
        batch: list[RecordWrite] = []
        keys: set[tuple[str, str]] = set()
        written = 0
        for record in records:
            key = (record.organization_id, record.record_id)
            if key in keys or len(batch) >= limit:
                self.save_many(batch)
                written += len(batch)
                batch, keys = [], set()
            batch.append(record)
            keys.add(key)
        if batch:
            self.save_many(batch)
            written += len(batch)
        return written
