"""Read access to a database written by the velt-py SDK (``velt_import_velt_py``)."""

from __future__ import annotations

import base64
import datetime
import math
import uuid
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, Protocol

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


#: What BSON can store as an integer; a larger decimal becomes a float.
_INT64 = (-(2**63), 2**63 - 1)

#: Marks a value JSON has no spelling for; its key or list item is left out.
_UNREPRESENTABLE: Any = object()


def _decimal_number(value: Decimal) -> Any:
    if not value.is_finite():  # NaN, sNaN, Infinity, -Infinity
        return _UNREPRESENTABLE
    if value == value.to_integral_value() and _INT64[0] <= value <= _INT64[1]:
        return int(value)
    number = float(value)
    return number if math.isfinite(number) else _UNREPRESENTABLE


def _ready(value: Any, dropped: list[str], path: str) -> Any:
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _UNREPRESENTABLE
    if isinstance(value, Mapping):
        ready: dict[str, Any] = {}
        for key, item in value.items():
            item_path = f"{path}.{key}" if path else str(key)
            converted = _ready(item, dropped, item_path)
            if converted is _UNREPRESENTABLE:
                dropped.append(item_path)
            else:
                ready[str(key)] = converted
        return ready
    if isinstance(value, (list, tuple)):
        items = []
        for index, item in enumerate(value):
            converted = _ready(item, dropped, f"{path}[{index}]")
            if converted is _UNREPRESENTABLE:
                dropped.append(f"{path}[{index}]")
            else:
                items.append(converted)
        return items
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
        return _decimal_number(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (ObjectId, uuid.UUID)):
        return str(value)
    return str(value)


def json_ready(value: Any, dropped: list[str] | None = None) -> Any:
    """A BSON value as the JSON value velt_django stores: datetimes become ISO 8601
    text (UTC, milliseconds), ObjectIds and UUIDs their text, decimals numbers, binary
    data base64 text. JSON types pass unchanged.

    A number JSON cannot spell (NaN, ±Infinity, a decimal beyond a double) is left out:
    the key that holds it, or its list item. Its path (``a.b``, ``a[2]``) is appended
    to ``dropped``; a top-level one becomes ``None``.
    """
    ready = _ready(value, [] if dropped is None else dropped, "")
    return None if ready is _UNREPRESENTABLE else ready


#: How errors name the velt-py database (the import also writes to velt_django's own).
SOURCE = "the source database (velt-py, --source-uri)"


class Source(Protocol):
    """What the importer reads: a velt-py database on MongoDB (:class:`VeltPySource`) or
    PostgreSQL (:class:`~.velt_py_postgres.VeltPyPostgresSource`); a "collection" is a
    table on PostgreSQL."""

    def collection_names(self) -> set[str]: ...

    def count(self, name: str) -> int: ...

    def documents(self, name: str) -> Iterator[tuple[Document, list[str]]]: ...

    def none_found_message(self) -> str:
        """The command's error when none of the velt-py collections is there."""
        ...

    def close(self) -> None: ...


class VeltPySource:
    """One velt-py database; reads each collection's documents without ``_id``.

    ``db`` is injected in tests; otherwise :func:`open_source` connects with the
    timeouts of ``VELT``.
    """

    def __init__(self, db: Database[Document], client: Any = None) -> None:
        self.db = db
        self._client = client

    def collection_names(self) -> set[str]:
        with translate_errors("list_collection_names", database=SOURCE):
            return set(self.db.list_collection_names())

    def count(self, name: str) -> int:
        with translate_errors("count_documents", database=SOURCE):
            return int(self.db[name].count_documents({}))

    def documents(self, name: str) -> Iterator[tuple[Document, list[str]]]:
        """The documents of collection ``name`` as JSON-ready dicts, ``_id`` dropped, in
        ``_id`` order (a stable order for progress and for repeated runs), each with
        the paths of the fields :func:`json_ready` left out."""
        with translate_errors("find", database=SOURCE):
            for doc in self.db[name].find({}, sort=[("_id", 1)]):
                doc.pop("_id", None)
                dropped: list[str] = []
                ready: Document = json_ready(doc, dropped)
                yield ready, dropped

    def none_found_message(self) -> str:
        return (
            f"database {self.db.name} has none of the velt-py collections; check "
            "--source-db and --collections-map"
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def open_source(uri: str, database: str | None, schema: str | None = None) -> Source:
    """Connect (lazily) to the velt-py database at ``uri``: a ``postgres://`` or
    ``postgresql://`` URI opens velt-py's PostgreSQL layout in ``schema`` (``public`` by
    default; ``database`` overrides the URI's database name), any other URI a MongoDB
    database ``database``. Raises :class:`~velt_django.exceptions.RepositoryError` for a
    malformed URI, :class:`~velt_django.exceptions.VeltImproperlyInstalled` when psycopg
    is missing for a PostgreSQL one."""
    from . import velt_py_postgres  # its module needs velt_py's helpers

    if velt_py_postgres.is_postgres_uri(uri):
        return velt_py_postgres.VeltPyPostgresSource(
            uri, schema or velt_py_postgres.DEFAULT_SCHEMA, database
        )
    if not database:
        raise RepositoryError("a MongoDB source needs --source-db")
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
