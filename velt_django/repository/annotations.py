"""Annotation records (comments, reactions, recordings): get, save with the merge rule,
delete. One MongoDB document per annotation, keyed by (``organizationId``,
``annotationId``), with the payload nested under ``payload`` (docs/storage-model.md,
"The record envelope")."""

from __future__ import annotations

import datetime
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple

from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.errors import BulkWriteError

from ..conf import velt_settings
from ..exceptions import (
    DatabaseUnavailableError,
    DuplicateRecordError,
    RecordTooLargeError,
    RepositoryError,
)
from .base import BaseRepository, Document, RecordWrite
from .errors import DUPLICATE_KEY_CODES, TOO_LARGE_CODES, is_transient, translate_errors
from .keys import EscapedPayload, escape_payload, unescape_value
from .merge import merge_payload, merge_update

logger = logging.getLogger(__name__)

#: Write errors of the one-round-trip path that the read-merge-write path resolves:
#: duplicate key (a concurrent first insert of the same record) and "path not viable"
#: (a non-object below a merged key, written by something other than velt_django).
_RETRY_CODES = DUPLICATE_KEY_CODES | {28, 16837}

#: Attempts of the read-merge-write loop, and its jittered exponential backoff (seconds).
CAS_ATTEMPTS = 20
CAS_BACKOFF_BASE = 0.002
CAS_BACKOFF_CAP = 0.1

#: A family's event step, run after the merge (only ``comment.delete`` has one): changes
#: the merged payload in place.
PostMerge = Callable[[Document], None]


#: The most stored records an org-less get by id considers (ids are random, so one id
#: in many organizations is rare; the bound keeps a hostile id list cheap).
ORGLESS_CANDIDATE_LIMIT = 1000


class FoundRecord(NamedTuple):
    """A record read back: its id, the document it is stored under, and its payload."""

    record_id: str
    document_id: str | None
    payload: Document


def payloads_by_id(records: Iterable[FoundRecord]) -> dict[str, Document]:
    """Found records as the ``data`` map of a get: payloads keyed by record id."""
    return {record.record_id: record.payload for record in records}


def by_organization(
    found: Iterable[tuple[str, FoundRecord]],
) -> dict[str, list[FoundRecord]]:
    """(organization, record) pairs grouped by organization, in the order found."""
    grouped: dict[str, list[FoundRecord]] = {}
    for organization_id, record in found:
        grouped.setdefault(organization_id, []).append(record)
    return grouped


def sorted_locations(
    pairs: Iterable[tuple[str, str | None]],
) -> list[tuple[str, str | None]]:
    """Distinct (organization, document) pairs, by organization then document (no
    document first)."""
    return sorted(set(pairs), key=lambda pair: (pair[0], pair[1] or ""))


def _backoff(attempt: int) -> None:
    """Sleep a random time up to an exponentially growing bound ("full jitter"), so
    writers that collided on one record spread out instead of colliding again."""
    bound = min(CAS_BACKOFF_CAP, CAS_BACKOFF_BASE * (2**attempt))
    time.sleep(random.uniform(0, bound))


