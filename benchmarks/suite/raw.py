"""The raw side: the database work one request does, sent straight through the driver.

One untimed call of each operation (request number ``corpus.CAPTURE``) goes through
Django's test client in this process, on the same settings and database as the served
project, while what it sends is recorded: the MongoDB commands (a pymongo command
listener on velt_django's client, ``COMMANDS``; filters, projections and updates as
the repository built them) or the SQL statements (Django's query log, ``BEGIN`` and
``COMMIT`` included, parameters inlined). The raw side replays them through a plain
``MongoClient`` or an autocommit psycopg connection, with the capture's request number
swapped for the raw side's own in every id, so a raw delete removes a record of its own
pool and a raw insert inserts a new one. Uploads and file deletes also write or delete
the 256 KiB file on the same storage.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pymongo import monitoring

from .corpus import CAPTURE, Corpus
from .operations import FILE_BYTES, Operation

Document = dict[str, Any]
_IGNORED = {
    "endSessions",
    "ping",
    "hello",
    "isMaster",
    "ismaster",
    "buildInfo",
    "getMore",
}
_SESSION_FIELDS = {"lsid", "$db", "$clusterTime", "txnNumber", "$readPreference"}


class CommandLog(monitoring.CommandListener):
    """The commands velt_django's client sends while ``capture()`` is open."""

    def __init__(self) -> None:
        self.commands: list[Document] | None = None
        self._lock = threading.Lock()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.commands is not None and event.command_name not in _IGNORED:
            with self._lock:
                self.commands.append(
                    {"name": event.command_name, **dict(event.command)}
                )

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    @contextmanager
    def capture(self) -> Iterator[list[Document]]:
        self.commands = []
        try:
            yield self.commands
        finally:
            self.commands = None


COMMANDS = CommandLog()


def swap(value: Any, old: str, new: str, ids: dict[str, str] | None = None) -> Any:
    """``value`` with the request number ``old`` replaced by ``new`` in every string and
    integer (ids are built from it: ``del-<n>``, ``<n>``, ``<n>00 + k``), and every id of
    ``ids`` replaced by its counterpart (at once, so no replacement feeds another)."""
    mapping = {old: new, **(ids or {})}
    pattern = re.compile(
        "|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True))
    )
    return _swap(
        value, old, new, lambda text: pattern.sub(lambda m: mapping[m[0]], text)
    )


