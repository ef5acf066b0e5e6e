"""Benchmark every resolver family beyond comments next to the raw pymongo operation it
performs, on the same server in the same run.

For each operation the endpoint is called once with a pymongo command listener attached
to velt_django's client; the database commands it sent (the ``find`` of a get, the
``update`` of a save) are what the raw side then runs through a plain ``MongoClient``:
``collection.find(filter, projection)`` read to the end, or the same ``update`` command.
The ratio endpoint p50 / raw p50 is what velt_django adds (Django, DRF, validation,
authorization, escaping, encoding). It also counts the database commands of one request,
so "one query per get" is checked, not assumed.

    python benchmarks/bench_families.py            # 100 iterations per operation
    python benchmarks/bench_families.py --quick    # 20: a smoke run
    python benchmarks/bench_families.py --uri mongodb://127.0.0.1:27017/
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_endpoints import (  # noqa: E402
    SQLITE_IN_MEMORY,
    Step,
    TestClientTransport,
    configure_bench_django,
    machine,
    measure,
    mongo_server,
    open_access,
)
from pymongo import monitoring  # noqa: E402

Document = dict[str, Any]
ORG = "acme-bench"
DEFAULT_DATABASE = "velt_bench_families"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
#: Commands that are bookkeeping, not the operation's work.
_IGNORED = {"endSessions", "ping", "hello", "isMaster", "ismaster", "buildInfo"}


class CommandLog(monitoring.CommandListener):
    """Records the commands velt_django's client sends while ``recording`` is on."""

    def __init__(self) -> None:
        self.recording = False
        self.commands: list[Document] = []
        self._lock = threading.Lock()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.recording and event.command_name not in _IGNORED:
            with self._lock:
                self.commands.append(
                    {"name": event.command_name, "command": dict(event.command)}
                )

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    @contextmanager
    def capture(self) -> Iterator[list[Document]]:
        self.commands = []
        self.recording = True
        try:
            yield self.commands
        finally:
            self.recording = False


COMMANDS = CommandLog()


def configure_django(uri: str, database: str, velt_extra: Document) -> None:
    """In-process settings: DRF, velt_django at ``velt/``, open access, the listener."""
    configure_bench_django(
        {
            **open_access(uri, database),
            "MONGO_CLIENT_OPTIONS": {"event_listeners": [COMMANDS]},
            **velt_extra,
        },
        databases=SQLITE_IN_MEMORY,
    )


def _raw_replay(raw_db: Any, commands: list[Document]) -> Callable[[], None]:
    """The raw pymongo form of what one endpoint call sent."""
    steps: list[Callable[[], None]] = []
    for entry in commands:
        name, command = entry["name"], entry["command"]
        if name == "getMore":
            continue  # part of the find before it: the raw find reads to the end too
        if name == "find":
            collection = raw_db[command["find"]]
            query = command.get("filter", {})
            projection = command.get("projection")
            steps.append(
                lambda c=collection, q=query, p=projection: (
                    None if list(c.find(q, p)) is None else None
                )
            )
            continue
        cleaned = {
            k: v
            for k, v in command.items()
            if k not in {"lsid", "$db", "$clusterTime", "txnNumber", "$readPreference"}
        }
        steps.append(lambda c=cleaned: None if raw_db.command(c) is None else None)

    def run() -> None:
        for step in steps:
            step()

    return run


@dataclass
class Operation:
    """One endpoint call measured next to its raw replay."""

    name: str
    path: str
    body: Callable[[int], Document]
    #: Database round trips one call may make (finds/updates; getMores not counted).
    max_commands: int = 1
    #: For saves that must insert on both sides: the stored record the capture call
    #: created, as (collection, filter), deleted again so the raw replay inserts too;
    #: the endpoint then saves ``body(i + FRESH)`` (another new id).
    created: Callable[[int], tuple[str, Document]] | None = None
    notes: list[str] = field(default_factory=list)


FRESH = 1_000_000


def recording(rng: random.Random, index: int, document: str) -> Document:
    annotation_id = f"rec-{index:05d}"
    return {
        "annotationId": annotation_id,
        "metadata": {"organizationId": ORG, "documentId": document, "apiKey": "pk"},
        "from": {"userId": f"u_{index % 50}", "name": "Dana Okafor"},
        "transcription": {
            "transcriptedText": " ".join(
                rng.choice("lorem ipsum dolor sit amet".split()) for _ in range(40)
            ),
            "lastUpdated": 1767225012000 + index,
        },
        "attachments": [
            {
                "attachmentId": index,
                "url": f"https://files.example/{annotation_id}.webm",
                "mimeType": "video/webm",
                "size": 3_145_728,
            }
        ],
        "chunkUrls": {
            str(n): f"https://files.example/{annotation_id}/{n}" for n in range(4)
        },
        "isUrlAvailable": True,
    }


