"""Translation of pymongo failures into velt_django's repository errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from bson.errors import InvalidDocument
from pymongo.errors import (
    BulkWriteError,
    ConnectionFailure,
    DocumentTooLarge,
    ExecutionTimeout,
    OperationFailure,
    PyMongoError,
    WriteConcernError,
    WTimeoutError,
)

from ..exceptions import (
    DatabaseUnavailableError,
    InvalidRecordError,
    RecordTooLargeError,
    RepositoryError,
)

logger = logging.getLogger(__name__)

#: Server codes meaning "the document would exceed MongoDB's size limit".
TOO_LARGE_CODES = frozenset({10334, 17419, 17420})


@contextmanager
def translate_errors(operation: str) -> Iterator[None]:
    """Re-raise pymongo errors as :class:`RepositoryError` subclasses.

    Messages never include server error text: it can quote document values (PII).
    """
    try:
        yield
    except BulkWriteError:
        raise  # per-operation errors: the caller triages them (AnnotationRepository)
    except DocumentTooLarge as err:
        raise RecordTooLargeError(
            "a record exceeds MongoDB's document size limit"
        ) from err
    except (InvalidDocument, UnicodeEncodeError) as err:
        raise InvalidRecordError("a record cannot be encoded for MongoDB") from err
    except (
        ConnectionFailure,
        ExecutionTimeout,
        WriteConcernError,
        WTimeoutError,
    ) as err:
        logger.warning(
            "MongoDB unavailable during %s: %s", operation, type(err).__name__
        )
        raise DatabaseUnavailableError("the database is unavailable") from err
    except OperationFailure as err:
        if err.code in TOO_LARGE_CODES:
            raise RecordTooLargeError(
                "a record would exceed MongoDB's document size limit"
            ) from err
        logger.error("MongoDB %s failed with code %s", operation, err.code)
        raise RepositoryError(f"database operation failed (code {err.code})") from err
    except PyMongoError as err:
        logger.error("MongoDB %s failed: %s", operation, type(err).__name__)
        raise RepositoryError("database operation failed") from err