def _swap(value: Any, old: str, new: str, text: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return text(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        digits = str(value)
        return int(digits.replace(old, new)) if old in digits else value
    if isinstance(value, dict):
        return {
            _swap(k, old, new, text): _swap(v, old, new, text) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_swap(v, old, new, text) for v in value]
    return value


def derived_ids(op: Operation, corpus: Corpus, old: int, new: int) -> dict[str, str]:
    """The strings of request ``old``'s body that request ``new``'s body holds in their
    place (thread ids, document ids, ids lists), walking both bodies side by side: a
    replay must touch the records request ``new`` names, not the capture's again.
    Strings holding the request number itself are left to :func:`swap`."""
    pairs: dict[str, str] = {}

    def note(a: Any, b: Any) -> None:
        if isinstance(a, str) and isinstance(b, str) and a != b and str(old) not in a:
            if len(a) >= 5:  # never a short fragment that other text may contain
                pairs[a] = b

    def walk(a: Any, b: Any) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=False):
                note(ka, kb)
                walk(va, vb)
        elif isinstance(a, list) and isinstance(b, list):
            for va, vb in zip(a, b, strict=False):
                walk(va, vb)
        else:
            note(a, b)

    walk(op.body(corpus, old), op.body(corpus, new))
    return pairs


@dataclass
class Captured:
    """What one call sent: MongoDB commands or SQL statements, and the random values
    (a file's storage key and public id) the call made, which a replay must renew."""

    commands: list[Document]
    statements: list[str]
    randoms: list[str]

    @property
    def round_trips(self) -> int:
        return len(self.commands) + len(self.statements)

    def sent(self) -> list[str]:
        """What was sent, shortened (command names, statement beginnings)."""
        return [str(c["name"]) for c in self.commands] + [
            s[:100] for s in self.statements
        ]


def client_call(op: Operation, corpus: Corpus, n: int, token: str) -> tuple[int, bytes]:
    from django.test import Client

    body, content_type = op.request(corpus, n)
    response = Client().generic(
        "POST",
        f"/velt/{op.path}",
        body,
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    return response.status_code, response.content


def capture(op: Operation, corpus: Corpus, token: str, n: int = CAPTURE) -> Captured:
    """Call ``op`` once in process and record what it sent."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from velt_django.files import storage

    randoms: list[str] = []

    def recorded(make: Callable[..., str]) -> Callable[..., str]:
        def wrapper(*args: Any) -> str:
            randoms.append(make(*args))
            return randoms[-1]

        return wrapper

    # The upload names its file with these two (imported into velt_django.files.storage
    # from .keys); the raw replay needs the names this call drew.
    names = ("new_storage_key", "new_public_id")
    originals = {name: getattr(storage, name) for name in names}
    for name, make in originals.items():
        setattr(storage, name, recorded(make))
    try:
        with (
            COMMANDS.capture() as commands,
            CaptureQueriesContext(connection) as queries,
        ):
            status, content = client_call(op, corpus, n, token)
    finally:
        for name, make in originals.items():
            setattr(storage, name, make)
    if status != 200:
        raise SystemExit(
            f"{op.name}: the in-process call answered {status}: {content[:300]!r}"
        )
    return Captured(
        list(commands), [q["sql"] for q in queries.captured_queries], randoms
    )


def _mongo_step(db: Any, command: Document) -> Callable[[], None]:
    name = command["name"]
    body = {
        k: v for k, v in command.items() if k not in _SESSION_FIELDS and k != "name"
    }
    if name == "find":
        collection, query = db[body["find"]], body.get("filter", {})
        projection, limit = body.get("projection"), body.get("limit", 0)
        return lambda: (
            None if list(collection.find(query, projection, limit=limit)) else None
        )
    if name == "insert":
        # New _ids: a replayed insert must not collide with the capture's.
        documents = [
            {k: v for k, v in d.items() if k != "_id"} for d in body["documents"]
        ]
        collection = db[body["insert"]]
        return lambda: (
            None if collection.insert_many([dict(d) for d in documents]) else None
        )
    return lambda: None if db.command(body) is None else None


def _fresh(value: str) -> str:
    """A new random string of the same length in place of ``value``'s random tail."""
    tail = secrets.token_hex(8)
    return value[: len(value) - len(tail)] + tail if len(value) > len(tail) else tail


class Replay:
    """Builds the raw work of request number ``n`` from a capture."""

    def __init__(self, op: Operation, captured: Captured, corpus: Corpus) -> None:
        self.op, self.captured, self.corpus = op, captured, corpus

    def build(self, n: int, db: Any, conn: Any) -> Callable[[], None]:
        """The work of request ``n``: the SQL statements on ``conn`` (PostgreSQL, or the
        example's SQLite user directory next to MongoDB), the commands on ``db``."""
        ids = derived_ids(self.op, self.corpus, CAPTURE, n)
        ids.update((r, _fresh(r)) for r in self.captured.randoms)
        old, new = str(CAPTURE), str(n)
        commands = [swap(c, old, new, ids) for c in self.captured.commands]
        statements = [swap(s, old, new, ids) for s in self.captured.statements]
        steps = [_mongo_step(db, c) for c in commands]
        if statements:

            def run_sql() -> None:
                cursor = conn.cursor()
                try:
                    for statement in statements:
                        cursor.execute(statement)
                        if cursor.description is not None:
                            cursor.fetchall()
                finally:
                    cursor.close()

            steps.insert(0, run_sql)
        return self._with_file(steps, n)

    def _with_file(self, steps: list[Callable[[], None]], n: int) -> Callable[[], None]:
        if self.op.file is not None:
            from django.core.files.base import ContentFile
            from django.core.files.storage import storages

            storage, name = storages["default"], f"bench-raw/{n}.png"
            if self.op.file == "upload":
                steps.append(
                    lambda: (
                        None if storage.save(name, ContentFile(FILE_BYTES)) else None
                    )
                )
            else:
                steps.append(lambda: storage.delete(name))

        def run() -> None:
            for step in steps:
                step()

        return run
