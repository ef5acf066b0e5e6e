"""What every repository shares: the record being written and the collection handle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pymongo import IndexModel
from pymongo.collection import Collection
from pymongo.database import Database

from ..conf import velt_settings
from .connection import get_database
from .errors import translate_errors

Document = dict[str, Any]


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
    #: The stored field holding a record's id next to ``organizationId`` (§5.2).
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
