"""Benchmark the PostgreSQL storage backend: every resolver operation next to the raw SQL
it sends, on the same server, and next to the MongoDB backend on SecantusDB, in one run.

Each operation is measured twice in the same process, once per ``STORAGE_BACKEND``
(switched with ``override_settings``):

- ``postgresql``: the endpoint through Django's test client, next to the statements one
  call of it sent (``CaptureQueriesContext``, transaction control included), replayed
  through a plain psycopg connection;
- ``mongodb``: the same endpoint and body, next to the commands it sent, replayed through
  a plain ``MongoClient`` (``bench_families``' listener and replay).

It also counts the round trips of a get by one document holding 10 / 100 / 1,000
comment threads and of a save of 50 on both backends.

    python benchmarks/bench_postgres.py            # 100 iterations per operation
    python benchmarks/bench_postgres.py --quick    # 15: a smoke run
    python benchmarks/bench_postgres.py --postgres-url postgres://u:p@host:5432/ --uri mongodb://...

Without ``--postgres-url`` (or ``VELT_BENCH_POSTGRES_URL``) a private PostgreSQL cluster
is started on a temporary directory (``tests/postgres.py``, the PostgreSQL test tier's
own); without ``--uri`` an embedded SecantusDB. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_endpoints import (  # noqa: E402
    BATCH_SIZE,
    ORG,
    Corpus,
    Step,
    TestClientTransport,
    configure_bench_django,
    machine,
    measure,
    mongo_server,
    open_access,
)
from bench_families import (  # noqa: E402
    COMMANDS,
    _raw_replay,
    activity,
    recording,
)

from tests.postgres import (  # noqa: E402
    ExternalPostgres,
    PostgresCluster,
    find_bin_dir,
)

Document = dict[str, Any]
DEFAULT_DATABASE = "velt_bench_postgres"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
POSTGRES_URL_ENV = "VELT_BENCH_POSTGRES_URL"
RATIO_TARGET = 1.5
BACKENDS = ("postgresql", "mongodb")
#: Documents of the round-trip counts: (document id, comment threads in it).
ROUND_TRIP_DOCUMENTS = (("rt-0010", 10), ("rt-0100", 100), ("rt-1000", 1000))
#: Reactions and recordings: documents × records per document.
DOCUMENTS, PER_DOCUMENT = 10, 100


# ---- servers and Django -------------------------------------------------------------


@contextmanager
def postgres_server(url: str | None) -> Iterator[PostgresCluster | ExternalPostgres]:
    """The server at ``url``, or a private cluster for the run (stopped and removed)."""
    if url:
        yield ExternalPostgres(url)
        return
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise SystemExit("no initdb/pg_ctl found; pass --postgres-url")
    cluster = PostgresCluster(bin_dir)
    try:
        cluster.create()
        yield cluster
    finally:
        cluster.destroy()


def _server_conninfo(server: PostgresCluster | ExternalPostgres, dbname: str) -> str:
    import psycopg.conninfo

    return psycopg.conninfo.make_conninfo(
        host=server.host,
        port=server.port,
        user=server.user,
        password=server.password or None,
        dbname=dbname,
    )


def recreate_database(server: PostgresCluster | ExternalPostgres, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        _server_conninfo(server, server.dbname), autocommit=True
    ) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(server: PostgresCluster | ExternalPostgres, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        _server_conninfo(server, server.dbname), autocommit=True
    ) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )


def configure_django(
    mongo_uri: str, server: PostgresCluster | ExternalPostgres, database: str
) -> Document:
    """Settings with both backends reachable: PostgreSQL as ``default`` (velt_django's
    tables and Django's own), MongoDB through ``MONGODB_URI`` with the command listener.
    Returns the ``VELT`` dict (``STORAGE_BACKEND`` is switched per measurement)."""
    velt: Document = {
        **open_access(mongo_uri, database),
        "MONGO_CLIENT_OPTIONS": {"event_listeners": [COMMANDS]},
        "USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory",
        "STORAGE_BACKEND": "postgresql",
        "DATABASE_ALIAS": "default",
        # A full run sends far more than the default 1200 requests a minute.
        "THROTTLE_RATE": None,
    }
    configure_bench_django(
        velt,
        databases={
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": database,
                "HOST": server.host,
                "PORT": str(server.port),
                "USER": server.user,
                "PASSWORD": server.password,
            }
        },
    )
    return velt


@contextmanager
def backend(velt: Document, name: str) -> Iterator[None]:
    from django.test import override_settings

    with override_settings(VELT={**velt, "STORAGE_BACKEND": name}):
        yield


# ---- PostgreSQL capture and replay ----------------------------------------------------


@contextmanager
def capture_sql() -> Iterator[list[str]]:
    """The statements one call sends on the ``default`` connection, as Django's query
    log has them: every round trip, transaction control (``BEGIN``, ``COMMIT``,
    savepoints) included, each with its parameters inlined (client-side binding)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    statements: list[str] = []
    with CaptureQueriesContext(connection) as queries:
        yield statements
    statements += [q["sql"] for q in queries.captured_queries]


def sql_replay(raw: Any, statements: list[str]) -> Callable[[], None]:
    """The captured statements, ``BEGIN``/``COMMIT`` included, through a plain psycopg
    connection in autocommit mode, rows read to the end."""
    statements = list(statements)

    def run() -> None:
        with raw.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
                if cursor.description is not None:
                    cursor.fetchall()

    return run


# ---- operations ---------------------------------------------------------------------


@dataclass
class Operation:
    """One endpoint call. The raw side replays what an untimed call of ``body(i)``
    sent; ``reset(backend, i)`` then undoes that call's effect so the replay does the
    same work (a delete re-creates its record), and the timed endpoint call sends
    ``endpoint_body(i)`` (another record, made ready by ``prepare``) when given."""

    name: str
    path: str
    body: Callable[[int], Document]
    prepare: Callable[[int], None] | None = None
    reset: Callable[[str, int], None] | None = None
    endpoint_body: Callable[[int], Document] | None = None


FRESH = 1_000_000


class Run:
    def __init__(self, velt: Document, raw_pg: Any, raw_mongo: Any) -> None:
        self.velt = velt
        self.transport = TestClientTransport()
        self.raw_pg = raw_pg
        self.raw_mongo = raw_mongo
        self.corpus = Corpus()

    def post(self, path: str, body: Document) -> Document:
        status, content = self.transport.post(path, json.dumps(body).encode())
        if status != 200:
            raise SystemExit(f"{path} answered {status}: {content[:300]!r}")
        result: Document = json.loads(content)
        return result

    # ---- corpus ----

    def seed(self) -> None:
        """The same records on the current backend: 2,000 comment threads in 20
        documents (bench_endpoints' corpus) plus the round-trip documents, 1,000
        reactions and recordings, 1,000 activities, 1,000 notifications, 2,000 users."""
        threads = dict(self.corpus.threads)
        for document_id, count in ROUND_TRIP_DOCUMENTS:
            for n in range(count):
                annotation_id = f"{document_id}-{n:04d}"
                thread = dict(self.corpus.threads[self.corpus.ids[n]])
                thread["annotationId"] = annotation_id
                thread["metadata"] = {**thread["metadata"], "documentId": document_id}
                threads[annotation_id] = thread
        self._save_in_batches("/velt/comments/save", "commentAnnotation", threads)
        self._save_in_batches(
            "/velt/reactions/save",
            "reactionAnnotation",
            {f"rxn-{i:05d}": self.reaction(i) for i in range(DOCUMENTS * PER_DOCUMENT)},
        )
        self._save_in_batches(
            "/velt/recordings/save",
            "recorderAnnotation",
            {
                f"rec-{i:05d}": self.recording(i)
                for i in range(DOCUMENTS * PER_DOCUMENT)
            },
        )
        self._save_in_batches(
            "/velt/activities/save",
            "activity",
            {
                f"act-{i:05d}": activity(f"act-{i:05d}", self.document(i))
                for i in range(DOCUMENTS * PER_DOCUMENT)
            },
        )
        from bench_families import Run as FamiliesRun

        seeder = FamiliesRun(self.transport, None)
        seeder.seed_notifications()
        seeder.seed_users()

    def _save_in_batches(self, path: str, field: str, records: Document) -> None:
        items = list(records.items())
        for start in range(0, len(items), BATCH_SIZE):
            self.post(path, {field: dict(items[start : start + BATCH_SIZE])})

    @staticmethod
    def document(index: int) -> str:
        return f"doc-{(index % (DOCUMENTS * PER_DOCUMENT)) // PER_DOCUMENT:02d}"

    @staticmethod
    def folder(index: int) -> str:
        return f"folder-{((index % (DOCUMENTS * PER_DOCUMENT)) // PER_DOCUMENT) % 4}"

    def _metadata(self, index: int) -> Document:
        return {
            "organizationId": ORG,
            "documentId": self.document(index),
            "folderId": self.folder(index),
            "apiKey": "pk",
        }

    def reaction(self, index: int) -> Document:
        return {
            "annotationId": f"rxn-{index:05d}",
            "metadata": self._metadata(index),
            "icon": ("1f680", "1f44d", "2764")[index % 3],
            "from": {"userId": f"u_{index % 50}", "name": "Dana Okafor"},
        }

    def recording(self, index: int) -> Document:
        import random

        record = recording(random.Random(index), index, self.document(index))
        record["metadata"] = self._metadata(index)
        return record

    # ---- measuring ----

    def capture(
        self, side: str, path: str, body: Document
    ) -> tuple[Callable[[], None], int, list[str]]:
        """(replay, round trips, what was sent, shortened) of one untimed call of
        ``body`` on ``side``."""
        if side == "postgresql":
            with capture_sql() as statements:
                self.post(path, body)
            sent = [statement[:160] for statement in statements]
            return sql_replay(self.raw_pg, statements), len(statements), sent
        with COMMANDS.capture() as commands:
            self.post(path, body)
        work = [c for c in commands if c["name"] != "getMore"]
        sent = [c["name"] for c in work]
        return _raw_replay(self.raw_mongo, list(commands)), len(work), sent

    def measure(
        self, side: str, op: Operation, iterations: int, warmup: int
    ) -> Document:
        round_trips: list[int] = []
        sent: list[str] = []

        def make_step(i: int) -> Step:
            if op.prepare is not None:
                op.prepare(i)
            replay, trips, sent[:] = self.capture(side, op.path, op.body(i))
            round_trips.append(trips)
            if op.reset is not None:
                op.reset(side, i)
            body = (op.endpoint_body or op.body)(i)
            return Step(
                endpoint=lambda: None if self.post(op.path, body) is None else None,
                raw=replay,
            )

        with backend(self.velt, side):
            result = measure(make_step, iterations, warmup)
        endpoint, raw = result["endpoint"]["p50_ms"], result["raw"]["p50_ms"]
        result["p50_ratio"] = round(endpoint / raw, 2) if raw else None
        result["round_trips"] = max(round_trips)
        result["sent"] = sent
        return result

    def forget_activity(self, side: str, activity_id: str) -> None:
        if side == "postgresql":
            from velt_django.models import ActivityRecord

            ActivityRecord.objects.filter(
                organization_id=ORG, activity_id=activity_id
            ).delete()
        else:
            self.raw_mongo["velt_activities"].delete_one(
                {"organizationId": ORG, "activityId": activity_id}
            )

    def operations(self) -> list[Operation]:
        from velt_django.validation.annotations import ANNOTATION_FAMILIES

        corpus = self.corpus
        ops: list[Operation] = []
        makers: dict[str, tuple[str, Callable[[int], Document] | None, str]] = {
            "comments": ("", None, "comment.add"),
            "reactions": ("rxn", self.reaction, "reaction.add"),
            "recordings": ("rec", self.recording, "recorder_annotation.update"),
        }
        for family in ANNOTATION_FAMILIES:
            prefix, make, event = makers[family.name]
            path = f"/velt/{family.name}"
            if make is None:
                docs = list(corpus.by_document)

                def record_id(i: int) -> str:
                    return corpus.ids[i % len(corpus.ids)]

                def record(i: int, record_id: Any = record_id) -> Document:
                    return corpus.with_new_message(record_id(i))[0]

            else:
                docs = [f"doc-{d:02d}" for d in range(DOCUMENTS)]

                def record_id(i: int, prefix: str = prefix) -> str:
                    return f"{prefix}-{i % (DOCUMENTS * PER_DOCUMENT):05d}"

                def record(i: int, make: Callable[[int], Document] = make) -> Document:
                    return make(i % (DOCUMENTS * PER_DOCUMENT))

            def save(
                i: int,
                n: int,
                field: str = family.save_field,
                record: Callable[[int], Document] = record,
                event: str = event,
            ) -> Document:
                records = [record(i * n + k) for k in range(n)]
                return {field: {r["annotationId"]: r for r in records}, "event": event}

            def delete(
                i: int, field: str = family.delete_field, record_id: Any = record_id
            ) -> Document:
                return {field: record_id(i), "metadata": {"organizationId": ORG}}

            in_folder = "500" if make is None else "300"
            ops += [
                Operation(
                    f"{family.name}/get: 50 ids",
                    f"{path}/get",
                    lambda i, f=family.ids_field, rid=record_id: {
                        "organizationId": ORG,
                        f: [rid(i * 37 + n * 13) for n in range(50)],
                    },
                ),
                Operation(
                    f"{family.name}/get: 1 document (100 records)",
                    f"{path}/get",
                    lambda i, d=docs: {
                        "organizationId": ORG,
                        "documentIds": [d[i % len(d)]],
                    },
                ),
                Operation(
                    f"{family.name}/get: 1 folder, allDocuments ({in_folder} records)",
                    f"{path}/get",
                    lambda i: {
                        "organizationId": ORG,
                        "folderId": "folder-1",
                        "allDocuments": True,
                    },
                ),
                Operation(
                    f"{family.name}/save: 1 record",
                    f"{path}/save",
                    lambda i, s=save: s(i, 1),
                ),
                Operation(
                    f"{family.name}/save: {BATCH_SIZE} records",
                    f"{path}/save",
                    lambda i, s=save: s(i, BATCH_SIZE),
                ),
                Operation(
                    f"{family.name}/delete: 1 record",
                    f"{path}/delete",
                    lambda i, d=delete: d(2 * i),
                    endpoint_body=lambda i, d=delete: d(2 * i + 1),
                    prepare=lambda i, s=save, p=path: self._resave(
                        p, s, 2 * i, 2 * i + 1
                    ),
                    reset=lambda side, i, s=save, p=path: self._resave(p, s, 2 * i),
                ),
            ]
        ops += [
            Operation(
                "notifications/get: 50 ids",
                "/velt/notifications/get",
                lambda i: {
                    "organizationId": ORG,
                    "notificationIds": [
                        f"ntf-{(i * 37 + n * 13) % 1000:05d}" for n in range(50)
                    ],
                },
            ),
            Operation(
                "activities/get: 1 document (100 activities)",
                "/velt/activities/get",
                lambda i: {
                    "organizationId": ORG,
                    "documentIds": [self.document(i * 100)],
                },
            ),
            Operation(
                "activities/save: 1 new activity",
                "/velt/activities/save",
                lambda i: {
                    "activity": {
                        f"new-{i:07d}": activity(f"new-{i:07d}", self.document(i))
                    },
                    "event": "activity.save",
                },
                reset=lambda side, i: self.forget_activity(side, f"new-{i:07d}"),
                endpoint_body=lambda i: {
                    "activity": {
                        f"new-{i + FRESH:07d}": activity(
                            f"new-{i + FRESH:07d}", self.document(i)
                        )
                    },
                    "event": "activity.save",
                },
            ),
            Operation(
                "users/get: 100 userIds",
                "/velt/users/get",
                lambda i: {
                    "organizationId": ORG,
                    "userIds": [f"u_{(i * 7 + n) % 2000:05d}" for n in range(100)],
                },
            ),
        ]
        return ops

    def _resave(
        self, path: str, save: Callable[[int, int], Document], *indexes: int
    ) -> None:
        """Store the records a delete step removes (untimed)."""
        for index in indexes:
            self.post(f"{path}/save", save(index, 1))

    def round_trip_counts(self) -> Document:
        """Round trips of a get by one document of 10 / 100 / 1,000 threads and of a
        save of 50, per backend."""
        counts: Document = {}
        bodies = [
            (
                f"comments/get: 1 document of {n:,} threads",
                "/velt/comments/get",
                {"organizationId": ORG, "documentIds": [document_id]},
            )
            for document_id, n in ROUND_TRIP_DOCUMENTS
        ]
        records = {}
        for annotation_id in self.corpus.ids[:BATCH_SIZE]:
            thread, _ = self.corpus.with_new_message(annotation_id)
            records[annotation_id] = thread
        bodies.append(
            (
                f"comments/save: {BATCH_SIZE} threads",
                "/velt/comments/save",
                {"commentAnnotation": records, "event": "comment.add"},
            )
        )
        for name, path, body in bodies:
            counts[name] = {}
            for side in BACKENDS:
                with backend(self.velt, side):
                    _replay, trips, sent = self.capture(side, path, body)
                counts[name][side] = trips
                counts[name][f"{side}_sent"] = sent
        return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--quick", action="store_true", help="15 iterations, 3 warm-up")
    parser.add_argument("--iterations", type=int)
    parser.add_argument("--warmup", type=int)
    parser.add_argument("--uri", default=os.environ.get("VELT_BENCH_MONGODB_URI"))
    parser.add_argument("--postgres-url", default=os.environ.get(POSTGRES_URL_ENV))
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--only", help="measure only operations containing this text")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "postgres.json")
    args = parser.parse_args(argv)
    iterations = args.iterations or (15 if args.quick else 100)
    warmup = args.warmup if args.warmup is not None else (3 if args.quick else 10)

    import psycopg
    import pymongo

    with (
        mongo_server(args.uri) as (uri, mongo_kind),
        postgres_server(args.postgres_url) as pg,
    ):
        recreate_database(pg, args.database)
        velt = configure_django(uri, pg, args.database)
        from django.core.management import call_command
        from django.db import connections

        from velt_django.repository import close_client, ensure_indexes

        call_command("migrate", verbosity=0)
        raw_mongo_client: pymongo.MongoClient[Document] = pymongo.MongoClient(
            uri, tz_aware=True, socketTimeoutMS=120_000
        )
        raw_mongo_client.drop_database(args.database)
        raw_pg = psycopg.connect(_server_conninfo(pg, args.database), autocommit=True)
        try:
            run = Run(velt, raw_pg, raw_mongo_client[args.database])
            for side in BACKENDS:
                with backend(velt, side):
                    if side == "mongodb":
                        ensure_indexes()
                    run.seed()
            print(
                f"PostgreSQL: {type(pg).__name__} (server {raw_pg.info.server_version}); "
                f"MongoDB: {mongo_kind}; seeded both"
            )
            results: Document = {
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                    timespec="seconds"
                ),
                "machine": machine(),
                "postgresql_server_version": raw_pg.info.server_version,
                "mongodb_server": mongo_kind,
                "iterations": iterations,
                "warmup": warmup,
                "operations": {},
            }
            for op in run.operations():
                if args.only and args.only not in op.name:
                    continue
                outcome = {
                    side: run.measure(side, op, iterations, warmup) for side in BACKENDS
                }
                pg_p50 = outcome["postgresql"]["endpoint"]["p50_ms"]
                mongo_p50 = outcome["mongodb"]["endpoint"]["p50_ms"]
                outcome["postgresql_over_mongodb_p50"] = round(pg_p50 / mongo_p50, 2)
                results["operations"][op.name] = outcome
                print(
                    f"  {op.name}: PG endpoint {pg_p50:.2f} ms / raw SQL "
                    f"{outcome['postgresql']['raw']['p50_ms']:.2f} ms "
                    f"= {outcome['postgresql']['p50_ratio']}x "
                    f"({outcome['postgresql']['round_trips']} round trips); "
                    f"MongoDB endpoint {mongo_p50:.2f} ms "
                    f"({outcome['mongodb']['p50_ratio']}x raw, "
                    f"{outcome['mongodb']['round_trips']} commands)",
                    flush=True,
                )
            results["round_trips"] = run.round_trip_counts()
            for name, count in results["round_trips"].items():
                print(
                    f"  round trips, {name}: PostgreSQL {count['postgresql']}, "
                    f"MongoDB {count['mongodb']}"
                )
            ratios = [
                o["postgresql"]["p50_ratio"] for o in results["operations"].values()
            ]
            results["targets"] = {
                "postgresql_endpoint_over_raw_p50_limit": RATIO_TARGET,
                "missed": [
                    name
                    for name, o in results["operations"].items()
                    if o["postgresql"]["p50_ratio"] > RATIO_TARGET
                ],
                "max_ratio": max(ratios) if ratios else None,
            }
        finally:
            close_client()
            connections.close_all()
            raw_pg.close()
            raw_mongo_client.drop_database(args.database)
            raw_mongo_client.close()
            drop_database(pg, args.database)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
