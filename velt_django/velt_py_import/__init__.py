"""Import a database written by the velt-py SDK into velt_django's collections."""

from __future__ import annotations

from .importer import (
    IMPORT_EVENT,
    RECORD_FAMILIES,
    USER_KEYS,
    Counts,
    Importer,
    RecordFamily,
    collection_names,
    record_write,
)

__all__ = [
    "IMPORT_EVENT",
    "RECORD_FAMILIES",
    "USER_KEYS",
    "Counts",
    "Importer",
    "RecordFamily",
    "collection_names",
    "record_write",
]
