"""Read access to a database written by the velt-py SDK (``velt_import_velt_py``)."""

from __future__ import annotations

import base64
import datetime
import uuid
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from bson import ObjectId
from bson.decimal128 import Decimal128
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.driver_info import DriverInfo
from pymongo.errors import ConfigurationError

from .. import __version__
from ..conf import velt_settings
from ..exceptions import RepositoryError
from .base import Document
from .errors import translate_errors

#: velt-py's collection names (its defaults; a ``collections`` mapping may rename them).
DEFAULT_COLLECTIONS: Mapping[str, str] = {
    "comment_annotations": "comment_annotations",
    "reaction_annotations": "reaction_annotations",
    "recorder_annotations": "recorder_annotations",
    "activities": "activities",
    "notifications": "notifications",
    "users": "users",
    "attachments": "attachments",
}


def json_ready(value: Any) -> Any:
    """A BSON value as the JSON value velt_django stores: datetimes become ISO 8601
    text (UTC, milliseconds), ObjectIds and UUIDs their text, decimals numbers, binary
    data base64 text. JSON types pass unchanged."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        text = value.astimezone(datetime.timezone.utc).isoformat(
            timespec="milliseconds"
        )
        return text.replace("+00:00", "Z")
    if isinstance(value, Decimal128):
        value = value.to_decimal()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (ObjectId, uuid.UUID)):
        return str(value)
    return str(value)


class VeltPySource:
    """One velt-py database; reads each collection's documents without ``_id``.

    ``db`` is injected in tests; otherwise :func:`open_source` connects with the
    timeouts of ``VELT``.
    """

    def __init__(self, db: Database[Document], client: Any = None) -> None:
        self.db = db
        self._client = client

    def collection_names(self) -> set[str]:
        with translate_errors("list_collection_names"):
            return set(self.db.list_collection_names())

    def count(self, name: str) -> int:
        with translate_errors("count_documents"):
            return int(self.db[name].count_documents({}))

    def documents(self, name: str) -> Iterator[Document]:
        """The documents of collection ``name`` as JSON-ready dicts, ``_id`` dropped, in
        ``_id`` order (a stable order for progress and for repeated runs)."""
        with translate_errors("find"):
            for doc in self.db[name].find({}, sort=[("_id", 1)]):
                doc.pop("_id", None)
                ready: Document = json_ready(doc)
                yield ready

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def open_source(uri: str, database: str) -> VeltPySource:
    """Connect (lazily) to the velt-py database ``database`` at ``uri``. Raises
    :class:`~velt_django.exceptions.RepositoryError` for a malformed URI."""
    timeout = velt_settings.SERVER_SELECTION_TIMEOUT_MS
    try:
        client: MongoClient[Document] = MongoClient(
            uri,
            serverSelectionTimeoutMS=timeout,
            connectTimeoutMS=timeout,
            socketTimeoutMS=velt_settings.SOCKET_TIMEOUT_MS,
            driver=DriverInfo("velt-django", __version__),
            tz_aware=True,
            connect=False,
        )
    except (ConfigurationError, ValueError, TypeError) as err:
        # The driver's message may quote the URI, and with it a password.
        raise RepositoryError(
            "the source URI is not a valid MongoDB connection string"
        ) from err
    return VeltPySource(client[database], client)
