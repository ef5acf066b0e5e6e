"""Shared repository machinery: the record envelope, the merge rule, get/save/delete."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from ..conf import velt_settings
from ..exceptions import DatabaseUnavailableError, RecordTooLargeError
from .connection import get_database
from .errors import TOO_LARGE_CODES, translate_errors
from .keys import WRAPPED, EscapedPayload, escape_payload, unescape_value

logger = logging.getLogger(__name__)

#: Write errors of the one-round-trip path that the read-merge-write path resolves:
#: duplicate key (a concurrent first insert of the same record) and "path not viable"
#: (a non-object below a merged key, written by something other than velt_django).
_RETRY_CODES = frozenset({11000, 11001, 28, 16837})
_CAS_ATTEMPTS = 20

Document = dict[str, Any]


@dataclass
class RecordWrite:
    """One record of a save: where it belongs and the payload exactly as Velt sent it."""

    organization_id: str
    record_id: str
    payload: Document
    document_id: str | None = None
    folder_id: str | None = None


def js_string(value: Any) -> str:
    """``String(value)`` as JavaScript would write it, for comparing ids of any JSON type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def merge_payload(
    stored: Mapping[str, Any], incoming: Mapping[str, Any], merged_keys: Iterable[str]
) -> Document:
    """The merge rule of CONTRACT §5.3 on whole payloads.

    Keys in ``merged_keys`` (``metadata`` and the provider's keyed maps) merge entry by
    entry when the incoming value is an object; any other incoming key replaces the stored
    value; stored keys absent from ``incoming`` are kept.
    """
    merged_set = set(merged_keys)
    result = dict(stored)
    for key, value in incoming.items():
        if key in merged_set and isinstance(value, dict):
            current = result.get(key)
            if isinstance(current, dict):
                combined = dict(current)
                combined.update(value)
                result[key] = combined
            else:
                result[key] = dict(value)
        else:
            result[key] = value
    return result


def remove_map_entry(
    payload: Document, map_key: str, entry_id: str, id_field: str
) -> None:
    """Remove from ``payload[map_key]`` the entry keyed ``entry_id`` and any
    entry whose ``id_field`` value stringifies to it."""
    entries = payload.get(map_key)
    if not isinstance(entries, dict):
        return
    payload[map_key] = {
        key: value
        for key, value in entries.items()
        if key != entry_id
        and not (
            isinstance(value, dict)
            and id_field in value
            and js_string(value[id_field]) == entry_id
        )
    }


class BaseRepository:
    """Access to one collection family; the database is injected or taken from settings.

    Subclasses declare ``collection_suffix`` and ``indexes``.
    """

    collection_suffix: ClassVar[str]
    indexes: ClassVar[Sequence[IndexModel]] = ()

    def __init__(self, db: Database[Document] | None = None) -> None:
        self._db = db

    @property
    def db(self) -> Database[Document]:
        return self._db if self._db is not None else get_database()

    @classmethod
    def collection_name(cls) -> str:
        return velt_settings.COLLECTION_PREFIX + cls.collection_suffix

    @property
    def collection(self) -> Collection[Document]:
        return self.db[self.collection_name()]

    def ensure_indexes(self) -> list[str]:
        """Create the declared indexes (idempotent); returns their names."""
        if not self.indexes:
            return []
        with translate_errors("create_indexes"):
            return list(self.collection.create_indexes(list(self.indexes)))