def activity(activity_id: str, document: str) -> Document:
    return {
        "id": activity_id,
        "metadata": {"organizationId": ORG, "documentId": document, "apiKey": "pk"},
        "changes": {
            "commentText": {"from": "Can we cut this?", "to": "Cut it to two."}
        },
        "entityData": {"releaseName": "v2.4.0", "deployKey": activity_id},
        "displayMessageTemplateData": {
            "actor": {"userId": "u_8841", "name": "Sam Reyes"}
        },
    }


class Run:
    def __init__(self, transport: Any, raw_db: Any) -> None:
        self.transport = transport
        self.raw_db = raw_db
        self.rng = random.Random(11)

    def post(self, path: str, body: Document) -> Document:
        status, content = self.transport.post(path, json.dumps(body).encode())
        if status != 200:
            raise SystemExit(f"{path} answered {status}: {content[:300]!r}")
        result: Document = json.loads(content)
        return result

    def seed_recordings(self, documents: int = 10, per_document: int = 100) -> None:
        batch: dict[str, Document] = {}
        index = 0
        for d in range(documents):
            for _ in range(per_document):
                record = recording(self.rng, index, f"doc-{d:02d}")
                batch[record["annotationId"]] = record
                index += 1
                if len(batch) == 50:
                    self.post("/velt/recordings/save", {"recorderAnnotation": batch})
                    batch = {}
        if batch:
            self.post("/velt/recordings/save", {"recorderAnnotation": batch})

    def seed_activities(self, documents: int = 10, per_document: int = 100) -> None:
        batch: dict[str, Document] = {}
        for index in range(documents * per_document):
            activity_id = f"act-{index:05d}"
            batch[activity_id] = activity(
                activity_id, f"doc-{index // per_document:02d}"
            )
            if len(batch) == 50:
                self.post("/velt/activities/save", {"activity": batch})
                batch = {}
        if batch:
            self.post("/velt/activities/save", {"activity": batch})

    def seed_notifications(self, count: int = 1000) -> None:
        from velt_django import notifications

        batch = []
        for index in range(count):
            batch.append(
                {
                    "notificationId": f"ntf-{index:05d}",
                    "displayHeadlineMessageTemplate": "{{actor}} mentioned you",
                    "displayHeadlineMessageTemplateData": {
                        "actor": {"userId": f"u_{index % 50}", "name": "Sam Reyes"}
                    },
                    "displayBodyMessage": "Deploy v2.4.0 needs a sign-off",
                    "notificationSourceData": {"releaseName": "v2.4.0", "n": index},
                }
            )
        notifications.store(ORG, batch)

    def seed_users(self, count: int = 2000) -> None:
        from velt_django import users

        users.upsert(
            [
                {
                    "userId": f"u_{index:05d}",
                    "name": f"User {index}",
                    "email": f"User.{index}@Acme.example",
                    "photoUrl": f"https://cdn.acme.example/avatars/{index}.png",
                }
                for index in range(count)
            ],
            organization_id=ORG,
        )

    def measure(self, op: Operation, iterations: int, warmup: int) -> Document:
        with COMMANDS.capture() as commands:
            self.post(op.path, op.body(0))
        work = [c for c in commands if c["name"] != "getMore"]
        if len(work) > op.max_commands:
            raise SystemExit(
                f"{op.name}: {len(work)} database commands ({[c['name'] for c in work]}), expected at most {op.max_commands}"
            )

        def make_step(i: int) -> Step:
            body = op.body(i)
            # The raw side replays exactly what this body makes the endpoint send,
            # captured by an untimed call of the same body first.
            with COMMANDS.capture() as template:
                self.post(op.path, body)
            endpoint_body = body
            if op.created is not None:
                collection, query = op.created(i)
                self.raw_db[collection].delete_one(query)
                endpoint_body = op.body(i + FRESH)
            return Step(
                endpoint=lambda: (
                    None if self.post(op.path, endpoint_body) is None else None
                ),
                raw=_raw_replay(self.raw_db, list(template)),
            )

        result = measure(make_step, iterations, warmup)
        result["commands_per_call"] = [c["name"] for c in work]
        endpoint, raw = result["endpoint"]["p50_ms"], result["raw"]["p50_ms"]
        result["p50_ratio"] = round(endpoint / raw, 2) if raw else None
        return result


