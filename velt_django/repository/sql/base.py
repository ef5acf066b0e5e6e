"""What the PostgreSQL repositories share: the database alias, the savepoint a write
takes inside a caller's transaction, the split of a bulk write into statements, and
the GDPR scans and guarded rewrites of a table keyed by (organization, id)."""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, ClassVar, TypeVar

from django.db import connections, transaction
from django.db.models import F, QuerySet

from ...conf import velt_settings
from ...exceptions import InvalidRecordError, RecordTooLargeError
from ..base import Document, StoredRecord
from ..keys import payload_size
from .errors import translate_errors

#: Records per ``INSERT`` statement (9 parameters each, PostgreSQL allows 65,535); a
#: larger save is several statements in one transaction.
ROWS_PER_STATEMENT = 1000

#: Rows a GDPR scan fetches per round trip.
SCAN_CHUNK = 500

Row = TypeVar("Row")


#: Seconds a new connection to the alias may take (libpq's ``connect_timeout``) when the
#: project sets none: psycopg would wait 130 s, libpq for ever. A database that is slow
#: to answer then costs a request this long before its ``503 DATABASE_ERROR``.
CONNECT_TIMEOUT_S = 5

#: Where a connect timeout may already come from, so the default leaves it alone:
#: ``OPTIONS`` keys (a service file may set one) and libpq's environment variable.
_TIMEOUT_SOURCES = ("connect_timeout", "service")
_TIMEOUT_ENV = "PGCONNECT_TIMEOUT"

#: Engines that connect through psycopg (PostgreSQL, and PostGIS on top of it; the
#: check velt.E072 accepts these two).
_PSYCOPG_ENGINES = frozenset(
    {"django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis"}
)


def database_alias() -> str:
    """The Django database alias of the PostgreSQL tables (``VELT["DATABASE_ALIAS"]``),
    its new connections bounded by :func:`bound_connections`."""
    alias = velt_settings.DATABASE_ALIAS
    bound_connections(alias)
    return alias


def bound_connections(alias: str) -> None:
    """Give ``alias``'s new connections ``connect_timeout = CONNECT_TIMEOUT_S`` unless
    the project bounds them itself (``OPTIONS["connect_timeout"]``, a ``service``, or
    ``PGCONNECT_TIMEOUT``). Django reads ``OPTIONS`` from the alias's settings dict,
    which every thread's connection shares, each time it connects."""
    entry = connections.settings.get(alias)
    if entry is None or entry.get("ENGINE") not in _PSYCOPG_ENGINES:
        return  # not a PostgreSQL alias: the checks velt.E071 and E072 say so
    options = entry.setdefault("OPTIONS", {})
    if any(key in options for key in _TIMEOUT_SOURCES) or os.environ.get(_TIMEOUT_ENV):
        return
    options["connect_timeout"] = CONNECT_TIMEOUT_S


def _dump(payload: Document) -> str:
    """A payload's JSON text; a non-finite number is an invalid record."""
    try:
        return json.dumps(payload, ensure_ascii=False, allow_nan=False)
    except ValueError as err:
        raise InvalidRecordError("a number is not finite") from err


def storable(texts: Sequence[str]) -> list[str]:
    """The ``texts`` a PostgreSQL text column can hold. A text holding a NUL character
    (U+0000) is in no row (a write refuses it), so a lookup leaves it out and finds
    nothing for it, as MongoDB does, instead of failing on it."""
    return [text for text in texts if "\x00" not in text]


def as_object(value: Any) -> Document:
    """A stored JSONB payload as a dict (``{}`` when it is not an object)."""
    return value if isinstance(value, dict) else {}


def savepoint_if_nested(using: str) -> AbstractContextManager[Any]:
    """A savepoint when the caller holds a transaction (``ATOMIC_REQUESTS``, a test),
    so a refused write leaves that transaction usable; nothing otherwise, keeping the
    write one round trip in autocommit mode."""
    if connections[using].in_atomic_block:
        return transaction.atomic(using=using)
    return nullcontext()


def write_in_statements(
    using: str,
    rows: Sequence[Row],
    write: Callable[[Sequence[Row]], object],
    *,
    atomic: bool = False,
) -> None:
    """Call ``write`` on ``rows`` in chunks of ``ROWS_PER_STATEMENT``, all or nothing:
    one chunk under :func:`savepoint_if_nested`, several (or ``atomic``) in one
    transaction."""
    chunks = [
        rows[i : i + ROWS_PER_STATEMENT]
        for i in range(0, len(rows), ROWS_PER_STATEMENT)
    ]
    if not atomic and len(chunks) == 1:
        with savepoint_if_nested(using):
            write(chunks[0])
        return
    with transaction.atomic(using=using):
        for chunk in chunks:
            write(chunk)


