"""Activity records on PostgreSQL, through Django's ORM: the same methods, and the same
answers, as ``repository.activities.ActivityRepository``.

Saves are append-only, as on MongoDB: the first save of an id stores its payload, a
later one only adds the top-level keys (and ``metadata`` keys) not stored yet. Like the
annotation twins' merge, that is one ``INSERT … ON CONFLICT DO UPDATE`` (the stored keys
win over the sent ones in the ``SET``), so a save is one statement, and concurrent saves
of one activity serialize on its row: the first to store a key keeps it.

Retention (``ACTIVITY_RETENTION_DAYS``): PostgreSQL has no TTL index. An activity
created more than that many days ago is *expired*: reads ignore it, a save of its id
starts the record afresh (as after MongoDB's TTL monitor removed it), and
:meth:`SqlActivityRepository.purge_expired` deletes expired rows (run it on a schedule).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, ClassVar

from django.db import connections
from django.db.models import Q, QuerySet

from ...conf import velt_settings
from ...models import ActivityRecord
from ..activities import FoundActivity
from ..base import Document, RecordWrite
from .base import SqlRecordTable, as_object, write_in_statements
from .errors import translate_errors

#: The ``SET payload`` of an append: the sent object under the stored one (stored keys
#: win), and a sent ``metadata`` object under the stored ``metadata`` object.
_APPEND = (
    "EXCLUDED.payload"
    " || CASE WHEN jsonb_typeof(s.payload) = 'object' THEN s.payload"
    " ELSE '{}'::jsonb END"
    " || CASE WHEN jsonb_typeof(s.payload -> 'metadata') = 'object'"
    " AND jsonb_typeof(EXCLUDED.payload -> 'metadata') = 'object'"
    " THEN jsonb_build_object('metadata',"
    " (EXCLUDED.payload -> 'metadata') || (s.payload -> 'metadata'))"
    " ELSE '{}'::jsonb END"
)

#: A stored row created before the retention cutoff (``NULL`` cutoff: never).
_EXPIRED = "s.created_at < %s::timestamptz"


def append_payload(stored: Document, sent: Document) -> Document:
    """``stored`` with the keys of ``sent`` it lacks (``metadata`` entry by entry), as
    the upsert's ``SET`` computes it; folds repeats of one activity within a save."""
    appended = {**sent, **stored}
    metadata, sent_metadata = stored.get("metadata"), sent.get("metadata")
    if isinstance(metadata, dict) and isinstance(sent_metadata, dict):
        appended["metadata"] = {**sent_metadata, **metadata}
    return appended


