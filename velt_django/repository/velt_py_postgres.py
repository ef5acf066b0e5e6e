"""Read access to a velt-py database kept in PostgreSQL (``velt_import_velt_py``).

velt-py's PostgreSQL layout: one table per collection (named as on MongoDB, renamed by
its ``collections`` config) in one schema (``public`` unless configured), each row
``id BIGINT`` (identity), ``data JSONB`` (the document MongoDB would hold, without
``_id``), ``created_at`` and ``updated_at``. This is a foreign schema, not a Django
model: it is read with psycopg 3 directly, and all of the SQL is in
:class:`VeltPyPostgresSource` (identifiers quoted through ``psycopg.sql``, values bound).
psycopg is the optional ``postgres`` extra and is imported only when such a source is
opened.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..conf import velt_settings
from ..exceptions import (
    DatabaseUnavailableError,
    RepositoryError,
    VeltImproperlyInstalled,
)
from .base import Document
from .sql.errors import TRANSIENT_CLASSES, TRANSIENT_STATES
from .velt_py import SOURCE, json_ready

logger = logging.getLogger(__name__)

#: URI schemes that select a PostgreSQL source.
SCHEMES = ("postgres", "postgresql")

#: velt-py's default schema.
DEFAULT_SCHEMA = "public"

#: Rows fetched per round trip while reading a table (a server-side cursor).
BATCH_SIZE = 500

_INSTALL_HINT = (
    "reading a velt-py PostgreSQL database needs psycopg 3: "
    "pip install 'velt-django[postgres]'"
)


#: Why the server refused a connection. libpq reports no SQLSTATE for a failed
#: connect, so the server's FATAL message is matched (and never shown); any other
#: refusal (starting up, shutting down, too many connections) is an outage.
_REFUSALS = (
    ("does not exist", "the database does not exist (check --source-db)"),
    ("authentication failed", "authentication failed"),
    ("no pg_hba.conf entry", "the server does not accept this client"),
    ("permission denied", "permission denied"),
)


def _refusal(err: BaseException) -> str | None:
    """Why the server refused the connection, when it did so for good."""
    text = str(err)
    if "FATAL:" not in text:
        return None
    return next((why for needle, why in _REFUSALS if needle in text), None)


def is_postgres_uri(uri: str) -> bool:
    """Whether ``uri`` names a PostgreSQL server (``postgres://``, ``postgresql://``)."""
    scheme, sep, _ = uri.partition("://")
    return bool(sep) and scheme.lower() in SCHEMES


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as err:
        raise VeltImproperlyInstalled(_INSTALL_HINT) from err
    return psycopg


def _transient(err: BaseException) -> bool:
    state = getattr(err, "sqlstate", None)
    if isinstance(state, str):
        return state[:2] in TRANSIENT_CLASSES or state in TRANSIENT_STATES
    # No SQLSTATE: the connection failed or broke (refused, timed out, closed).
    return True


class VeltPyPostgresSource:
    """One schema of a velt-py PostgreSQL database: :class:`~.velt_py.VeltPySource`'s
    interface, each table read as a collection (``data`` of each row, in ``id`` order).

    The connection is opened on first use with ``VELT``'s timeouts
    (``SERVER_SELECTION_TIMEOUT_MS`` to connect, ``SOCKET_TIMEOUT_MS`` per statement),
    read only.
    """

    def __init__(self, uri: str, schema: str, database: str | None = None) -> None:
        self._psycopg = _psycopg()
        try:
            params = self._psycopg.conninfo.conninfo_to_dict(uri)
        except self._psycopg.ProgrammingError:
            # libpq's message quotes the URI, and with it a password: never chained.
            raise RepositoryError(
                "the source URI is not a valid PostgreSQL connection string"
            ) from None
        if database:
            params["dbname"] = database
        self._params = params
        self.schema = schema
        self.database = str(params.get("dbname") or params.get("user") or "")
        self._conn: Any = None

    @contextmanager
    def _errors(self, operation: str) -> Iterator[None]:
        """psycopg errors as :class:`RepositoryError` subclasses, never with the
        server's text (it can quote the URI's password or document values)."""
        psycopg = self._psycopg
        try:
            yield
        except psycopg.Error as err:
            state = getattr(err, "sqlstate", None)
            if _transient(err):
                logger.warning(
                    "velt-py PostgreSQL source unavailable during %s: %s (%s)",
                    operation,
                    type(err).__name__,
                    state,
                )
                self.close()
                raise DatabaseUnavailableError(
                    f"{SOURCE} is unavailable", database=SOURCE
                ) from None
            logger.error(
                "velt-py PostgreSQL source %s failed: %s (%s)",
                operation,
                type(err).__name__,
                state,
            )
            raise RepositoryError(
                f"reading the source database failed ({type(err).__name__}, {state})"
            ) from None

    def _connection(self) -> Any:
        if self._conn is None:
            timeout_s = max(1, -(-velt_settings.SERVER_SELECTION_TIMEOUT_MS // 1000))
            session = (
                f"-c statement_timeout={velt_settings.SOCKET_TIMEOUT_MS}"
                " -c default_transaction_read_only=on"
            )
            params: dict[str, Any] = {
                "connect_timeout": timeout_s,
                "application_name": "velt_import_velt_py",
                **self._params,
            }
            params["options"] = f"{params.get('options', '')} {session}".strip()
            try:
                self._conn = self._psycopg.connect(**params, autocommit=True)
            except self._psycopg.Error as err:
                why = _refusal(err)
                if why is None:
                    raise  # unavailable: translated by the caller's _errors()
                logger.error("velt-py PostgreSQL source refused the connection")
                raise RepositoryError(f"cannot connect to {SOURCE}: {why}") from None
        return self._conn

    def _table(self, name: str) -> Any:
        sql = self._psycopg.sql
        return sql.SQL("{}.{}").format(
            sql.Identifier(self.schema), sql.Identifier(name)
        )

    def collection_names(self) -> set[str]:
        """The tables (and views) of the schema."""
        with self._errors("list tables"):
            rows = (
                self._connection()
                .execute(
                    "SELECT table_name FROM information_schema.tables"
                    " WHERE table_schema = %s",
                    [self.schema],
                )
                .fetchall()
            )
        return {str(row[0]) for row in rows}

    def count(self, name: str) -> int:
        sql = self._psycopg.sql
        with self._errors("count"):
            row = (
                self._connection()
                .execute(sql.SQL("SELECT count(*) FROM {}").format(self._table(name)))
                .fetchone()
            )
        return int(row[0]) if row else 0

    def documents(self, name: str) -> Iterator[tuple[Document, list[str]]]:
        """Each row's ``data`` as a JSON-ready dict in ``id`` order (velt-py's insertion
        order), with the paths :func:`~.velt_py.json_ready` left out; a row whose
        ``data`` is not an object (velt-py's CHECK forbids it) reads as ``{}``."""
        sql = self._psycopg.sql
        query = sql.SQL("SELECT data FROM {} ORDER BY id").format(self._table(name))
        with self._errors("read"):
            conn = self._connection()
            # A named (server-side) cursor needs a transaction; read-only, in batches.
            with conn.transaction(), conn.cursor(name="velt_py_import") as cursor:
                cursor.itersize = BATCH_SIZE
                cursor.execute(query)
                for (data,) in cursor:
                    dropped: list[str] = []
                    ready = json_ready(data if isinstance(data, dict) else {}, dropped)
                    ready.pop("_id", None)
                    yield ready, dropped

    def none_found_message(self) -> str:
        """Why none of the velt-py tables is there: the schema or the tables."""
        with self._errors("look up the schema"):
            row = (
                self._connection()
                .execute(
                    "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s",
                    [self.schema],
                )
                .fetchone()
            )
        if row is None:
            return (
                f'database "{self.database}" has no schema "{self.schema}"; '
                "check --source-schema and --source-db"
            )
        return (
            f'schema "{self.schema}" of database "{self.database}" has none of the '
            "velt-py tables; check --source-schema, --source-db and --collections-map"
        )

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - a broken connection is closed anyway
                pass
