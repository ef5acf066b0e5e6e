"""Annotation records (comments, reactions, recordings) on PostgreSQL, through Django's
ORM: the same methods, and the same answers, as the MongoDB repositories
(``repository.annotations``). One table per family (``velt_django.models``), the payload
stored as Velt sent it in a JSONB column.

Every operation is one ORM query except the save: the merge rule has no ORM expression
(``bulk_create(update_conflicts=True)`` can only copy the new value), so
:meth:`SqlAnnotationRepository.save_many` is this package's one hand-written SQL, an
``INSERT … ON CONFLICT … DO UPDATE`` whose ``SET`` merges the stored and the sent JSONB.
"""

from __future__ import annotations

import datetime
import functools
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from django.db import connections
from django.db.models import Q, QuerySet, sql

from ...models import AnnotationRecord
from ..annotations import (
    ORGLESS_CANDIDATE_LIMIT,
    FoundRecord,
    PostMerge,
    by_organization,
    payloads_by_id,
    sorted_locations,
)
from ..base import Document, RecordWrite
from ..merge import merge_payload
from .base import (
    SqlRecordTable,
    as_object,
    storable,
    write_in_statements,
)
from .errors import translate_errors

logger = logging.getLogger(__name__)


def delete_rows(rows: QuerySet[Any], using: str) -> int:
    """Delete ``rows`` with one ``DELETE`` statement; returns how many were deleted.

    ``QuerySet.delete()`` wraps even a single fast delete in a transaction (``BEGIN``,
    ``DELETE``, ``COMMIT``: three round trips). The annotation tables have no relations
    and velt_django connects no delete signals to them, so the ORM's own statement
    (``_raw_delete``, what ``delete()`` runs inside that transaction) is enough: one
    statement is atomic by itself.
    """
    return int(rows._raw_delete(using))


@functools.lru_cache(maxsize=256)
def find_statement(
    model: type[AnnotationRecord],
    using: str,
    id_count: int,
    document_count: int,
    with_folder: bool,
) -> tuple[str, tuple[int, ...]]:
    """The SQL of a ``find`` with this many ids and documents (and a folder or not), as
    the ORM compiles it, and the order of its parameters.

    Building and compiling the queryset costs more than PostgreSQL takes to answer a
    small get, so it is done once per shape: the statement is the ORM's, compiled with
    distinct placeholder values; ``order[k]`` says which of (organization, ids …,
    documents …, folder) is its ``k``-th parameter. The cache holds SQL text only (no
    data), bounded, per process.
    """
    marks = [f"\x00{k}" for k in range(1 + id_count + document_count + with_folder)]
    ids = marks[1 : 1 + id_count]
    documents = marks[1 + id_count : 1 + id_count + document_count]
    selectors = Q()
    if ids:
        selectors |= Q(annotation_id__in=ids)
    if documents:
        selectors |= Q(document_id__in=documents)
    if with_folder:
        selectors |= Q(folder_id=marks[-1])
    rows = model._default_manager.using(using).filter(
        Q(organization_id=marks[0]) & selectors
    )
    query = rows.values_list("annotation_id", "document_id", "payload").query
    sql, params = query.get_compiler(using).as_sql()
    return sql, tuple(marks.index(param) for param in params)


@functools.lru_cache(maxsize=64)
def delete_statement(
    model: type[AnnotationRecord], using: str, document: str
) -> tuple[str, tuple[int, ...]]:
    """The SQL of a one-record delete (``document``: ``"any"``, ``"null"`` or
    ``"value"``, how the stored document must match) as the ORM compiles it for
    ``QuerySet._raw_delete``, and the order of its parameters among (organization, id,
    document). Compiled once per shape, as :func:`find_statement` is: building the
    queryset and its compiler cost about as much as the statement's round trip."""
    marks = ["\x00org", "\x00id", "\x00doc"]
    query = Q(organization_id=marks[0], annotation_id=marks[1])
    if document != "any":
        query &= SqlAnnotationRepository._document_is(
            None if document == "null" else marks[2]
        )
    delete = model._default_manager.using(using).filter(query).query.clone()
    delete.__class__ = sql.DeleteQuery
    text, params = delete.get_compiler(using).as_sql()
    return text, tuple(marks.index(param) for param in params)


