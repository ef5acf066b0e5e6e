"""Import a database written by the velt-py SDK into velt_django's collections.

Each velt-py document is a flat payload (see ``VELT_PY_LAYOUT``): its ``_id`` is dropped,
its organization, document and folder are read from its metadata (``client…`` first),
then from a top-level ``organizationId``; a record with no organization is counted and
left out, never guessed. Records go through the repositories' save paths, so they are
stored exactly as if Velt had saved them, and a record whose save would change nothing
is skipped: importing the same database twice writes nothing the second time.
"""

from __future__ import annotations

from .importer import IMPORT_EVENT, Counts, Importer
from .mapping import (
    RECORD_FAMILIES,
    USER_KEYS,
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
