"""The ``VELT`` keys of the storage backend, MongoDB, request limits and activities."""

from __future__ import annotations

from .base import (
    ACTIVITIES,
    LIMITS,
    MONGODB,
    OPTIONAL_POSITIVE_INT,
    POSITIVE_INT,
    STORAGE,
    Kind,
    MiB,
    Setting,
    _dict,
    _int,
    _optional_int,
    _str,
    _truthy_str,
    _write_concern,
    one_of,
)


class StorageSettings:
    """Where the data lives and how large a request may be."""

    # Storage backend
    STORAGE_BACKEND = Setting(
        "mongodb",
        _str,
        group=STORAGE,
        kind=one_of("mongodb", "postgresql"),
        check="velt.E070",
        doc='Where the resolver data lives: `"mongodb"` (pymongo, the settings below) '
        'or `"postgresql"` (Django\'s ORM on `DATABASE_ALIAS`; check `velt.E070`).',
    )
    DATABASE_ALIAS = Setting(
        "default",
        _str,
        group=STORAGE,
        doc='The key of `DATABASES` the `"postgresql"` backend stores in; it must '
        "exist (check `velt.E071`) and use Django's PostgreSQL engine (check "
        "`velt.E072`). Unused with MongoDB.",
    )
    CONNECTION_CHECK = Setting(
        "socket",
        _str,
        group=STORAGE,
        kind=one_of("socket", "django"),
        check="velt.E073",
        doc="How a kept PostgreSQL connection is checked at the start of a request: "
        '`"socket"` polls its socket (no round trip; one the server closed is replaced '
        "before the request uses it, and Django's `SELECT 1` of `CONN_HEALTH_CHECKS` "
        'is skipped), `"django"` leaves Django\'s own behaviour. Applies to every '
        "PostgreSQL alias of the process (check `velt.E073`).",
    )

    # MongoDB
    MONGODB_URI = Setting(
        None,
        _truthy_str,
        group=MONGODB,
        doc="MongoDB connection string. Required with the MongoDB backend (check "
        "`velt.E001`).",
    )
    DATABASE_NAME = Setting(
        "velt", _str, group=MONGODB, doc="Database holding the collections."
    )
    COLLECTION_PREFIX = Setting(
        "velt_",
        _str,
        group=MONGODB,
        kind=Kind(
            'a string without "$"',
            lambda v: isinstance(v, str) and "$" not in v and "\x00" not in v,
        ),
        check="velt.E017",
        doc="Prefix of every collection name; no `$` (check `velt.E017`).",
    )
    WRITE_CONCERN = Setting(
        "majority",
        _write_concern,
        group=MONGODB,
        doc='Write concern `w` of every write: `"majority"`, a tag-set name or an '
        "integer ≥ 1; a save answers 200 only after it is acknowledged. `0` is "
        "refused (check `velt.E007`).",
    )
    SERVER_SELECTION_TIMEOUT_MS = Setting(
        2000,
        _int,
        group=MONGODB,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Server selection and connect timeout (ms).",
    )
    SOCKET_TIMEOUT_MS = Setting(
        10000,
        _int,
        group=MONGODB,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Socket timeout, also the write concern's `wtimeout` (ms).",
    )
    MONGO_CLIENT_OPTIONS = Setting(
        {},
        _dict,
        group=MONGODB,
        doc="Extra keyword arguments for `pymongo.MongoClient`; they override the "
        "ones above.",
    )

    # Request limits
    MAX_BODY_SIZE = Setting(
        10 * MiB,
        _int,
        group=LIMITS,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Largest request body; larger → 413. Read by the view itself, so "
        "Django's `DATA_UPLOAD_MAX_MEMORY_SIZE` does not apply.",
    )
    MAX_ID_LIST_LENGTH = Setting(
        2000,
        _int,
        group=LIMITS,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Most entries in an id array (`commentAnnotationIds`, `documentIds`, …); "
        "more → 400.",
    )
    MAX_ID_LENGTH = Setting(
        512,
        _int,
        group=LIMITS,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Longest id, in characters; longer → 400.",
    )
    MAX_RECORDS_PER_SAVE = Setting(
        500,
        _int,
        group=LIMITS,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Most records in one save; more → 400.",
    )
    MAX_RECORD_SIZE = Setting(
        15 * MiB,
        _int,
        group=LIMITS,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Largest stored payload (BSON bytes); larger → 413.",
    )
    MAX_PAYLOAD_DEPTH = Setting(
        64,
        _int,
        group=LIMITS,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Deepest nesting of a payload; deeper → 400.",
    )

    # Activities
    ACTIVITY_RETENTION_DAYS = Setting(
        None,
        _optional_int,
        group=ACTIVITIES,
        kind=OPTIONAL_POSITIVE_INT,
        check="velt.E008",
        doc="Days after which a TTL index deletes an activity (see "
        "[Activities](activities.md#retention-and-purge)); `None` keeps them. Applied "
        "by `velt_ensure_indexes`; `None` or a positive integer (check `velt.E008`).",
    )