class SqlActivityRepository(SqlRecordTable):
    """``velt_activities``, keyed by (``organization_id``, ``activity_id``); the twin of
    ``ActivityRepository``."""

    model: ClassVar[type[ActivityRecord]] = ActivityRecord
    id_field: ClassVar[str] = "activityId"
    id_column: ClassVar[str] = "activity_id"
    version_field: ClassVar[str] = "rev"

    def _records(self) -> QuerySet[ActivityRecord]:
        return self.model._default_manager.using(self.using)

    # ---- retention -----------------------------------------------------------------

    @staticmethod
    def retention_cutoff(
        now: datetime.datetime | None = None,
    ) -> datetime.datetime | None:
        """The creation time before which an activity is expired; ``None`` while
        ``ACTIVITY_RETENTION_DAYS`` is not set."""
        days = velt_settings.ACTIVITY_RETENTION_DAYS
        if days is None:
            return None
        now = now or datetime.datetime.now(datetime.timezone.utc)
        return now - datetime.timedelta(days=days)

    def _readable(self) -> QuerySet[ActivityRecord]:
        return self._live()

    def _live(self) -> QuerySet[ActivityRecord]:
        """The activities a read sees: the expired ones left out."""
        cutoff = self.retention_cutoff()
        records = self._records()
        return records if cutoff is None else records.filter(created_at__gte=cutoff)

    # ---- reads -------------------------------------------------------------------

    def find(
        self,
        organization_id: str | None,
        ids: Sequence[str] = (),
        document_ids: Sequence[str] = (),
    ) -> list[FoundActivity]:
        """Activities matching ids OR documents; with an organization and no selector,
        every activity of the organization; without an organization, matched on the
        selectors alone in every organization (no selector: none). One query."""
        selectors = Q()
        if ids:
            selectors |= Q(activity_id__in=list(ids))
        if document_ids:
            selectors |= Q(document_id__in=list(document_ids))
        if organization_id is not None:
            selectors &= Q(organization_id=organization_id)
        elif not (ids or document_ids):
            return []
        rows = self._live().filter(selectors)
        with translate_errors("find", self.using):
            return [
                FoundActivity(org, record_id, document_id, as_object(payload))
                for org, record_id, document_id, payload in rows.values_list(
                    "organization_id", "activity_id", "document_id", "payload"
                )
            ]

    # ---- writes ------------------------------------------------------------------

    def _upsert(
        self,
        rows: Sequence[tuple[RecordWrite, str]],
        event: str | None,
        now: datetime.datetime,
        cutoff: datetime.datetime | None,
    ) -> None:
        table = connections[self.using].ops.quote_name(self.model._meta.db_table)
        values: list[Any] = []
        for record, payload in rows:
            values += [
                record.organization_id,
                record.record_id,
                record.document_id,
                payload,
                now,
                now,
                event,
            ]
        placeholders = ", ".join(["(%s, %s, %s, %s::jsonb, 1, %s, %s, %s)"] * len(rows))
        sql = (
            f"INSERT INTO {table} AS s (organization_id, activity_id, document_id,"
            " payload, rev, created_at, updated_at, last_event)"
            f" VALUES {placeholders}"
            " ON CONFLICT (organization_id, activity_id) DO UPDATE SET"
            f" payload = CASE WHEN {_EXPIRED} THEN EXCLUDED.payload ELSE {_APPEND} END,"
            f" document_id = CASE WHEN {_EXPIRED} THEN EXCLUDED.document_id"
            " ELSE COALESCE(s.document_id, EXCLUDED.document_id) END,"
            f" created_at = CASE WHEN {_EXPIRED} THEN EXCLUDED.created_at"
            " ELSE s.created_at END,"
            " rev = s.rev + 1,"
            " updated_at = EXCLUDED.updated_at,"
            " last_event = EXCLUDED.last_event"
        )
        with connections[self.using].cursor() as cursor:
            cursor.execute(sql, [*values, cutoff, cutoff, cutoff])

    def save_many(
        self, records: Sequence[RecordWrite], event: str | None = None
    ) -> None:
        """Store new activities; add only missing keys to stored ones (see the module
        docstring). One statement for up to ``ROWS_PER_STATEMENT`` records, all or
        nothing.

        Raises :class:`RecordTooLargeError`, :class:`InvalidRecordError`,
        :class:`DatabaseUnavailableError` or :class:`RepositoryError`.
        """
        now = datetime.datetime.now(datetime.timezone.utc)
        cutoff = self.retention_cutoff(now)
        for record in records:
            self._prepare(record.payload)
        if not records:
            return
        # One statement may not touch a row twice: fold repeats in order (the first
        # value of each key wins), and lock rows in key order against deadlocks.
        folded: dict[tuple[str, str], RecordWrite] = {}
        for record in records:
            key = (record.organization_id, record.record_id)
            earlier = folded.get(key)
            if earlier is not None:
                record = RecordWrite(
                    record.organization_id,
                    record.record_id,
                    append_payload(earlier.payload, record.payload),
                    earlier.document_id or record.document_id,
                )
            folded[key] = record
        rows = [
            (folded[key], self._prepare(folded[key].payload)) for key in sorted(folded)
        ]
        with translate_errors("save", self.using):
            write_in_statements(
                self.using, rows, lambda chunk: self._upsert(chunk, event, now, cutoff)
            )

    # ---- purge ---------------------------------------------------------------------

    def purge(
        self,
        organization_id: str,
        document_id: str | None = None,
        older_than: datetime.datetime | None = None,
        *,
        dry_run: bool = False,
    ) -> int:
        """Delete (or with ``dry_run`` count) the activities of one organization,
        optionally only of one document and/or created before ``older_than``
        (``manage.py velt_purge_activities``); expired ones included."""
        rows = self._records().filter(organization_id=organization_id)
        if document_id is not None:
            rows = rows.filter(document_id=document_id)
        if older_than is not None:
            rows = rows.filter(created_at__lt=older_than)
        return self._delete(rows, dry_run)

    def purge_expired(self, *, dry_run: bool = False) -> int:
        """Delete (or count) every expired activity, in every organization: what
        MongoDB's TTL index does by itself. 0 while retention is off."""
        cutoff = self.retention_cutoff()
        if cutoff is None:
            return 0
        return self._delete(self._records().filter(created_at__lt=cutoff), dry_run)

    def _delete(self, rows: QuerySet[ActivityRecord], dry_run: bool) -> int:
        with translate_errors("purge", self.using):
            if dry_run:
                return rows.count()
            deleted, _ = rows.delete()
            return deleted

    # GDPR scans and guarded rewrites (SqlRecordTable) read every stored row, expired
    # ones included: they still hold the user's data.
