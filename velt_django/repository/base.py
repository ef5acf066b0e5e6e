"""What every repository shares: the record being written and the collection handle."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.database import Database

from ..conf import velt_settings
from ..exceptions import DatabaseUnavailableError, RecordTooLargeError, RepositoryError
from .connection import get_database
from .errors import translate_errors
from .keys import escape_payload, unescape_value

Document = dict[str, Any]

logger = logging.getLogger(__name__)


class StoredRecord(NamedTuple):
    """A stored record as a GDPR scan reads it: where it is, its unescaped payload, and
    the value of the repository's ``version_field`` when it was read."""

    organization_id: str
    record_id: str
    document_id: str | None
    payload: Document
    version: Any


@dataclass
class RecordWrite:
    """One record of a save: where it belongs and the payload exactly as Velt sent it."""

    organization_id: str
    record_id: str
    payload: Document
    document_id: str | None = None
    folder_id: str | None = None


class BaseRepository:
    """Access to one collection family; the database is injected or taken from settings.

    Subclasses declare ``collection_suffix`` and ``indexes``.
    """

    collection_suffix: ClassVar[str]
    indexes: ClassVar[Sequence[IndexModel]] = ()
    #: The stored field holding a record's id next to ``organizationId``; the two form
    #: the record's unique key (docs/storage-model.md, "Collections").
    id_field: ClassVar[str] = "annotationId"

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

    def ensure_ttl_index(self, name: str, field: str, seconds: int | None) -> bool:
        """Keep the TTL index ``name`` on ``field`` at ``seconds`` (``None``: no TTL,
        the index is dropped). A changed expiry is applied with ``collMod``; a server
        that refuses it (mongomock has no ``collMod``) gets the index dropped and
        recreated. An unavailable database is raised, never papered over. Returns
        whether the index exists afterwards."""
        with translate_errors("index_information"):
            current = self.collection.index_information().get(name)
        if seconds is None:
            if current is not None:
                with translate_errors("drop_index"):
                    self.collection.drop_index(name)
                logger.info("%s: dropped TTL index %s", self.collection_name(), name)
            return False
        model = IndexModel([(field, ASCENDING)], name=name, expireAfterSeconds=seconds)
        if current is not None and current.get("expireAfterSeconds") == seconds:
            return True
        if current is not None:
            try:
                with translate_errors("collMod"):
                    self.db.command(
                        {
                            "collMod": self.collection_name(),
                            "index": {"name": name, "expireAfterSeconds": seconds},
                        }
                    )
                return True
            except DatabaseUnavailableError:
                raise
            except (RepositoryError, NotImplementedError):
                logger.info("recreating %s with a new expiry", name)
                with translate_errors("drop_index"):
                    self.collection.drop_index(name)
        with translate_errors("create_indexes"):
            self.collection.create_indexes([model])
        return True

    def stored_documents(
        self, organization_id: str, record_ids: Sequence[str]
    ) -> dict[str, str | None]:
        """The document each existing record is stored under (absent ids: not stored);
        one ``find`` on the (``organizationId``, id) unique index."""
        if not record_ids:
            return {}
        query = {
            "organizationId": organization_id,
            self.id_field: {"$in": list(record_ids)},
        }
        with translate_errors("find"):
            return {
                doc[self.id_field]: doc.get("documentId")
                for doc in self.collection.find(
                    query, {"_id": 0, self.id_field: 1, "documentId": 1}
                )
            }

    # ---- GDPR: scans and guarded rewrites (manage.py velt_gdpr) -------------------
    # Records keyed by (``organizationId``, ``id_field``) with the payload under
    # ``payload``. A user id can sit anywhere in a payload (inside the ``comments`` map,
    # in custom fields), which no index can answer, so a GDPR request reads the
    # collection (or one organization of it) once.

    #: Stored field that every write changes; a GDPR rewrite applies only while it
    #: still holds the value read, so a concurrent save is never overwritten. ``None``:
    #: the stored ``payload`` itself is compared (matched exactly as it was read).
    version_field: ClassVar[str | None] = "rev"

    def _version_key(self) -> str:
        return self.version_field or "payload"

    def payload_merged_keys(self) -> tuple[str, ...]:
        """Payload keys stored as objects (see ``keys.escape_payload``)."""
        return ()

    def _stored_record(self, doc: Document) -> StoredRecord:
        payload = doc.get("payload")
        payload = payload if isinstance(payload, dict) else {}
        if doc.get("esc"):
            payload = unescape_value(payload)
        return StoredRecord(
            str(doc["organizationId"]),
            str(doc[self.id_field]),
            doc.get("documentId"),
            payload,
            doc.get(self._version_key()),
        )

    @staticmethod
    def _organization_query(organization_id: str | None) -> Document:
        return {} if organization_id is None else {"organizationId": organization_id}

    def count_records(self, organization_id: str | None = None) -> int:
        """How many records a :meth:`scan` of the same scope reads."""
        with translate_errors("count_documents"):
            query = self._organization_query(organization_id)
            return int(self.collection.count_documents(query))

    def scan(self, organization_id: str | None = None) -> Iterator[StoredRecord]:
        """Every record (of one organization, when given), payloads unescaped."""
        with translate_errors("find"):
            cursor = self.collection.find(
                self._organization_query(organization_id),
                sort=[("organizationId", 1), (self.id_field, 1)],
            )
            for doc in cursor:
                if "organizationId" in doc and self.id_field in doc:
                    yield self._stored_record(doc)

    def read_record(self, organization_id: str, record_id: str) -> StoredRecord | None:
        """One record as :meth:`scan` reads it, or ``None`` when it is not stored."""
        key = {"organizationId": organization_id, self.id_field: record_id}
        with translate_errors("find_one"):
            doc = self.collection.find_one(key)
        return None if doc is None else self._stored_record(doc)

    def rewrite_if_unchanged(
        self, record: StoredRecord, payload: Document | None, event: str
    ) -> bool:
        """Replace the payload of ``record`` with ``payload``, or delete the record when
        ``payload`` is ``None``, only while it is unchanged since it was read (same
        ``version_field``). Returns whether it applied; ``False`` means a concurrent
        write or delete came first (re-read and decide again).

        Raises :class:`InvalidRecordError`, :class:`RecordTooLargeError`,
        :class:`DatabaseUnavailableError` or :class:`RepositoryError`.
        """
        query: Document = {
            "organizationId": record.organization_id,
            self.id_field: record.record_id,
            self._version_key(): record.version,
        }
        if payload is None:
            with translate_errors("delete_one"):
                return bool(self.collection.delete_one(query).deleted_count)
        escaped = escape_payload(
            payload, velt_settings.MAX_PAYLOAD_DEPTH, self.payload_merged_keys()
        )
        if escaped.size > velt_settings.MAX_RECORD_SIZE:
            raise RecordTooLargeError("a record exceeds the configured size limit")
        now = datetime.datetime.now(datetime.timezone.utc)
        update: Document = {
            "$set": {
                "payload": escaped.value,
                "esc": escaped.changed,
                "updatedAt": now,
                "lastEvent": event,
            }
        }
        if self.version_field == "rev":
            update["$inc"] = {"rev": 1}
        with translate_errors("update_one"):
            return bool(self.collection.update_one(query, update).matched_count)