def operations() -> list[Operation]:
    docs = [f"doc-{d:02d}" for d in range(10)]
    return [
        Operation(
            "recordings/get: 1 documentId (100 recordings)",
            "/velt/recordings/get",
            lambda i: {"organizationId": ORG, "documentIds": [docs[i % len(docs)]]},
        ),
        Operation(
            "recordings/get: 50 recorderAnnotationIds",
            "/velt/recordings/get",
            lambda i: {
                "organizationId": ORG,
                "recorderAnnotationIds": [
                    f"rec-{(i * 37 + n * 13) % 1000:05d}" for n in range(50)
                ],
            },
        ),
        Operation(
            "recordings/save: 1 recording, new chunk URL",
            "/velt/recordings/save",
            lambda i: {
                "recorderAnnotation": {
                    f"rec-{i % 1000:05d}": {
                        "annotationId": f"rec-{i % 1000:05d}",
                        "metadata": {
                            "organizationId": ORG,
                            "documentId": docs[(i % 1000) // 100],
                        },
                        "chunkUrls": {str(4 + i): f"https://files.example/{i}"},
                    }
                },
                "event": "recorder_annotation.update",
            },
        ),
        Operation(
            "activities/get: 1 documentId (100 activities)",
            "/velt/activities/get",
            lambda i: {"organizationId": ORG, "documentIds": [docs[i % len(docs)]]},
        ),
        Operation(
            "activities/get: 50 activityIds",
            "/velt/activities/get",
            lambda i: {
                "organizationId": ORG,
                "activityIds": [
                    f"act-{(i * 37 + n * 13) % 1000:05d}" for n in range(50)
                ],
            },
        ),
        Operation(
            "activities/save: 1 new activity",
            "/velt/activities/save",
            lambda i: {
                "activity": {f"new-{i:07d}": activity(f"new-{i:07d}", docs[i % 10])},
                "event": "activity.save",
            },
            created=lambda i: (
                "velt_activities",
                {"organizationId": ORG, "activityId": f"new-{i:07d}"},
            ),
        ),
        Operation(
            "activities/save: 1 activity saved again (append-only)",
            "/velt/activities/save",
            lambda i: {
                "activity": {
                    f"act-{i % 1000:05d}": activity(
                        f"act-{i % 1000:05d}", docs[(i % 1000) // 100]
                    )
                },
                "event": "activity.save",
            },
            max_commands=2,
        ),
        Operation(
            "users/get: 1,000 userIds (MongoDB directory)",
            "/velt/users/get",
            lambda i: {
                "organizationId": ORG,
                "userIds": [f"u_{(i * 7 + n) % 2000:05d}" for n in range(1000)],
            },
        ),
        Operation(
            "anonymous-users/resolve: 100 e-mails, mixed case",
            "/velt/anonymous-users/resolve",
            lambda i: {
                "organizationId": ORG,
                "emails": [
                    f"user.{(i * 7 + n) % 2000}@ACME.example" for n in range(100)
                ],
            },
        ),
        Operation(
            "notifications/get: 50 notificationIds",
            "/velt/notifications/get",
            lambda i: {
                "organizationId": ORG,
                "notificationIds": [
                    f"ntf-{(i * 37 + n * 13) % 1000:05d}" for n in range(50)
                ],
            },
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--quick", action="store_true", help="20 iterations, 3 warm-up")
    parser.add_argument("--iterations", type=int)
    parser.add_argument("--warmup", type=int)
    parser.add_argument("--uri", default=os.environ.get("VELT_BENCH_MONGODB_URI"))
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "families.json")
    args = parser.parse_args(argv)
    iterations = args.iterations or (20 if args.quick else 100)
    warmup = args.warmup if args.warmup is not None else (3 if args.quick else 10)

    import pymongo

    with mongo_server(args.uri) as (uri, server_kind):
        configure_django(
            uri,
            args.database,
            {"USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory"},
        )
        from velt_django.repository import close_client, ensure_indexes

        raw_client: pymongo.MongoClient[Document] = pymongo.MongoClient(
            uri, tz_aware=True, socketTimeoutMS=120_000
        )
        raw_client.drop_database(args.database)
        try:
            ensure_indexes()
            run = Run(TestClientTransport(), raw_client[args.database])
            run.seed_recordings()
            run.seed_activities()
            run.seed_notifications()
            run.seed_users()
            print(
                f"server: {server_kind}; seeded 1000 recordings, 1000 activities, "
                "1000 notifications, 2000 users"
            )
            results: Document = {
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                    timespec="seconds"
                ),
                "machine": machine(),
                "server": server_kind,
                "iterations": iterations,
                "operations": {},
            }
            for op in operations():
                outcome = run.measure(op, iterations, warmup)
                results["operations"][op.name] = outcome
                print(
                    f"  {op.name}: endpoint p50 {outcome['endpoint']['p50_ms']:.2f} ms, "
                    f"raw p50 {outcome['raw']['p50_ms']:.2f} ms ({outcome['p50_ratio']}x); "
                    f"commands per call: {', '.join(outcome['commands_per_call'])}"
                )
        finally:
            close_client()
            raw_client.drop_database(args.database)
            raw_client.close()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