class AnnotationRepository(BaseRepository):
    """Records keyed by (``organizationId``, ``annotationId``) with document/folder keys.

    Subclasses name their collection and the payload keys that merge entry by entry.
    """

    id_field: ClassVar[str] = "annotationId"
    keyed_maps: ClassVar[tuple[str, ...]] = ()
    #: The field inside a keyed map's entries that holds the entry's own id.
    entry_id_fields: ClassVar[dict[str, str]] = {}

    indexes: ClassVar[Sequence[IndexModel]] = (
        IndexModel(
            [("organizationId", ASCENDING), ("annotationId", ASCENDING)],
            unique=True,
            name="org_annotation_unique",
        ),
        IndexModel(
            [("organizationId", ASCENDING), ("documentId", ASCENDING)],
            name="org_document",
        ),
        IndexModel(
            [("organizationId", ASCENDING), ("folderId", ASCENDING)], name="org_folder"
        ),
        IndexModel([("annotationId", ASCENDING)], name="annotation"),
    )

    @property
    def merged_keys(self) -> tuple[str, ...]:
        return ("metadata", *self.keyed_maps)

    # ---- reads -------------------------------------------------------------------

    def get_many(
        self,
        organization_id: str,
        ids: Sequence[str] = (),
        document_ids: Sequence[str] = (),
        folder_id: str | None = None,
    ) -> dict[str, Document]:
        """Payloads of the organization matching ids OR documents OR folder (CONTRACT §6.3);
        with no selector, every record of the organization. One ``find``."""
        selectors: list[dict[str, Any]] = []
        if ids:
            selectors.append({self.id_field: {"$in": list(ids)}})
        if document_ids:
            selectors.append({"documentId": {"$in": list(document_ids)}})
        if folder_id is not None:
            selectors.append({"folderId": folder_id})
        query: dict[str, Any] = {"organizationId": organization_id}
        if len(selectors) == 1:
            query.update(selectors[0])
        elif selectors:
            query["$or"] = selectors
        projection = {"_id": 0, self.id_field: 1, "payload": 1, "esc": 1}
        result: dict[str, Document] = {}
        with translate_errors("find"):
            for doc in self.collection.find(query, projection):
                payload = doc.get("payload") or {}
                if doc.get("esc"):
                    payload = unescape_value(payload)
                result[doc[self.id_field]] = payload
        return result

    # ---- writes ------------------------------------------------------------------

    def _prepare(self, payload: Document) -> EscapedPayload:
        escaped = escape_payload(
            payload, velt_settings.MAX_PAYLOAD_DEPTH, self.merged_keys
        )
        if escaped.size > velt_settings.MAX_RECORD_SIZE:
            raise RecordTooLargeError("a record exceeds the configured size limit")
        return escaped

    def _envelope_fields(
        self,
        record: RecordWrite,
        event: str | None,
        now: datetime.datetime,
    ) -> Document:
        fields: Document = {"updatedAt": now, "lastEvent": event}
        if record.document_id is not None:
            fields["documentId"] = record.document_id
        if record.folder_id is not None:
            fields["folderId"] = record.folder_id
        return fields

    def _dotted_update(
        self,
        record: RecordWrite,
        escaped: EscapedPayload,
        event: str | None,
        now: datetime.datetime,
    ) -> UpdateOne | None:
        """The merge rule as one atomic upsert, or ``None`` when only the read-merge-write
        path can express it (an empty object for a merged key)."""
        to_set = self._envelope_fields(record, event, now)
        if escaped.changed:
            to_set["esc"] = True
        to_unset: Document = {}
        merged = self.merged_keys
        for key, value in escaped.value.items():
            path = f"payload.{key}"
            if key in merged and WRAPPED not in value:
                if not value:
                    return None
                # Entry by entry; a stored non-object (kept wrapped) is dropped, so the
                # incoming object replaces it as §5.3 requires.
                for entry, entry_value in value.items():
                    to_set[f"{path}.{entry}"] = entry_value
                to_unset[f"{path}.{WRAPPED}"] = ""
            else:
                to_set[path] = value
        update: Document = {
            "$set": to_set,
            "$setOnInsert": {"createdAt": now},
            "$inc": {"rev": 1},
        }
        if to_unset:
            update["$unset"] = to_unset
        # The filter holds only the unique index's fields, so every server uses the index.
        query = {
            "organizationId": record.organization_id,
            self.id_field: record.record_id,
        }
        return UpdateOne(query, update, upsert=True)

    def save_many(
        self,
        records: Sequence[RecordWrite],
        event: str | None = None,
        remove_entry: tuple[str, str] | None = None,
    ) -> None:
        """Upsert every record with the merge rule; one ``bulk_write`` in the common case.

        ``remove_entry`` = (map key, entry id) removes one keyed-map entry after the merge
        (``comment.delete``); such saves take the read-merge-write path, which can match
        entries by their id value as well as by key.
        Raises :class:`RecordTooLargeError`, :class:`InvalidRecordError`,
        :class:`DatabaseUnavailableError` or :class:`RepositoryError`.
        """
        now = datetime.datetime.now(datetime.timezone.utc)
        # Validate every record before writing any of them.
        prepared = [(record, self._prepare(record.payload)) for record in records]
        if remove_entry is not None:
            for record, _escaped in prepared:
                self._save_by_compare_and_set(record, event, now, remove_entry)
            return
        ops: list[UpdateOne] = []
        op_records: list[RecordWrite] = []
        fallback: list[RecordWrite] = []
        for record, escaped in prepared:
            op = self._dotted_update(record, escaped, event, now)
            if op is None:
                fallback.append(record)
            else:
                ops.append(op)
                op_records.append(record)
        if ops:
            try:
                with translate_errors("bulk_write"):
                    self.collection.bulk_write(ops, ordered=False)
            except BulkWriteError as err:
                fallback.extend(op_records[i] for i in self._triage_bulk_error(err))
        for record in fallback:
            self._save_by_compare_and_set(record, event, now, None)

    @staticmethod
    def _triage_bulk_error(err: BulkWriteError) -> list[int]:
        details = err.details or {}
        if details.get("writeConcernErrors"):
            raise DatabaseUnavailableError("a write was not acknowledged") from err
        retry: list[int] = []
        for write_error in details.get("writeErrors", []):
            code = write_error.get("code")
            if code in _RETRY_CODES:
                retry.append(int(write_error["index"]))
            elif code in TOO_LARGE_CODES:
                raise RecordTooLargeError(
                    "a record would exceed MongoDB's document size limit"
                ) from err
            else:
                logger.error("bulk save failed with code %s", code)
                raise DatabaseUnavailableError(f"a write failed (code {code})") from err
        return retry

    def _save_by_compare_and_set(
        self,
        record: RecordWrite,
        event: str | None,
        now: datetime.datetime,
        remove_entry: tuple[str, str] | None,
    ) -> None:
        """Read, merge in Python, write back only if nobody wrote in between (``rev``)."""
        key = {
            "organizationId": record.organization_id,
            self.id_field: record.record_id,
        }
        for _attempt in range(_CAS_ATTEMPTS):
            with translate_errors("find_one"):
                doc = self.collection.find_one(key, {"payload": 1, "rev": 1, "esc": 1})
            stored = (doc or {}).get("payload")
            if not isinstance(stored, dict):
                stored = {}
            elif doc and doc.get("esc"):
                stored = unescape_value(stored)
            merged = merge_payload(stored, record.payload, self.merged_keys)
            if remove_entry is not None:
                remove_map_entry(
                    merged,
                    remove_entry[0],
                    remove_entry[1],
                    self.entry_id_fields.get(remove_entry[0], "id"),
                )
            escaped = self._prepare(merged)
            fields = self._envelope_fields(record, event, now)
            fields["payload"] = escaped.value
            fields["esc"] = escaped.changed
            try:
                with translate_errors("save"):
                    if doc is None:
                        self.collection.insert_one(
                            {**key, **fields, "rev": 1, "createdAt": now}
                        )
                        return
                    result = self.collection.update_one(
                        {**key, "rev": doc.get("rev")},
                        {"$set": fields, "$inc": {"rev": 1}},
                    )
                    if result.matched_count:
                        return
            except DuplicateKeyError:
                continue  # a concurrent first save won the insert: merge into it
        logger.warning(
            "save of %s gave up after %d concurrent attempts",
            record.record_id,
            _CAS_ATTEMPTS,
        )
        raise DatabaseUnavailableError("too many concurrent writes to one record")

    def delete(self, organization_id: str, record_id: str) -> int:
        """Delete one record of one organization; returns how many were deleted (0 or 1)."""
        with translate_errors("delete_one"):
            result = self.collection.delete_one(
                {"organizationId": organization_id, self.id_field: record_id}
            )
        return result.deleted_count

    def organizations_holding(self, record_id: str) -> list[str]:
        """Organizations that hold a record with this id (for deletes that name none)."""
        with translate_errors("find"):
            docs = self.collection.find(
                {self.id_field: record_id}, {"_id": 0, "organizationId": 1}
            ).limit(1000)
            return sorted({doc["organizationId"] for doc in docs})

    def delete_in_organizations(
        self, record_id: str, organization_ids: Sequence[str]
    ) -> int:
        """Delete the record with this id in each of the given organizations."""
        if not organization_ids:
            return 0
        with translate_errors("delete_many"):
            result = self.collection.delete_many(
                {
                    "organizationId": {"$in": list(organization_ids)},
                    self.id_field: record_id,
                }
            )
        return result.deleted_count
