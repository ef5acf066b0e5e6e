"""Seed the benchmark corpus into velt-py's storage, in velt-py's own layout, fast.

The suite describes its corpus as velt_django wire payloads per family (what a browser
would send in ``<family>/save``). :func:`seed` turns each payload into the document
velt-py's save would have stored for it and bulk-inserts them (``insert_many`` on
MongoDB, one pipelined ``executemany`` per batch on PostgreSQL) into the database the
peer's environment names (:mod:`benchmarks.peer.env`), so both servers start from the
same data without going through either server.

What velt-py's saves store (velt-py 0.3.0, ``services/self_hosting``), reproduced by
:func:`velt_py_record`:

* the payload passed through velt-py's model (``Partial…Annotation.from_dict(...)
  .to_dict()``): unknown top-level keys are kept, ``metadata`` keeps only
  ``BaseMetadata``'s fields, attachment keys of comments become strings;
* the record id under its key (``annotationId``, ``id``, ``notificationId``), the map
  key winning;
* comments and reactions: ``metadata.organizationId``, ``documentId``, ``folderId`` and
  (when configured) ``apiKey``; recordings the same without ``folderId``; activities
  ``organizationId`` at the top and in ``metadata``; notifications ``organizationId`` at
  the top; users as given.

The organization and document are found the way velt_django finds them for a save
(``clientOrganizationId`` before ``organizationId``, ``clientDocumentId`` before
``documentId``; notifications: the top-level ``organizationId`` first; activities: the
top level last), so a get for the same organization finds the same records on both
servers. velt_django's own import (``velt_django.velt_py_import.mapping``) is the reverse
of this mapping; it needs Django settings, so nothing of it is imported here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from velt_py import (
    PartialActivityRecord,
    PartialCommentAnnotation,
    PartialNotification,
    PartialReactionAnnotation,
    PartialRecorderAnnotation,
)
from velt_py.config import Config
from velt_py.database.connection import get_database, reset_connection

from .env import sdk_config

Record = dict[str, Any]


@dataclass(frozen=True)
class Family:
    """How one velt_django family is stored by velt-py."""

    #: velt-py's collection kind (``Config.get_collection_name``).
    kind: str
    id_key: str
    #: ``from_dict``/``to_dict`` of velt-py's model; ``None``: stored as given.
    model: Callable[[Record], Any] | None
    #: Where velt-py writes the organization: ``metadata``, ``top`` or ``both``.
    organization_at: str = "metadata"
    #: Whether velt-py's save writes ``metadata.documentId`` / ``metadata.folderId``.
    document: bool = True
    folder: bool = True


FAMILIES: dict[str, Family] = {
    "comments": Family("comments", "annotationId", PartialCommentAnnotation.from_dict),
    "reactions": Family(
        "reactions", "annotationId", PartialReactionAnnotation.from_dict
    ),
    "recordings": Family(
        "recorder_annotations",
        "annotationId",
        PartialRecorderAnnotation.from_dict,
        folder=False,
    ),
    "activities": Family(
        "activities",
        "id",
        PartialActivityRecord.from_dict,
        organization_at="both",
        document=False,
        folder=False,
    ),
    "notifications": Family(
        "notifications",
        "notificationId",
        PartialNotification.from_dict,
        organization_at="top",
        document=False,
        folder=False,
    ),
    "users": Family("users", "userId", None, organization_at="none", document=False),
}


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        text = str(value).strip()
        return text or None
    return None


def _first(source: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        found = _text(source.get(key))
        if found is not None:
            return found
    return None


def _organization(
    family: Family, payload: Mapping[str, Any], metadata: Mapping[str, Any]
) -> str | None:
    in_metadata = _first(metadata, "clientOrganizationId", "organizationId")
    top = _text(payload.get("organizationId"))
    if family.organization_at == "top":
        return top or in_metadata
    return in_metadata or top


def velt_py_record(
    family: str,
    payload: Mapping[str, Any],
    *,
    record_id: str | None = None,
    organization_id: str | None = None,
    api_key: str | None = None,
) -> Record:
    """The document velt-py stores for one wire ``payload`` of ``family``.

    ``record_id`` (the key of the save map) wins over the id inside the payload;
    ``organization_id`` is used when the payload names none. Raises :class:`ValueError`
    for an unknown family, a missing id, or no organization.
    """
    spec = FAMILIES.get(family)
    if spec is None:
        raise ValueError(f"unknown family {family!r} (known: {', '.join(FAMILIES)})")
    rid = record_id or _text(payload.get(spec.id_key))
    if rid is None:
        raise ValueError(f"a {family} payload needs {spec.id_key}")
    raw_metadata = payload.get("metadata")
    metadata: Mapping[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}
    record: Record = (
        dict(payload) if spec.model is None else spec.model(dict(payload)).to_dict()
    )
    record[spec.id_key] = rid
    if spec.organization_at == "none":
        return record
    organization = _organization(spec, payload, metadata) or organization_id
    if organization is None:
        raise ValueError(f"{family} record {rid!r} names no organization")
    if spec.organization_at in ("top", "both"):
        record["organizationId"] = organization
    if spec.organization_at in ("metadata", "both"):
        stored = record.get("metadata")
        stored = dict(stored) if isinstance(stored, dict) else {}
        stored["organizationId"] = organization
        document = _first(metadata, "clientDocumentId", "documentId")
        if spec.document and document is not None:
            stored["documentId"] = document
        folder = _text(metadata.get("folderId"))
        if spec.folder and folder is not None:
            stored["folderId"] = folder
        if api_key:
            stored["apiKey"] = api_key
        record["metadata"] = stored
    return record


def _batches(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


def _insert_mongodb(adapter: Any, collection: str, batch: list[Record]) -> None:
    adapter.get_collection(collection).insert_many(batch, ordered=False)


def _insert_postgresql(adapter: Any, collection: str, batch: list[Record]) -> None:
    from psycopg.types.json import Jsonb
    from velt_py.database.postgres_adapter import quote_ident

    table = f"{quote_ident(adapter.schema)}.{quote_ident(collection)}"
    with adapter.pool.connection() as conn, conn.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {table} (data) VALUES (%s)", [(Jsonb(doc),) for doc in batch]
        )


def seed(
    corpus: Mapping[str, Iterable[Mapping[str, Any]]],
    *,
    organization_id: str | None = None,
    environ: Mapping[str, str] | None = None,
    batch_size: int = 1000,
) -> dict[str, int]:
    """Insert ``corpus`` (family name → wire payloads) into the peer's database; answer
    the number of documents inserted per family.

    The database is the one ``environ`` (default ``os.environ``) names for the peer, and
    the ``apiKey`` written into metadata is the peer's (``VELT_PEER_API_KEY``). velt-py's
    first connection creates its tables and indexes, so the unique id indexes are in
    place before the inserts: the collections must not hold the same ids already
    (seed an empty database). The connection is closed again at the end
    (``velt_py.database.reset_connection``: velt-py keeps one per process).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    config = Config(sdk_config(environ))
    api_key = config.get_api_key()
    insert = (
        _insert_postgresql
        if config.get_database_type() == "postgresql"
        else _insert_mongodb
    )
    counts: dict[str, int] = {}
    try:
        adapter = get_database(config)
        for family, payloads in corpus.items():
            collection = (
                config.get_collection_name(FAMILIES[family].kind)
                if family in FAMILIES
                else None
            )
            if collection is None:
                raise ValueError(
                    f"unknown family {family!r} (known: {', '.join(FAMILIES)})"
                )
            records = (
                velt_py_record(
                    family, payload, organization_id=organization_id, api_key=api_key
                )
                for payload in payloads
            )
            counts[family] = 0
            for batch in _batches(records, batch_size):
                insert(adapter, collection, batch)
                counts[family] += len(batch)
    finally:
        reset_connection()
    return counts