class SqlAnnotationRepository(SqlRecordTable):
    """Records keyed by (``organization_id``, ``annotation_id``) with document/folder
    columns. Subclasses name their model and the payload keys that merge entry by entry.
    """

    model: ClassVar[type[AnnotationRecord]]
    keyed_maps: ClassVar[tuple[str, ...]] = ()
    id_column: ClassVar[str] = "annotation_id"
    #: The column every write changes (``rev``), as ``StoredRecord.version`` reports it.
    version_field: ClassVar[str] = "rev"

    @property
    def merged_keys(self) -> tuple[str, ...]:
        return ("metadata", *self.keyed_maps)

    def payload_merged_keys(self) -> tuple[str, ...]:
        return self.merged_keys

    def _records(self) -> QuerySet[AnnotationRecord]:
        return self.model._default_manager.using(self.using)

    @staticmethod
    def _document_is(document_id: str | None) -> Q:
        # MongoDB's {"documentId": null} matches a missing or null value alike.
        if document_id is None:
            return Q(document_id__isnull=True)
        return Q(document_id=document_id)

    # ---- reads -------------------------------------------------------------------

    def find(
        self,
        organization_id: str,
        ids: Sequence[str] = (),
        document_ids: Sequence[str] = (),
        folder_id: str | None = None,
    ) -> list[FoundRecord]:
        """Records of the organization matching ids OR documents OR folder; with no
        selector, every record of the organization. One query, compiled by the ORM
        once per shape (:func:`find_statement`)."""
        # A text holding NUL is in no row (see ``storable``): it matches nothing, as on
        # MongoDB, and a get whose every selector is such a text finds nothing.
        selected = bool(ids or document_ids or folder_id is not None)
        if "\x00" in organization_id:
            return []
        if folder_id is not None and "\x00" in folder_id:
            folder_id = None
        # Django's IN lookup drops repeated values; so does the shape.
        ids = list(dict.fromkeys(storable(ids)))
        document_ids = list(dict.fromkeys(storable(document_ids)))
        if selected and not (ids or document_ids or folder_id is not None):
            return []
        sql, order = find_statement(
            self.model, self.using, len(ids), len(document_ids), folder_id is not None
        )
        values = [organization_id, *ids, *document_ids]
        if folder_id is not None:
            values.append(folder_id)
        decode = self.model._meta.get_field("payload").from_db_value
        connection = connections[self.using]
        with translate_errors("find", self.using), connection.cursor() as cursor:
            cursor.execute(sql, [values[i] for i in order])
            return [
                FoundRecord(
                    record_id, document_id, as_object(decode(text, None, connection))
                )
                for record_id, document_id, text in cursor.fetchall()
            ]

    def find_in_any_organization(
        self, ids: Sequence[str]
    ) -> dict[str, list[FoundRecord]]:
        """Records with one of ``ids`` in any organization, grouped by organization
        (candidates the caller must authorize); at most ``ORGLESS_CANDIDATE_LIMIT``."""
        if not ids:
            return {}
        rows = self._records().filter(annotation_id__in=list(ids))
        with translate_errors("find", self.using):
            return by_organization(
                (org, FoundRecord(record_id, document_id, as_object(payload)))
                for org, record_id, document_id, payload in rows.values_list(
                    "organization_id", "annotation_id", "document_id", "payload"
                )[:ORGLESS_CANDIDATE_LIMIT]
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
        """(organization, document) of every record with this id, in any organization;
        at most ``ORGLESS_CANDIDATE_LIMIT``."""
        rows = self._records().filter(annotation_id=record_id)
        with translate_errors("find", self.using):
            pairs = list(
                rows.values_list("organization_id", "document_id")[
                    :ORGLESS_CANDIDATE_LIMIT
                ]
            )
        return sorted_locations(pairs)

    # ---- writes ------------------------------------------------------------------

    def _merge_sql(self) -> tuple[str, list[str]]:
        """The ``SET payload = …`` expression of the merge rule, and its parameters:
        the stored object (``{}`` when it is not one) with every sent key replaced,
        then each merged key sent as an object merged entry by entry into the stored
        value (``{}`` when that is missing or not an object)."""
        sql = (
            "CASE WHEN jsonb_typeof(s.payload) = 'object' THEN s.payload"
            " ELSE '{}'::jsonb END || EXCLUDED.payload"
        )
        params: list[str] = []
        for key in self.merged_keys:
            sql += (
                " || CASE WHEN jsonb_typeof(EXCLUDED.payload -> %s) = 'object'"
                " THEN jsonb_build_object(%s::text,"
                " CASE WHEN jsonb_typeof(s.payload -> %s) = 'object'"
                " THEN s.payload -> %s ELSE '{}'::jsonb END"
                " || (EXCLUDED.payload -> %s))"
                " ELSE '{}'::jsonb END"
            )
            params += [key] * 5
        return sql, params

    def _upsert(
        self,
        rows: Sequence[tuple[RecordWrite, str]],
        event: str | None,
        now: datetime.datetime,
        returning: bool = False,
    ) -> list[tuple[Any, ...]]:
        """One ``INSERT … ON CONFLICT DO UPDATE`` of ``rows`` (record, payload JSON).

        The conflicting row is locked by the statement and the ``SET`` reads its latest
        committed version, so concurrent saves of one record serialize on its row and
        each merges into what the other wrote: no lost message, no retry loop.
        """
        table = connections[self.using].ops.quote_name(self.model._meta.db_table)
        merge, merge_params = self._merge_sql()
        values: list[Any] = []
        for record, payload in rows:
            values += [
                record.organization_id,
                record.record_id,
                record.document_id,
                record.folder_id,
                payload,
                now,
                now,
                event,
            ]
        placeholders = ", ".join(
            ["(%s, %s, %s, %s, %s::jsonb, 1, %s, %s, %s)"] * len(rows)
        )
        sql = (
            f"INSERT INTO {table} AS s (organization_id, annotation_id, document_id,"
            " folder_id, payload, rev, created_at, updated_at, last_event)"
            f" VALUES {placeholders}"
            " ON CONFLICT (organization_id, annotation_id) DO UPDATE SET"
            f" payload = {merge},"
            " document_id = COALESCE(EXCLUDED.document_id, s.document_id),"
            " folder_id = COALESCE(EXCLUDED.folder_id, s.folder_id),"
            " rev = s.rev + 1,"
            " updated_at = EXCLUDED.updated_at,"
            " last_event = EXCLUDED.last_event"
        )
        if returning:
            sql += " RETURNING id, payload"
        with connections[self.using].cursor() as cursor:
            cursor.execute(sql, [*values, *merge_params])
            return list(cursor.fetchall()) if returning else []

    def save_many(
        self,
        records: Sequence[RecordWrite],
        event: str | None = None,
        post_merge: PostMerge | None = None,
    ) -> None:
        """Upsert every record with the merge rule: one statement for up to
        ``ROWS_PER_STATEMENT`` records, all or nothing.

        ``post_merge`` (``comment.delete``) runs in Python on each merged payload: the
        upsert returns it with the row still locked, and the result is written back in
        the same transaction.
        Raises :class:`RecordTooLargeError`, :class:`InvalidRecordError`,
        :class:`DatabaseUnavailableError` or :class:`RepositoryError`.
        """
        now = datetime.datetime.now(datetime.timezone.utc)
        # Validate every record before writing any of them.
        prepared = [(record, self._prepare(record.payload)) for record in records]
        if not prepared:
            return
        # One statement may not touch a row twice: fold repeats of one key in order
        # (the merge rule is associative), and lock rows in key order, so concurrent
        # multi-record saves cannot deadlock.
        folded: dict[tuple[str, str], RecordWrite] = {}
        for record, _payload in prepared:
            key = (record.organization_id, record.record_id)
            earlier = folded.get(key)
            if earlier is not None:
                record = RecordWrite(
                    record.organization_id,
                    record.record_id,
                    merge_payload(earlier.payload, record.payload, self.merged_keys),
                    record.document_id or earlier.document_id,
                    record.folder_id or earlier.folder_id,
                )
            folded[key] = record
        if len(folded) != len(prepared):
            prepared = [(r, self._prepare(r.payload)) for r in folded.values()]
        rows = sorted(
            prepared, key=lambda row: (row[0].organization_id, row[0].record_id)
        )

        def write(chunk: Sequence[tuple[RecordWrite, str]]) -> None:
            returned = self._upsert(chunk, event, now, post_merge is not None)
            if post_merge is not None:
                self._apply_post_merge(returned, post_merge)

        with translate_errors("save", self.using):
            write_in_statements(self.using, rows, write, atomic=post_merge is not None)

    def _apply_post_merge(
        self, returned: Sequence[tuple[Any, ...]], post_merge: PostMerge
    ) -> None:
        for row_id, stored in returned:
            merged = json.loads(stored) if isinstance(stored, str) else stored
            payload = as_object(merged)
            before = dict(payload)
            post_merge(payload)
            self._prepare(payload)
            if payload != before:
                # The row is still locked by the upsert; ``rev`` already moved.
                self._records().filter(pk=row_id).update(payload=payload)

    def delete(
        self,
        organization_id: str,
        record_id: str,
        *,
        only_in_document: tuple[str | None] | None = None,
    ) -> int:
        """Delete one record of one organization; returns how many were deleted (0 or 1).

        ``only_in_document=(doc,)`` deletes it only while it is still stored under
        ``doc``.
        """
        document = only_in_document[0] if only_in_document is not None else None
        # No stored text holds NUL (see ``storable``): such a record is not stored.
        if any("\x00" in text for text in (organization_id, record_id, document or "")):
            return 0
        shape = (
            "any"
            if only_in_document is None
            else "null"
            if document is None
            else "value"
        )
        text, order = delete_statement(self.model, self.using, shape)
        values = (organization_id, record_id, document)
        connection = connections[self.using]
        with translate_errors("delete", self.using), connection.cursor() as cursor:
            cursor.execute(text, [values[i] for i in order])
            return max(int(cursor.rowcount), 0)

    def delete_in_organizations(
        self,
        record_id: str,
        organization_ids: Sequence[str],
        *,
        documents: Mapping[str, str | None] | None = None,
    ) -> int:
        """Delete the record with this id in each of the given organizations (each only
        while still stored under ``documents[org]``, when given)."""
        if not organization_ids:
            return 0
        if documents is None:
            query = Q(organization_id__in=list(organization_ids))
        else:
            query = Q()
            for org in organization_ids:
                query |= Q(organization_id=org) & self._document_is(documents.get(org))
        with translate_errors("delete", self.using):
            return delete_rows(
                self._records().filter(query, annotation_id=record_id), self.using
            )
