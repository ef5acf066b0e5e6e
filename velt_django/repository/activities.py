"""Activity records (docs/activities.md): append-only saves, gets with or without an
organization, the retention TTL index, and the administrative purge."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from typing import Any, ClassVar, NamedTuple

from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.errors import BulkWriteError

from ..conf import velt_settings
from ..exceptions import RecordTooLargeError, RepositoryError
from .annotations import AnnotationRepository
from .base import BaseRepository, Document, RecordWrite
from .errors import translate_errors
from .keys import EscapedPayload, escape_payload, unescape_value

logger = logging.getLogger(__name__)

#: Name of the TTL index that ``VELT["ACTIVITY_RETENTION_DAYS"]`` drives.
TTL_INDEX = "created_ttl"
DAY_SECONDS = 86400

#: Attempts of a save whose first insert raced another writer's (duplicate key).
SAVE_ATTEMPTS = 5


class FoundActivity(NamedTuple):
    """An activity read back: where it is stored, and its payload."""

    organization_id: str
    record_id: str
    document_id: str | None
    payload: Document


class ActivityRepository(BaseRepository):
    """``velt_activities``: one document per activity, keyed by (``organizationId``,
    ``activityId``), payload nested under ``payload`` (docs/storage-model.md, "The
    record envelope").

    Saves are append-only: the first save of an id stores its payload; a later save only
    adds top-level keys (and ``metadata`` keys) that are not stored yet and never changes
    a stored value. See :meth:`save_many` for why this departs from the merge rule of
    the other families.
    """

    collection_suffix = "activities"
    id_field: ClassVar[str] = "activityId"
    # No ``rev``, and ``updatedAt`` only has millisecond precision: GDPR rewrites are
    # guarded by the stored payload itself, which every save that adds a key changes.
    version_field: ClassVar[str | None] = None

    indexes: ClassVar[Sequence[IndexModel]] = (
        IndexModel(
            [("organizationId", ASCENDING), ("activityId", ASCENDING)],
            unique=True,
            name="org_activity_unique",
        ),
        IndexModel(
            [("organizationId", ASCENDING), ("documentId", ASCENDING)],
            name="org_document",
        ),
        # Gets without an organization select by ids or documents alone: both
        # get an index, so such a get is never a collection scan.
        IndexModel([("activityId", ASCENDING)], name="activity"),
        IndexModel([("documentId", ASCENDING)], name="document"),
    )

    def _key(self, organization_id: str, record_id: str) -> Document:
        return {"organizationId": organization_id, self.id_field: record_id}

    # ---- indexes -----------------------------------------------------------------

    def ensure_indexes(self) -> list[str]:
        """The declared indexes plus the retention TTL index on ``createdAt`` while
        ``ACTIVITY_RETENTION_DAYS`` is set; a changed period is applied with ``collMod``
        (or by recreating the index), and the index is dropped when retention is off."""
        names = super().ensure_indexes()
        days = velt_settings.ACTIVITY_RETENTION_DAYS
        seconds = None if days is None else days * DAY_SECONDS
        if self.ensure_ttl_index(TTL_INDEX, "createdAt", seconds):
            names.append(TTL_INDEX)
        return names

    # ---- reads -------------------------------------------------------------------

    def find(
        self,
        organization_id: str | None,
        ids: Sequence[str] = (),
        document_ids: Sequence[str] = (),
    ) -> list[FoundActivity]:
        """Activities matching ids OR documents (docs/activities.md,
        "``activities/get``").

        With an organization and no selector: every activity of the organization.
        Without an organization: matched on the selectors alone, in every organization
        (the caller filters by authorization); no selector then matches nothing.
        """
        selectors: list[dict[str, Any]] = []
        if ids:
            selectors.append({self.id_field: {"$in": list(ids)}})
        if document_ids:
            selectors.append({"documentId": {"$in": list(document_ids)}})
        query: dict[str, Any] = {}
        if organization_id is not None:
            query["organizationId"] = organization_id
        elif not selectors:
            return []
        if len(selectors) == 1:
            query.update(selectors[0])
        elif selectors:
            query["$or"] = selectors
        found: list[FoundActivity] = []
        with translate_errors("find"):
            for doc in self.collection.find(query):
                payload = doc.get("payload") or {}
                if doc.get("esc"):
                    payload = unescape_value(payload)
                found.append(
                    FoundActivity(
                        doc["organizationId"],
                        doc[self.id_field],
                        doc.get("documentId"),
                        payload,
                    )
                )
        return found

    # ---- writes ------------------------------------------------------------------

    def _prepare(self, record: RecordWrite) -> EscapedPayload:
        escaped = escape_payload(record.payload, velt_settings.MAX_PAYLOAD_DEPTH, ())
        if escaped.size > velt_settings.MAX_RECORD_SIZE:
            raise RecordTooLargeError("a record exceeds the configured size limit")
        return escaped

    def _insert_op(
        self,
        record: RecordWrite,
        escaped: EscapedPayload,
        event: str | None,
        now: datetime.datetime,
    ) -> UpdateOne:
        """The whole record when it is new; for a stored one, only the bookkeeping."""
        # ``esc`` only tells reads to unescape; unescaping a payload without escaped
        # keys changes nothing, so it is set when needed and never cleared.
        esc: Document = {"esc": True} if escaped.changed else {}
        insert: Document = {"payload": escaped.value, "createdAt": now}
        if record.document_id is not None:
            insert["documentId"] = record.document_id
        return UpdateOne(
            self._key(record.organization_id, record.record_id),
            {
                "$setOnInsert": insert,
                "$set": {"updatedAt": now, "lastEvent": event, **esc},
            },
            upsert=True,
        )

    def _append_ops(
        self, record: RecordWrite, escaped: EscapedPayload, stored: Document | None
    ) -> list[UpdateOne]:
        """For a stored record: one update per key it lacks, each applied only while the
        key is still absent (a concurrent save may add it first; the first value wins)."""
        stored = stored or {}
        stored_payload = stored.get("payload")
        stored_payload = stored_payload if isinstance(stored_payload, dict) else {}
        key = self._key(record.organization_id, record.record_id)
        esc: Document = {"esc": True} if escaped.changed else {}
        ops: list[UpdateOne] = []
        if record.document_id is not None and stored.get("documentId") is None:
            ops.append(
                UpdateOne(
                    {**key, "documentId": {"$exists": False}},
                    {"$set": {"documentId": record.document_id}},
                )
            )
        for name, value in escaped.value.items():
            path = f"payload.{name}"
            if name not in stored_payload:
                ops.append(
                    UpdateOne(
                        {**key, path: {"$exists": False}},
                        {"$set": {path: value, **esc}},
                    )
                )
                continue
            current = stored_payload[name]
            if (
                name == "metadata"
                and isinstance(value, dict)
                and isinstance(current, dict)
            ):
                for entry, entry_value in value.items():
                    if entry in current:
                        continue
                    entry_path = f"{path}.{entry}"
                    ops.append(
                        UpdateOne(
                            {
                                **key,
                                path: {"$type": "object"},
                                entry_path: {"$exists": False},
                            },
                            {"$set": {entry_path: entry_value, **esc}},
                        )
                    )
        return ops

    def save_many(
        self, records: Sequence[RecordWrite], event: str | None = None
    ) -> None:
        """Store new activities; add only missing keys to existing ones.

        Velt describes activity saves as upserts like the other families' (merge rule),
        while velt_django requires activity to be append-only: a replayed or altered
        save must not rewrite history. Reconciled as: the first save of an id stores its
        payload; later saves add top-level keys and ``metadata`` keys not stored yet
        (Velt may send more of a record later) and never change a stored value.

        New activities (the common case) cost one round trip: an unordered
        ``bulk_write`` of upserts whose ``$setOnInsert`` writes the whole payload,
        filtered on the unique index's fields only. Only records that already existed
        then take a second step: one read of what they hold, and for each key they lack,
        an update filtered on that key still being absent, so a concurrent save of the
        same activity cannot overwrite it either (the first to store a key keeps it).
        (An update pipeline with ``$mergeObjects`` would do it in one operation, but
        mongomock, the unit tier's database, cannot run it.)

        Raises :class:`RecordTooLargeError`, :class:`InvalidRecordError`,
        :class:`DatabaseUnavailableError` or :class:`RepositoryError`.
        """
        now = datetime.datetime.now(datetime.timezone.utc)
        # Validate every record before writing any of them.
        prepared = [(record, self._prepare(record)) for record in records]
        if not prepared:
            return
        for attempt in range(SAVE_ATTEMPTS):
            try:
                existing = self._upsert(prepared, event, now)
                self._append_missing(existing)
                return
            except BulkWriteError as err:
                # Raises for anything but a duplicate key (a concurrent first insert of
                # the same activity); every operation is a no-overwrite, so repeating
                # the whole save is safe and completes it against the stored record.
                AnnotationRepository._triage_bulk_error(err)
                logger.info("activity save raced a first insert (attempt %d)", attempt)
        raise RepositoryError("an activity save kept colliding with concurrent inserts")

    def _upsert(
        self,
        prepared: list[tuple[RecordWrite, EscapedPayload]],
        event: str | None,
        now: datetime.datetime,
    ) -> list[tuple[RecordWrite, EscapedPayload]]:
        """Insert the new records; returns the ones that were already stored."""
        ops = [self._insert_op(r, e, event, now) for r, e in prepared]
        with translate_errors("bulk_write"):
            result = self.collection.bulk_write(ops, ordered=False)
            inserted = set(result.upserted_ids or {})
        return [pair for index, pair in enumerate(prepared) if index not in inserted]

    def _append_missing(
        self, existing: list[tuple[RecordWrite, EscapedPayload]]
    ) -> None:
        by_org: dict[str, list[tuple[RecordWrite, EscapedPayload]]] = {}
        for pair in existing:
            by_org.setdefault(pair[0].organization_id, []).append(pair)
        ops: list[UpdateOne] = []
        for org, pairs in by_org.items():
            with translate_errors("find"):
                stored = {
                    doc[self.id_field]: doc
                    for doc in self.collection.find(
                        {
                            "organizationId": org,
                            self.id_field: {"$in": [r.record_id for r, _ in pairs]},
                        },
                        {"_id": 0, self.id_field: 1, "payload": 1, "documentId": 1},
                    )
                }
            for record, escaped in pairs:
                ops.extend(
                    self._append_ops(record, escaped, stored.get(record.record_id))
                )
        if ops:
            with translate_errors("bulk_write"):
                self.collection.bulk_write(ops, ordered=False)

    # ---- retention -----------------------------------------------------------------

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
        (``manage.py velt_purge_activities``)."""
        query: dict[str, Any] = {"organizationId": organization_id}
        if document_id is not None:
            query["documentId"] = document_id
        if older_than is not None:
            query["createdAt"] = {"$lt": older_than}
        if dry_run:
            with translate_errors("count_documents"):
                return int(self.collection.count_documents(query))
        with translate_errors("delete_many"):
            return int(self.collection.delete_many(query).deleted_count)
