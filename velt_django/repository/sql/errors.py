"""Translation of Django database errors (PostgreSQL) into velt_django's repository
errors, with the same split as the MongoDB backend's (``repository.errors``): the
database is *unavailable* (503, Velt retries) or the operation failed *permanently*
(500), and a value PostgreSQL cannot hold is the client's bad input (400)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connections,
)

from ...exceptions import (
    DatabaseUnavailableError,
    DuplicateRecordError,
    InvalidRecordError,
    RecordTooLargeError,
    RepositoryError,
)

logger = logging.getLogger(__name__)

#: SQLSTATE classes meaning "not now": connection exceptions, insufficient resources
#: (too many connections, disk full), operator intervention (shutdown, cancelled by a
#: statement timeout), and transaction rollbacks (serialization failure, deadlock).
TRANSIENT_CLASSES = frozenset({"08", "40", "53", "57"})

#: SQLSTATEs of the same meaning outside those classes: lock_not_available.
TRANSIENT_STATES = frozenset({"55P03"})

#: untranslatable_character: text holding U+0000, which no PostgreSQL text can store.
NUL_CHARACTER = "22P05"

#: program_limit_exceeded: e.g. a JSONB value above PostgreSQL's size limits.
LIMIT_EXCEEDED = "54000"

UNIQUE_VIOLATION = "23505"


def sqlstate(err: BaseException) -> str | None:
    """The SQLSTATE of a Django database error (from the psycopg error it wraps)."""
    cause = err.__cause__
    state = getattr(cause, "sqlstate", None)
    return state if isinstance(state, str) else None


def is_transient(err: BaseException) -> bool:
    state = sqlstate(err)
    if state is not None:
        return state[:2] in TRANSIENT_CLASSES or state in TRANSIENT_STATES
    return isinstance(err, (OperationalError, InterfaceError))


@contextmanager
def translate_errors(operation: str, using: str) -> Iterator[None]:
    """Re-raise Django database errors as :class:`RepositoryError` subclasses.

    Messages and logs carry the operation, the error class and the SQLSTATE, never the
    server's text (it can quote payload values). After an outage the broken connection
    is closed (outside a transaction), so the next operation reconnects: recovery needs
    no restart.
    """
    try:
        yield
    except DatabaseError as err:
        state = sqlstate(err)
        if is_transient(err):
            logger.warning(
                "PostgreSQL unavailable during %s: %s (%s)",
                operation,
                type(err).__name__,
                state,
            )
            connection = connections[using]
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()
            raise DatabaseUnavailableError("the database is unavailable") from err
        if state == NUL_CHARACTER:
            raise InvalidRecordError(
                "text holds a NUL character (U+0000), which PostgreSQL cannot store"
            ) from err
        if state == LIMIT_EXCEEDED:
            raise RecordTooLargeError(
                "a record exceeds PostgreSQL's size limits"
            ) from err
        if isinstance(err, DataError):
            raise InvalidRecordError("a record cannot be stored in PostgreSQL") from err
        if isinstance(err, IntegrityError) and state == UNIQUE_VIOLATION:
            raise DuplicateRecordError("a record with this key already exists") from err
        logger.error(
            "PostgreSQL %s failed: %s (%s)", operation, type(err).__name__, state
        )
        raise RepositoryError(f"database operation failed ({state})") from err