class SqlRecordTable:
    """The GDPR side (``manage.py velt_gdpr``) of a table keyed by
    (``organization_id``, ``id_column``) with ``document_id``, ``payload`` and ``rev``
    columns. Subclasses give ``id_column`` and ``_records``."""

    id_column: ClassVar[str]

    def __init__(self, using: str | None = None) -> None:
        self._using = using

    @property
    def using(self) -> str:
        return self._using if self._using is not None else database_alias()

    def _records(self) -> QuerySet[Any]:
        raise NotImplementedError

    def payload_merged_keys(self) -> tuple[str, ...]:
        """Payload keys MongoDB stores as objects (see ``keys.escape_payload``)."""
        return ()

    def _prepare(self, payload: Document) -> str:
        """Validate a payload as the MongoDB backend does (integer range, text, depth,
        ``MAX_RECORD_SIZE`` measured as MongoDB would store it, so both backends refuse
        the same records) and return its JSON text."""
        size = payload_size(
            payload, velt_settings.MAX_PAYLOAD_DEPTH, self.payload_merged_keys()
        )
        if size > velt_settings.MAX_RECORD_SIZE:
            raise RecordTooLargeError("a record exceeds the configured size limit")
        return _dump(payload)

    def _readable(self) -> QuerySet[Any]:
        """The rows a resolver read sees (all of them, unless a table expires rows)."""
        return self._records()

    def stored_documents(
        self, organization_id: str, record_ids: Sequence[str]
    ) -> dict[str, str | None]:
        """The document each readable record is stored under (absent ids: not stored)."""
        if not record_ids:
            return {}
        rows = self._readable().filter(
            organization_id=organization_id,
            **{f"{self.id_column}__in": list(record_ids)},
        )
        with translate_errors("find", self.using):
            return dict(rows.values_list(self.id_column, "document_id"))

    def _organization(self, organization_id: str | None) -> QuerySet[Any]:
        records = self._records()
        if organization_id is None:
            return records
        return records.filter(organization_id=organization_id)

    def count_records(self, organization_id: str | None = None) -> int:
        """How many records a :meth:`scan` of the same scope reads."""
        with translate_errors("count", self.using):
            return self._organization(organization_id).count()

    def scan(self, organization_id: str | None = None) -> Iterator[StoredRecord]:
        """Every record (of one organization, when given), by (organization, id)."""
        rows = (
            self._organization(organization_id)
            .order_by("organization_id", self.id_column)
            .values_list(
                "organization_id", self.id_column, "document_id", "payload", "rev"
            )
        )
        with translate_errors("scan", self.using):
            for org, record_id, document_id, payload, rev in rows.iterator(
                chunk_size=SCAN_CHUNK
            ):
                yield StoredRecord(org, record_id, document_id, as_object(payload), rev)

    def read_record(self, organization_id: str, record_id: str) -> StoredRecord | None:
        """One record as :meth:`scan` reads it, or ``None`` when it is not stored."""
        rows = self._records().filter(
            organization_id=organization_id, **{self.id_column: record_id}
        )
        with translate_errors("find", self.using):
            row = rows.values_list("document_id", "payload", "rev").first()
        if row is None:
            return None
        document_id, payload, rev = row
        return StoredRecord(
            organization_id, record_id, document_id, as_object(payload), rev
        )

    def rewrite_if_unchanged(
        self, record: StoredRecord, payload: Document | None, event: str
    ) -> bool:
        """Replace the payload of ``record`` (or delete it when ``payload`` is
        ``None``) only while its ``rev`` is still the one read; returns whether it
        applied."""
        rows = self._records().filter(
            organization_id=record.organization_id,
            rev=record.version,
            **{self.id_column: record.record_id},
        )
        if payload is None:
            with translate_errors("delete", self.using):
                deleted, _ = rows.delete()
            return bool(deleted)
        self._prepare(payload)
        now = datetime.datetime.now(datetime.timezone.utc)
        with translate_errors("update", self.using):
            return bool(
                rows.update(
                    payload=payload,
                    updated_at=now,
                    last_event=event,
                    rev=F("rev") + 1,
                )
            )