class AnnotationRepository(BaseRepository):
    """Records keyed by (``organizationId``, ``annotationId``) with document/folder keys.

    Subclasses name their collection and the payload keys that merge entry by entry.
    """

    id_field: ClassVar[str] = "annotationId"
    keyed_maps: ClassVar[tuple[str, ...]] = ()

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

    #: What a get reads of each document: the whole document. Measured on SecantusDB
    #: (benchmarks/bench_projection.py, 100 threads), projecting costs the server about a
    #: third more CPU than sending whole documents and halves reads per second at
    #: concurrency 8; a real mongod projects cheaply, and the fields left out are only
    #: ~10% of the bytes. ``documentId`` is needed anyway (the authorization post-filter).
    read_projection: ClassVar[dict[str, int] | None] = None

    @property
    def merged_keys(self) -> tuple[str, ...]:
        return ("metadata", *self.keyed_maps)

    def payload_merged_keys(self) -> tuple[str, ...]:
        # GDPR rewrites (BaseRepository.rewrite_if_unchanged) store like saves do.
        return self.merged_keys

    def _key(self, organization_id: str, record_id: str) -> Document:
        return {"organizationId": organization_id, self.id_field: record_id}

    # ---- reads -------------------------------------------------------------------

    def find(
        self,
        organization_id: str,
        ids: Sequence[str] = (),
        document_ids: Sequence[str] = (),
        folder_id: str | None = None,
    ) -> list[FoundRecord]:
        """Records of the organization matching ids OR documents OR folder (the union of
        selectors, docs/wire-protocol.md, "Gets"); with no selector, every record of the
        organization. One ``find``."""
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
        with translate_errors("find"):
            return [
                self._found(doc)
                for doc in self.collection.find(query, self.read_projection)
            ]

    def _found(self, doc: Document) -> FoundRecord:
        payload = doc.get("payload") or {}
        if doc.get("esc"):
            payload = unescape_value(payload)
        return FoundRecord(doc[self.id_field], doc.get("documentId"), payload)

    def find_in_any_organization(
        self, ids: Sequence[str]
    ) -> dict[str, list[FoundRecord]]:
        """Records with one of ``ids`` in whatever organization holds them, grouped by
        organization: the candidates of an org-less get by id, which the caller must
        authorize organization by organization before anything is returned. One
        ``find`` on the id index; at most ``ORGLESS_CANDIDATE_LIMIT`` documents."""
        if not ids:
            return {}
        with translate_errors("find"):
            cursor = self.collection.find(
                {self.id_field: {"$in": list(ids)}}, self.read_projection
            ).limit(ORGLESS_CANDIDATE_LIMIT)
            return by_organization(
                (doc["organizationId"], self._found(doc)) for doc in cursor
            )

    def get_many(
        self,
        organization_id: str,
        ids: Sequence[str] = (),
        document_ids: Sequence[str] = (),
        folder_id: str | None = None,
    ) -> dict[str, Document]:
        """:meth:`find` as the ``data`` map of a get: payloads keyed by record id."""
        return payloads_by_id(self.find(organization_id, ids, document_ids, folder_id))

    def locate(self, record_id: str) -> list[tuple[str, str | None]]:
        """(organization, document) of every record with this id, in any organization
        (for deletes that name no organization); at most ``ORGLESS_CANDIDATE_LIMIT``."""
        with translate_errors("find"):
            docs = self.collection.find(
                {self.id_field: record_id},
                {"_id": 0, "organizationId": 1, "documentId": 1},
            ).limit(ORGLESS_CANDIDATE_LIMIT)
            return sorted_locations(
                (doc["organizationId"], doc.get("documentId")) for doc in docs
            )

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
        paths = merge_update(escaped.value, self.merged_keys)
        if paths is None:
            return None
        to_set, to_unset = paths
        to_set.update(self._envelope_fields(record, event, now))
        if escaped.changed:
            to_set["esc"] = True
        update: Document = {
            "$set": to_set,
            "$setOnInsert": {"createdAt": now},
            "$inc": {"rev": 1},
        }
        if to_unset:
            update["$unset"] = to_unset
        # The filter holds only the unique index's fields, so every server uses the index.
        return UpdateOne(
            self._key(record.organization_id, record.record_id), update, upsert=True
        )

    def save_many(
        self,
        records: Sequence[RecordWrite],
        event: str | None = None,
        post_merge: PostMerge | None = None,
    ) -> None:
        """Upsert every record with the merge rule; one ``bulk_write`` in the common case.

        ``post_merge`` is a family's event step, run after the merge (e.g. removing the
        message of a ``comment.delete``): it runs on each merged payload, so such saves
        take the read-merge-write path.
        Raises :class:`RecordTooLargeError`, :class:`InvalidRecordError`,
        :class:`DatabaseUnavailableError` or :class:`RepositoryError`.
        """
        now = datetime.datetime.now(datetime.timezone.utc)
        # Validate every record before writing any of them.
        prepared = [(record, self._prepare(record.payload)) for record in records]
        if post_merge is not None:
            for record, _escaped in prepared:
                self._save_by_compare_and_set(record, event, now, post_merge)
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
        """Indexes of the operations the read-merge-write path can still complete;
        raises for anything else (unavailable → 503, permanent → 500)."""
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
            elif is_transient(code, write_error.get("errorLabels") or ()):
                logger.warning("bulk save hit a transient error, code %s", code)
                raise DatabaseUnavailableError("the database is unavailable") from err
            else:
                logger.error("bulk save failed with code %s", code)
                raise RepositoryError(f"a write failed (code {code})") from err
        return retry

    def _save_by_compare_and_set(
        self,
        record: RecordWrite,
        event: str | None,
        now: datetime.datetime,
        post_merge: PostMerge | None,
    ) -> None:
        """Read, merge in Python, write back only if nobody wrote in between (``rev``).

        A lost race (another writer changed ``rev``, or inserted the record first) is
        retried after a jittered backoff, re-reading and re-merging each time.
        """
        key = self._key(record.organization_id, record.record_id)
        lost_insert = False
        for attempt in range(CAS_ATTEMPTS):
            if attempt:
                _backoff(attempt)
            with translate_errors("find_one"):
                doc = self.collection.find_one(key, {"payload": 1, "rev": 1, "esc": 1})
            if doc is None and lost_insert:
                # The insert collided, yet no record has our key: another unique index
                # (added by the host) refuses it. Retrying cannot help.
                logger.error(
                    "save of %s collides with a foreign unique index", record.record_id
                )
                raise RepositoryError("a write violates a unique index")
            stored = (doc or {}).get("payload")
            if not isinstance(stored, dict):
                stored = {}
            elif doc and doc.get("esc"):
                stored = unescape_value(stored)
            merged = merge_payload(stored, record.payload, self.merged_keys)
            if post_merge is not None:
                post_merge(merged)
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
            except DuplicateRecordError as err:
                if doc is not None:
                    # An update of our own record cannot collide on our key.
                    logger.error(
                        "save of %s collides with a foreign unique index",
                        record.record_id,
                    )
                    raise RepositoryError("a write violates a unique index") from err
                lost_insert = True
                continue  # a concurrent first save won the insert: merge into it
        logger.warning(
            "save of %s gave up after %d concurrent attempts",
            record.record_id,
            CAS_ATTEMPTS,
        )
        raise DatabaseUnavailableError("too many concurrent writes to one record")

    def delete(
        self,
        organization_id: str,
        record_id: str,
        *,
        only_in_document: tuple[str | None] | None = None,
    ) -> int:
        """Delete one record of one organization; returns how many were deleted (0 or 1).

        ``only_in_document=(doc,)`` deletes it only while it is still stored under
        ``doc`` (the document an authorization decision was made for).
        """
        query = self._key(organization_id, record_id)
        if only_in_document is not None:
            query["documentId"] = only_in_document[0]
        with translate_errors("delete_one"):
            return self.collection.delete_one(query).deleted_count

    def delete_in_organizations(
        self,
        record_id: str,
        organization_ids: Sequence[str],
        *,
        documents: Mapping[str, str | None] | None = None,
    ) -> int:
        """Delete the record with this id in each of the given organizations.

        ``documents`` maps an organization to the document its authorization decision
        was made for: the record is deleted there only while it is still stored under
        that document (a save may have moved it since it was located).
        """
        if not organization_ids:
            return 0
        query: Document
        if documents is None:
            query = {"organizationId": {"$in": list(organization_ids)}}
        else:
            query = {
                "$or": [
                    {"organizationId": org, "documentId": documents.get(org)}
                    for org in organization_ids
                ]
            }
        query[self.id_field] = record_id
        with translate_errors("delete_many"):
            return self.collection.delete_many(query).deleted_count
