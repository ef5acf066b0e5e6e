"""File records on PostgreSQL (``velt_files``), through Django's ORM: the same methods,
and the same answers, as ``repository.files.FileRepository``.

A record is stored as the views wrote it, in the ``record`` JSONB column, with copies
of the fields it is looked up by as columns (``velt_django.models.FileRecord``); its two
datetimes, ``createdAt`` and ``deleteRequestedAt``, are columns only and put back on
read. Datetimes are kept to the millisecond, as BSON keeps them, so both backends
answer the same values (a GDPR export writes them as text).

The unique keys are MongoDB's: the storage key and the public id in every
organization, and the retry key (organization, scope, document, attachment id,
SHA-256), so an identical upload racing another one raises
:class:`~velt_django.exceptions.DuplicateRecordError` and then finds the winner.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, ClassVar

from django.db.models import Q, QuerySet

from ...exceptions import InvalidRecordError
from ...models import FileRecord
from ..base import Document
from ..files import (
    UPLOADER_VELT_ID,
    AttachmentId,
    FileRepository,
    candidate_limit,
    legacy_uploader_ids,
)
from .base import _dump, database_alias, savepoint_if_nested
from .errors import translate_errors

#: The record's datetimes, held in columns (field → column).
DATETIME_FIELDS = {
    "createdAt": "created_at",
    "deleteRequestedAt": "delete_requested_at",
}


def to_milliseconds(value: datetime.datetime) -> datetime.datetime:
    """``value`` with BSON's precision (microseconds cut to whole milliseconds)."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class SqlFileRepository:
    """``velt_files``: the file records of both scopes; the twin of
    ``FileRepository``."""

    model: ClassVar[type[FileRecord]] = FileRecord
    id_field: ClassVar[str] = "publicId"
    escape_extra = staticmethod(FileRepository.escape_extra)

    def __init__(self, using: str | None = None) -> None:
        self._using = using

    @property
    def using(self) -> str:
        return self._using if self._using is not None else database_alias()

    def _records(self) -> QuerySet[FileRecord]:
        return self.model._default_manager.using(self.using)

    @staticmethod
    def _document(row: FileRecord) -> Document:
        """The record as MongoDB returns it (without ``_id``)."""
        record = dict(row.record) if isinstance(row.record, dict) else {}
        for name, column in DATETIME_FIELDS.items():
            value = getattr(row, column)
            if value is not None:
                record[name] = value
        return record

    def _documents(self, rows: QuerySet[FileRecord]) -> list[Document]:
        with translate_errors("find", self.using):
            return [self._document(row) for row in rows]

    @staticmethod
    def _document_is(document_id: str | None) -> Q:
        # MongoDB's {"documentId": null} matches a missing or null value alike.
        if document_id is None:
            return Q(document_id__isnull=True)
        return Q(document_id=document_id)

    # ---- reads -------------------------------------------------------------------

    def by_public_id(self, public_id: str) -> Document | None:
        """The record behind a stable URL, or ``None``."""
        found = self._documents(self._records().filter(public_id=public_id)[:1])
        return found[0] if found else None

    def find_retry(
        self,
        organization_id: str,
        scope: str,
        document_id: str | None,
        attachment_id: AttachmentId,
        sha256: str,
    ) -> Document | None:
        """An earlier upload of the same bytes under the same organization, scope, id
        and document: a retry, answered with that upload's URL."""
        rows = self._records().filter(
            self._document_is(document_id),
            organization_id=organization_id,
            scope=scope,
            attachment_id=attachment_id,
            sha256=sha256,
        )
        found = self._documents(rows[:1])
        return found[0] if found else None

    def candidates(
        self,
        organization_id: str | None,
        scope: str,
        *,
        attachment_id: AttachmentId | None = None,
        document_id: str | None = None,
        url: str | None = None,
        public_id: str | None = None,
    ) -> list[Document]:
        """The records a file delete may mean (see ``FileRepository.candidates``),
        oldest first; at most ``CANDIDATE_LIMIT`` (org-less: ``ORGLESS_CANDIDATE_LIMIT``)."""
        rows = self._records().filter(scope=scope)
        if organization_id is not None:
            rows = rows.filter(organization_id=organization_id)
        if attachment_id is not None:
            rows = rows.filter(attachment_id=attachment_id)
        if document_id is not None:
            rows = rows.filter(document_id=document_id)
        if public_id is not None and url is not None:
            rows = rows.filter(Q(public_id=public_id) | Q(url=url))
        elif public_id is not None:
            rows = rows.filter(public_id=public_id)
        elif url is not None:
            rows = rows.filter(url=url)
        limit = candidate_limit(organization_id)
        return self._documents(rows.order_by("id")[:limit])

    def stored_keys(self, storage_keys: Sequence[str]) -> set[str]:
        """Which of ``storage_keys`` a record points to (one query on the unique key)."""
        if not storage_keys:
            return set()
        rows = self._records().filter(storage_key__in=list(storage_keys))
        with translate_errors("find", self.using):
            return set(rows.values_list("storage_key", flat=True))

    def find_by_uploader(
        self, user_id: str, legacy_ids: Sequence[str] = (), *, legacy_self: bool = True
    ) -> list[Document]:
        """Every file record whose upload was made by Velt user ``user_id`` (GDPR); see
        ``FileRepository.find_by_uploader`` for ``legacy_ids`` and ``legacy_self``."""
        match = Q(uploaded_by=user_id, uploaded_by_kind=UPLOADER_VELT_ID)
        legacy = legacy_uploader_ids(user_id, legacy_ids, legacy_self)
        if legacy:
            # Written before ``uploadedByKind`` existed: the key is missing.
            match |= Q(uploaded_by__in=legacy) & ~Q(record__has_key="uploadedByKind")
        return self._documents(self._records().filter(match).order_by("id"))

    # ---- writes ------------------------------------------------------------------

    def _row(self, record: Document) -> FileRecord:
        """The row of ``record``; raises :class:`InvalidRecordError` for what JSON
        cannot hold (BSON types of old records are not expected here)."""
        fields = {k: v for k, v in record.items() if k not in DATETIME_FIELDS}
        _dump(fields)  # refuses what JSON cannot hold, as a save of a payload does
        datetimes: dict[str, datetime.datetime | None] = {}
        for name, column in DATETIME_FIELDS.items():
            value = record.get(name)
            if value is not None and not isinstance(value, datetime.datetime):
                raise InvalidRecordError(f"{name} is not a datetime")
            datetimes[column] = to_milliseconds(value) if value is not None else None
        for key in ("organizationId", "scope", "storageKey", "publicId", "sha256"):
            if not isinstance(record.get(key), str):
                raise InvalidRecordError(f"a file record's {key} is not a string")
        if "attachmentId" not in record:
            raise InvalidRecordError("a file record has no attachmentId")
        return self.model(
            organization_id=record["organizationId"],
            scope=record["scope"],
            document_id=_text(record.get("documentId")),
            attachment_id=record["attachmentId"],
            sha256=record["sha256"],
            storage_key=record["storageKey"],
            public_id=record["publicId"],
            url=_text(record.get("url")),
            uploaded_by=_text(record.get("uploadedBy")),
            uploaded_by_kind=_text(record.get("uploadedByKind")),
            record=fields,
            **datetimes,
        )

    def insert(self, record: Document) -> None:
        """Store a new record; a record with the same retry key, storage key or public
        id raises :class:`~velt_django.exceptions.DuplicateRecordError`."""
        row = self._row(record)
        with translate_errors("insert", self.using), savepoint_if_nested(self.using):
            row.save(using=self.using, force_insert=True)

    def delete(self, storage_key: str, organization_id: str) -> int:
        """Remove one record, only while it still belongs to ``organization_id``."""
        rows = self._records().filter(
            storage_key=storage_key, organization_id=organization_id
        )
        with translate_errors("delete", self.using):
            deleted, _ = rows.delete()
        return deleted

    def flag_delete_requested(self, storage_keys: Sequence[str]) -> int:
        """Mark ambiguous delete candidates with ``deleteRequestedAt`` instead of
        deleting any."""
        if not storage_keys:
            return 0
        now = to_milliseconds(datetime.datetime.now(datetime.timezone.utc))
        rows = self._records().filter(storage_key__in=list(storage_keys))
        with translate_errors("update", self.using):
            return rows.update(delete_requested_at=now)

    def import_external(self, record: Document) -> bool:
        """Store the record of a file that lives outside velt_django's storage unless
        a record with its storage key exists (idempotent, see
        ``FileRepository.import_external``). Returns whether a new record was
        inserted; a clash on another unique key raises
        :class:`~velt_django.exceptions.DuplicateRecordError`."""
        row = self._row(record)
        defaults = {
            field.attname: getattr(row, field.attname)
            for field in self.model._meta.concrete_fields
            if not field.primary_key and field.attname != "storage_key"
        }
        with translate_errors("import", self.using):
            _row, created = self._records().get_or_create(
                storage_key=row.storage_key, defaults=defaults
            )
        return created
