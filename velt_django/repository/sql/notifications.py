"""Custom notifications on PostgreSQL: annotation records read by ids only, saved with
the merge rule (only ``metadata`` merges key by key)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from ...conf import velt_settings
from ...models import NotificationRecord
from ..annotations import FoundRecord
from ..base import Document, RecordWrite
from .annotations import SqlAnnotationRepository


class SqlNotificationRepository(SqlAnnotationRepository):
    """``velt_notifications``; the twin of ``NotificationRepository``. Reads select by
    ids only: an organization's notifications are never listed wholesale."""

    model = NotificationRecord
    id_field: ClassVar[str] = "notificationId"

    def find(
        self,
        organization_id: str,
        ids: Sequence[str] = (),
        document_ids: Sequence[str] = (),
        folder_id: str | None = None,
    ) -> list[FoundRecord]:
        """Records of the organization with the given ids; no ids → none. The document
        and folder selectors select nothing (notifications are stored under neither)."""
        if not ids:
            return []
        return super().find(organization_id, ids)

    def get_by_ids(
        self, organization_id: str, notification_ids: Sequence[str]
    ) -> dict[str, Document]:
        """The ``data`` map of ``notifications/get``: payloads keyed by notification id."""
        return self.get_many(organization_id, notification_ids)

    def check(self, payload: Document) -> None:
        """Raise what :meth:`save_many` would raise for this payload, without writing."""
        self._prepare(payload)

    def store(self, records: Iterable[RecordWrite]) -> int:
        """Upsert every record with the merge rule, in batches of at most
        ``MAX_RECORDS_PER_SAVE`` (one statement each); returns how many records were
        written. Repeats of one key merge in order: :meth:`save_many` folds them."""
        pending = list(records)
        limit = velt_settings.MAX_RECORDS_PER_SAVE
        for start in range(0, len(pending), limit):
            self.save_many(pending[start : start + limit])
        return len(pending)
