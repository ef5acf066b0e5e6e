"""Translation of pymongo failures into velt_django's repository errors.

Two kinds of database failure reach a client differently (docs/error-codes.md):

* *unavailable* — the server cannot be reached, is electing a primary, timed out, or did
  not acknowledge a write: :class:`DatabaseUnavailableError`, answered 503 so Velt retries;
* *permanent* — the server refused the operation itself (document validation, a bad
  index, a duplicate key outside the paths that resolve it …): :class:`RepositoryError`,
  answered 500. Retrying would fail again, and operators' alerts read 503 as "database
  down".
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from bson.errors import InvalidDocument
from pymongo.errors import (
    BulkWriteError,
    ConnectionFailure,
    DocumentTooLarge,
    DuplicateKeyError,
    ExecutionTimeout,
    OperationFailure,
    PyMongoError,
    WriteConcernError,
    WTimeoutError,
)

from ..exceptions import (
    DatabaseUnavailableError,
    DuplicateRecordError,
    InvalidRecordError,
    RecordTooLargeError,
    RepositoryError,
)

logger = logging.getLogger(__name__)

#: Server codes meaning "the document would exceed MongoDB's size limit".
TOO_LARGE_CODES = frozenset({10334, 17419, 17420})

#: Server codes meaning "not now": elections, shutdowns, network trouble inside a cluster,
#: time limits, lock and write conflicts, a throttling proxy. Anything else is permanent.
TRANSIENT_CODES = frozenset(
    {
        6,  # HostUnreachable
        7,  # HostNotFound
        24,  # LockTimeout
        46,  # LockBusy
        50,  # MaxTimeMSExpired
        64,  # WriteConcernFailed (wtimeout)
        89,  # NetworkTimeout
        91,  # ShutdownInProgress
        112,  # WriteConflict
        133,  # FailedToSatisfyReadPreference
        150,  # StaleEpoch
        189,  # PrimarySteppedDown
        202,  # NetworkInterfaceExceededTimeLimit
        262,  # ExceededTimeLimit
        9001,  # SocketException
        10107,  # NotWritablePrimary
        11600,  # InterruptedAtShutdown
        11602,  # InterruptedDueToReplStateChange
        13388,  # StaleConfig
        13435,  # NotPrimaryNoSecondaryOk
        13436,  # NotPrimaryOrSecondary
        16500,  # request rate too large (throttling proxies)
    }
)

#: Error labels the server and driver put on errors worth retrying.
TRANSIENT_LABELS = ("RetryableWriteError", "TransientTransactionError")

#: Duplicate key codes (the first is current, the second legacy).
DUPLICATE_KEY_CODES = frozenset({11000, 11001})


def is_transient(code: int | None, labels: tuple[str, ...] | list[str] = ()) -> bool:
    """Whether a server error code (or label) means the database is unavailable for now."""
    return code in TRANSIENT_CODES or any(label in TRANSIENT_LABELS for label in labels)


def _labels(err: PyMongoError) -> tuple[str, ...]:
    return tuple(label for label in TRANSIENT_LABELS if err.has_error_label(label))


def _unavailable(
    operation: str, err: BaseException, database: str
) -> DatabaseUnavailableError:
    logger.warning("MongoDB unavailable during %s: %s", operation, type(err).__name__)
    return DatabaseUnavailableError(f"{database} is unavailable", database=database)


@contextmanager
def translate_errors(
    operation: str, *, database: str = "the database"
) -> Iterator[None]:
    """Re-raise pymongo errors as :class:`RepositoryError` subclasses.

    Everything that talks to the server belongs inside, including reading a result's
    counts (they raise on unacknowledged writes). Messages never include server error
    text: it can quote document values (PII). ``database`` names the database in the
    "unavailable" message, for code that talks to more than one (the velt-py import).
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
        raise _unavailable(operation, err, database) from err
    except DuplicateKeyError as err:
        # Only the read-merge-write path expects it (a concurrent first insert) and
        # retries; anywhere else it is a permanent failure.
        raise DuplicateRecordError("a record with this key already exists") from err
    except OperationFailure as err:
        if err.code in TOO_LARGE_CODES:
            raise RecordTooLargeError(
                "a record would exceed MongoDB's document size limit"
            ) from err
        if is_transient(err.code, _labels(err)):
            raise _unavailable(operation, err, database) from err
        logger.error("MongoDB %s failed with code %s", operation, err.code)
        raise RepositoryError(f"database operation failed (code {err.code})") from err
    except PyMongoError as err:
        if _labels(err):
            raise _unavailable(operation, err, database) from err
        logger.error("MongoDB %s failed: %s", operation, type(err).__name__)
        raise RepositoryError("database operation failed") from err
