"""Benchmark velt_django's comment endpoints against raw pymongo on the same server.

Run from the repository root with the package installed::

    python benchmarks/bench_endpoints.py            # 200 measured iterations per operation
    python benchmarks/bench_endpoints.py --quick    # 30 iterations, for a smoke run
    python benchmarks/bench_endpoints.py --uri mongodb://127.0.0.1:27017/  # a real mongod
    python benchmarks/bench_endpoints.py --http     # over a real HTTP server (wsgiref)
    python benchmarks/bench_endpoints.py --profile  # also cProfile the endpoint path

Every endpoint figure is paired with the raw pymongo time of the same database operation
on the same server in the same run; runs alternate so drift affects both. The ratios are
the result, not the absolute times (the embedded SecantusDB server is pure Python).
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import gc
import http.client
import json
import math
import os
import platform
import pstats
import random
import string
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ORG = "acme-bench"
API_KEY = "pk_live_3bT9xQ"
DOCUMENT_COUNT = 20
THREADS_PER_DOCUMENT = 100
BATCH_SIZE = 50
DEFAULT_DATABASE = "velt_bench_endpoints"
RESULTS_DIR = Path(__file__).resolve().parent / "results"

#: Targets checked at the end: (name, description).
GET_RATIO_TARGET = 1.5
SAVE_BATCH_TARGET = 3.0

# The server runs in a child process so that it neither competes for this process's GIL
# nor shows up in cProfile / tracemalloc figures of the endpoint path.
_SERVER_SCRIPT = """
import sys
from secantus import SecantusDBServer
server = SecantusDBServer(host="127.0.0.1", port=0, storage_path=sys.argv[1])
server.start()
print(server.uri, flush=True)
sys.stdin.read()  # until the parent closes our stdin
server.stop()
"""

Document = dict[str, Any]


# ---- server -----------------------------------------------------------------------


@contextmanager
def mongo_server(uri: str | None) -> Iterator[tuple[str, str]]:
    """Yield ``(uri, description)``: the given server, or an embedded SecantusDB."""
    if uri:
        yield uri, "external"
        return
    with tempfile.TemporaryDirectory(prefix="velt-bench-") as tmp:
        log = open(os.path.join(tmp, "server.log"), "w")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER_SCRIPT, os.path.join(tmp, "data")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            line = proc.stdout.readline().strip() if proc.stdout else ""
            if not line.startswith("mongodb://"):
                log.flush()
                raise SystemExit(
                    f"SecantusDB did not start; see {log.name}:\n"
                    + Path(log.name).read_text()
                )
            yield line, "embedded SecantusDB (child process)"
        finally:
            if proc.stdin:
                proc.stdin.close()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


# ---- Django -----------------------------------------------------------------------


#: ``DATABASES`` for a benchmark whose users are Django's (``auth.User``).
SQLITE_IN_MEMORY = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
}
_COMMON_MIDDLEWARE = "django.middleware.common.CommonMiddleware"


def configure_bench_django(
    velt: dict[str, Any],
    *,
    debug: bool = False,
    middleware: tuple[str, ...] = (_COMMON_MIDDLEWARE,),
    databases: dict[str, Any] | None = None,
    **extra: Any,
) -> None:
    """In-process settings for a benchmark: DRF and velt_django installed, ``velt`` as
    ``VELT``, ``extra`` as further settings; then ``django.setup()`` and velt_django's
    URLconf mounted at ``velt/``."""
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=debug,
        SECRET_KEY="velt-bench-not-secret",
        ALLOWED_HOSTS=["*"],
        USE_TZ=True,
        ROOT_URLCONF="velt_bench_urls",
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "rest_framework",
            "velt_django",
        ],
        MIDDLEWARE=list(middleware),
        DATABASES=databases or {},
        VELT=velt,
        **extra,
    )
    django.setup()
    from django.urls import include, path

    urls = types.ModuleType("velt_bench_urls")
    urls.urlpatterns = [path("velt/", include("velt_django.urls"))]  # type: ignore[attr-defined]
    sys.modules["velt_bench_urls"] = urls


def open_access(uri: str, database: str) -> dict[str, Any]:
    """``VELT`` for the endpoint benchmarks: the database at ``uri``, no authentication,
    every organization open."""
    return {
        "MONGODB_URI": uri,
        "DATABASE_NAME": database,
        # Headroom for a slow server under profiling; the default is 10 s.
        "SOCKET_TIMEOUT_MS": 120_000,
        "AUTHENTICATION_CLASSES": [],
        "PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
        "ORGANIZATION_ACCESS": "velt_django.access.allow_all",
    }


def configure_django(uri: str, database: str) -> None:
    """Minimal in-process settings: DRF, velt_django mounted at ``velt/``, open access."""
    configure_bench_django(
        open_access(uri, database),
        debug=True,
        middleware=(
            "django.middleware.security.SecurityMiddleware",
            _COMMON_MIDDLEWARE,
        ),
    )


# ---- payloads ---------------------------------------------------------------------

_ID_ALPHABET = string.ascii_letters + string.digits
_FIRST = [
    "Priya",
    "Jonas",
    "Mei",
    "Tomás",
    "Amara",
    "Lukas",
    "Sofia",
    "Kenji",
    "Zainab",
    "Oliver",
]
_LAST = [
    "Raman",
    "Berg",
    "Chen",
    "Silva",
    "Okafor",
    "Weber",
    "Rossi",
    "Tanaka",
    "Haddad",
    "Brown",
]
_WORDS = (
    "the onboarding flow takes four screens can we cut this to two agreed see mock latest "
    "copy needs review legal approved pricing table numbers look off for enterprise tier "
    "please double check before friday launch"
).split()


def _annotation_id(rng: random.Random) -> str:
    return "".join(rng.choice(_ID_ALPHABET) for _ in range(20))


def _user(index: int) -> Document:
    first, last = _FIRST[index % 10], _LAST[(index // 10) % 10]
    return {
        "userId": f"u_{1000 + index}",
        "name": f"{first} {last}",
        "email": f"{first.lower()}.{last.lower()}@acme.example",
    }


def _sentence(rng: random.Random, low: int = 6, high: int = 18) -> str:
    return " ".join(
        rng.choice(_WORDS) for _ in range(rng.randint(low, high))
    ).capitalize()


class Corpus:
    """The seeded threads, and realistic save bodies built from them."""

    def __init__(self, seed: int = 20261125) -> None:
        self.rng = random.Random(seed)
        self.next_comment_id = 100000
        self.threads: dict[str, Document] = {}
        self.by_document: dict[str, list[str]] = {}
        for d in range(DOCUMENT_COUNT):
            document_id = f"spec-{d:02d}"
            ids = []
            for _ in range(THREADS_PER_DOCUMENT):
                annotation_id = _annotation_id(self.rng)
                self.threads[annotation_id] = self._thread(
                    annotation_id, document_id, self.rng.randint(2, 3)
                )
                ids.append(annotation_id)
            self.by_document[document_id] = ids
        self.ids = list(self.threads)

    def _metadata(self, document_id: str) -> Document:
        return {
            "apiKey": API_KEY,
            "documentId": document_id,
            "organizationId": ORG,
            "folderId": f"folder-{int(document_id[-2:]) % 4}",
            "documentMetadata": {
                "documentName": f"Spec {document_id[-2:]} (Q3 review)"
            },
            "sdkVersion": "5.0.2",
        }

    def message(self) -> Document:
        self.next_comment_id += 1
        text = _sentence(self.rng)
        author, mentioned = self.rng.randrange(100), self.rng.randrange(100)
        return {
            "commentId": self.next_comment_id,
            "commentText": text,
            "commentHtml": f'<p>{text} <span class="mention">@{_user(mentioned)["name"]}</span></p>',
            "from": _user(author),
            "to": [_user(mentioned)],
        }

    def _thread(self, annotation_id: str, document_id: str, messages: int) -> Document:
        comments = {}
        for _ in range(messages):
            message = self.message()
            comments[str(message["commentId"])] = message
        return {
            "annotationId": annotation_id,
            "metadata": self._metadata(document_id),
            "from": comments[next(iter(comments))]["from"],
            "targetTextRange": {"text": _sentence(self.rng, 4, 10)},
            "comments": comments,
            "internalTicketId": f"OPS-{self.rng.randint(1000, 9999)}",  # integrator custom field
        }

    def with_new_message(self, annotation_id: str) -> tuple[Document, str]:
        """The thread as Velt sends it on ``comment.add``: its messages plus a new one."""
        thread = dict(self.threads[annotation_id])
        message = self.message()
        thread["comments"] = {**thread["comments"], str(message["commentId"]): message}
        return thread, str(message["commentId"])

    def save_body(
        self, records: dict[str, Document], event: str, comment_id: str | None = None
    ) -> Document:
        first = next(iter(records.values()))
        body: Document = {
            "commentAnnotation": records,
            "event": event,
            "metadata": dict(first["metadata"]),
        }
        if comment_id is not None and len(records) == 1:
            body["commentId"] = comment_id
            body["targetComment"] = first["comments"][comment_id]
        return body


def raw_update(
    annotation_id: str, payload: Document, event: str | None, now: datetime.datetime
) -> tuple[Document, Document]:
    """The (filter, update) velt_django sends for one record: CONTRACT §5.4's dotted ``$set``
    per entry of ``metadata``/``comments``, ``$unset`` of the non-object wrapper, plus
    ``$setOnInsert`` and ``$inc``, filtered on the unique index's fields (mirrors the
    repository's builder; the benchmark payloads need no key escaping)."""
    metadata = payload["metadata"]
    to_set: Document = {
        "updatedAt": now,
        "lastEvent": event,
        "documentId": metadata["documentId"],
        "folderId": metadata["folderId"],
    }
    to_unset: Document = {}
    for key, value in payload.items():
        path = f"payload.{key}"
        if key in ("metadata", "comments") and isinstance(value, dict):
            for entry, entry_value in value.items():
                to_set[f"{path}.{entry}"] = entry_value
            to_unset[f"{path}.~!"] = ""
        else:
            to_set[path] = value
    query: Document = {"organizationId": ORG, "annotationId": annotation_id}
    update = {
        "$set": to_set,
        "$setOnInsert": {"createdAt": now},
        "$inc": {"rev": 1},
        "$unset": to_unset,
    }
    return query, update


def check_update_builder(corpus: Corpus) -> str:
    """Compare :func:`raw_update` with the repository's own builder, so the raw figures keep
    measuring the operation the package really sends. Returns a short verdict."""
    from velt_django.repository import CommentRepository, RecordWrite

    annotation_id = corpus.ids[0]
    payload, _ = corpus.with_new_message(annotation_id)
    now = datetime.datetime.now(datetime.timezone.utc)
    md = payload["metadata"]
    record = RecordWrite(ORG, annotation_id, payload, md["documentId"], md["folderId"])
    try:
        escaped = CommentRepository()._prepare(payload)
        op = CommentRepository()._dotted_update(record, escaped, "comment.add", now)
        theirs = (op._filter, op._doc)
    except (AttributeError, TypeError) as err:  # private API moved: say so, don't fail
        return f"not checked ({type(err).__name__})"
    return (
        "identical"
        if theirs == raw_update(annotation_id, payload, "comment.add", now)
        else "DIFFERENT"
    )


def repository_projection() -> Any:
    """The projection of the repository's get, as the repository declares it."""
    from velt_django.repository import CommentRepository

    if not hasattr(CommentRepository, "read_projection"):  # before it was declared
        return {"_id": 0, "annotationId": 1, "payload": 1, "esc": 1}
    declared = CommentRepository.read_projection
    return None if declared is None else dict(declared)  # None: whole documents


# ---- transports -------------------------------------------------------------------


class TestClientTransport:
    """Django's test ``Client``: the full handler, middleware and DRF path, no socket."""

    name = "django test Client (in-process)"

    def __init__(self) -> None:
        from django.test import Client

        self.client = Client()

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        response = self.client.post(path, body, content_type="application/json")
        return response.status_code, response.content

    def close(self) -> None:
        pass


class HttpTransport:
    """A real HTTP round trip to a wsgiref server running Django in a thread."""

    name = "HTTP (wsgiref server thread, one connection per request)"

    def __init__(self) -> None:
        from wsgiref.simple_server import WSGIRequestHandler, make_server

        from django.core.wsgi import get_wsgi_application

        class QuietHandler(WSGIRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = make_server(
            "127.0.0.1", 0, get_wsgi_application(), handler_class=QuietHandler
        )
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("POST", path, body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---- measurement ------------------------------------------------------------------


@dataclass
class Step:
    """One iteration's prepared inputs: what the endpoint and the raw side each run."""

    endpoint: Callable[[], None]
    raw: Callable[[], None]


def summarize(samples_ns: list[int]) -> Document:
    ordered = sorted(samples_ns)
    n = len(ordered)
    ms = [s / 1e6 for s in ordered]
    return {
        "n": n,
        "requests_per_s": round(n / (sum(ordered) / 1e9), 1),
        "mean_ms": round(sum(ms) / n, 3),
        "p50_ms": round(ms[n // 2] if n % 2 else (ms[n // 2 - 1] + ms[n // 2]) / 2, 3),
        "p99_ms": round(ms[max(0, math.ceil(0.99 * n) - 1)], 3),
        "min_ms": round(ms[0], 3),
    }


def measure(
    make_step: Callable[[int], Step], iterations: int, warmup: int
) -> dict[str, Document]:
    """Run ``warmup + iterations`` steps, alternating which side goes first."""
    samples: dict[str, list[int]] = {"endpoint": [], "raw": []}
    gc.collect()
    for i in range(warmup + iterations):
        step = make_step(i)
        order = [("endpoint", step.endpoint), ("raw", step.raw)]
        if i % 2:
            order.reverse()
        for side, fn in order:
            start = time.perf_counter_ns()
            fn()
            elapsed = time.perf_counter_ns() - start
            if i >= warmup:
                samples[side].append(elapsed)
    return {side: summarize(values) for side, values in samples.items() if values}


class Bench:
    """Holds the corpus, the transport and the raw collection for one run."""

    def __init__(self, transport: Any, raw_db: Any, corpus: Corpus) -> None:
        from pymongo.write_concern import WriteConcern

        from velt_django.repository import CommentRepository

        self.transport = transport
        self.corpus = corpus
        self.rng = random.Random(7)
        # Same write concern as the package (settings default "majority").
        self.raw = raw_db[CommentRepository.collection_name()].with_options(
            write_concern=WriteConcern(w="majority", wtimeout=120_000)
        )
        # The projection the repository's get sends (declared on the repository class).
        self.projection = repository_projection()

    def post(self, path: str, body: Document | bytes) -> Document:
        raw_body = body if isinstance(body, bytes) else json.dumps(body).encode()
        status, content = self.transport.post(path, raw_body)
        if status != 200:
            raise SystemExit(f"{path} answered {status}: {content[:300]!r}")
        return json.loads(content)

    def _expect_ok(self, path: str, body: bytes) -> Callable[[], None]:
        def call() -> None:
            status, content = self.transport.post(path, body)
            if status != 200:
                raise SystemExit(f"{path} answered {status}: {content[:300]!r}")

        return call

    def seed(self) -> float:
        start = time.perf_counter()
        ids = self.corpus.ids
        for offset in range(0, len(ids), BATCH_SIZE):
            records = {
                i: self.corpus.threads[i] for i in ids[offset : offset + BATCH_SIZE]
            }
            self.post(
                "/velt/comments/save",
                self.corpus.save_body(records, "comment_annotation.add"),
            )
        stored = self.raw.count_documents({"organizationId": ORG})
        if stored != len(ids):
            raise SystemExit(f"seeding stored {stored} threads, expected {len(ids)}")
        return time.perf_counter() - start

    def _find(self, query: Document) -> None:
        list(self.raw.find(query, self.projection))

    # Each step_* builds one iteration: request bytes and raw arguments are prepared here,
    # outside the timed calls.

    def step_get_document(self, i: int) -> Step:
        document_id = f"spec-{i % DOCUMENT_COUNT:02d}"
        body = json.dumps(
            {"organizationId": ORG, "documentIds": [document_id]}
        ).encode()
        query = {"organizationId": ORG, "documentId": {"$in": [document_id]}}
        return Step(
            self._expect_ok("/velt/comments/get", body), lambda: self._find(query)
        )

    def step_get_ids(self, i: int) -> Step:
        ids = self.rng.sample(self.corpus.ids, BATCH_SIZE)
        body = json.dumps({"organizationId": ORG, "commentAnnotationIds": ids}).encode()
        query = {"organizationId": ORG, "annotationId": {"$in": ids}}
        return Step(
            self._expect_ok("/velt/comments/get", body), lambda: self._find(query)
        )

    def _saves(self, count: int) -> tuple[bytes, list[tuple[Document, Document]]]:
        chosen = self.rng.sample(self.corpus.ids, count)
        records: dict[str, Document] = {}
        comment_id = None
        raw_ops = []
        now = datetime.datetime.now(datetime.timezone.utc)
        for annotation_id in chosen:
            # Endpoint and raw side each add their own new message to the same threads,
            # so the stored documents grow alike.
            payload, comment_id = self.corpus.with_new_message(annotation_id)
            records[annotation_id] = payload
            raw_payload, _ = self.corpus.with_new_message(annotation_id)
            raw_ops.append(raw_update(annotation_id, raw_payload, "comment.add", now))
        body = json.dumps(
            self.corpus.save_body(records, "comment.add", comment_id)
        ).encode()
        return body, raw_ops

    def _update_one(self, query: Document, update: Document) -> None:
        self.raw.update_one(query, update, upsert=True)

    def _bulk_write(self, ops: list[Any]) -> None:
        self.raw.bulk_write(ops, ordered=False)

    def step_save_one(self, i: int) -> Step:
        body, [(query, update)] = self._saves(1)
        return Step(
            self._expect_ok("/velt/comments/save", body),
            lambda: self._update_one(query, update),
        )

    def step_save_batch(self, i: int) -> Step:
        from pymongo import UpdateOne

        body, raw_ops = self._saves(BATCH_SIZE)
        ops = [UpdateOne(q, u, upsert=True) for q, u in raw_ops]
        return Step(
            self._expect_ok("/velt/comments/save", body),
            lambda: self._bulk_write(ops),
        )

    def memory_of_get(self) -> Document:
        """Peak traced Python allocation of one ~100-thread get, endpoint vs raw find."""
        body = json.dumps({"organizationId": ORG, "documentIds": ["spec-00"]}).encode()
        query = {"organizationId": ORG, "documentId": {"$in": ["spec-00"]}}

        def peak(fn: Callable[[], Any]) -> tuple[int, Any]:
            gc.collect()
            tracemalloc.start()
            try:
                tracemalloc.reset_peak()
                base = tracemalloc.get_traced_memory()[0]
                result = fn()
                return tracemalloc.get_traced_memory()[1] - base, result
            finally:
                tracemalloc.stop()

        self.transport.post("/velt/comments/get", body)  # warm caches outside the trace
        endpoint_peak, (status, content) = peak(
            lambda: self.transport.post("/velt/comments/get", body)
        )
        raw_peak, docs = peak(lambda: list(self.raw.find(query, self.projection)))
        threads = len(json.loads(content)["data"])
        return {
            "threads_returned": threads,
            "raw_documents": len(docs),
            "response_bytes": len(content),
            "endpoint_peak_kib": round(endpoint_peak / 1024, 1),
            "raw_find_peak_kib": round(raw_peak / 1024, 1),
            "ratio": round(endpoint_peak / raw_peak, 2) if raw_peak else None,
        }


OPERATIONS: list[tuple[str, str, str]] = [
    # (key, label, Bench method)
    ("get_document", "get: 1 documentId (~100 threads)", "step_get_document"),
    ("get_ids", f"get: {BATCH_SIZE} commentAnnotationIds", "step_get_ids"),
    ("save_one", "save: 1 thread (comment.add)", "step_save_one"),
    ("save_batch", f"save: {BATCH_SIZE} threads in one request", "step_save_batch"),
]


# ---- profiling --------------------------------------------------------------------


def profile_endpoints(bench: Bench, calls: int, top: int) -> Document:
    """cProfile ``calls`` endpoint requests of each operation; print where the time goes."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    report: Document = {}
    for key, label, method in OPERATIONS:
        steps = [getattr(bench, method)(i) for i in range(calls)]
        profiler = cProfile.Profile()
        profiler.enable()
        for step in steps:
            step.endpoint()
        profiler.disable()
        out = RESULTS_DIR / f"profile_{key}.prof"
        profiler.dump_stats(str(out))
        stats = pstats.Stats(profiler)
        total = stats.total_tt  # type: ignore[attr-defined]
        rows = []
        for (filename, line, func), (
            _cc,
            ncalls,
            tottime,
            cumtime,
            _callers,
        ) in stats.stats.items():  # type: ignore[attr-defined]
            rows.append(
                (cumtime, tottime, ncalls, f"{_short(filename)}:{line}({func})")
            )
        rows.sort(reverse=True)
        velt = [r for r in rows if "velt_django" in r[3]]
        by_self = sorted(rows, key=lambda r: r[1], reverse=True)
        print(
            f"\n== cProfile: {label}, {calls} endpoint calls, {total:.3f} s profiled =="
        )
        print("  velt_django functions by cumulative time (per call, ms):")
        for cum, own, n, name in velt[:top]:
            print(
                f"    {cum / calls * 1e3:8.3f} cum {own / calls * 1e3:8.3f} self  {n:6d}x  {name}"
            )
        print("  all functions by self time (per call, ms):")
        for cum, own, n, name in by_self[:top]:
            print(
                f"    {own / calls * 1e3:8.3f} self {cum / calls * 1e3:8.3f} cum  {n:6d}x  {name}"
            )
        report[key] = {
            "calls": calls,
            "total_s": round(total, 4),
            "velt_django_cumulative_ms_per_call": {
                n: round(c / calls * 1e3, 3) for c, _o, _n, n in velt[:top]
            },
            "top_self_ms_per_call": {
                n: round(o / calls * 1e3, 3) for _c, o, _n, n in by_self[:top]
            },
            "stats_file": str(out),
        }
    return report


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/main/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


# ---- reporting --------------------------------------------------------------------


def machine() -> Document:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for dist in (
        "velt-django",
        "Django",
        "djangorestframework",
        "pymongo",
        "secantusdb",
    ):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            versions[dist] = None
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def print_table(results: Document) -> None:
    head = f"{'operation':<38} {'side':<13} {'req/s':>8} {'p50 ms':>9} {'p99 ms':>9} {'p50 ratio':>10}"
    print("\n" + head)
    print("-" * len(head))
    for key, label, _method in OPERATIONS:
        op = results["operations"][key]
        for side in ("endpoint", "raw"):
            if side not in op:
                continue
            row = op[side]
            ratio = f"{op['ratio_p50']:.2f}x" if side == "endpoint" else ""
            name = label if side == "endpoint" else ""
            print(
                f"{name:<38} {side:<13} {row['requests_per_s']:>8.1f} {row['p50_ms']:>9.2f} {row['p99_ms']:>9.2f} {ratio:>10}"
            )
    print(
        f"\nsave {BATCH_SIZE} / save 1, p50: endpoint {results['save_batch_over_save_one']:.2f}x, "
        f"raw {results['raw_save_batch_over_save_one']:.2f}x"
    )
    mem = results["memory"]
    print(
        f"peak memory of one get ({mem['threads_returned']} threads, {mem['response_bytes']} response bytes): "
        f"endpoint {mem['endpoint_peak_kib']} KiB, raw find {mem['raw_find_peak_kib']} KiB"
    )
    print("\ntargets:")
    for target in results["targets"]:
        mark = "PASS" if target["passed"] else "MISS"
        print(
            f"  [{mark}] {target['name']}: {target['value']:.2f} (limit {target['limit']})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "--quick", action="store_true", help="30 iterations, 5 warm-up (smoke run)"
    )
    parser.add_argument(
        "--iterations", type=int, help="measured iterations per operation (default 200)"
    )
    parser.add_argument(
        "--warmup", type=int, help="unmeasured iterations first (default 20)"
    )
    parser.add_argument(
        "--batch-iterations",
        type=int,
        help=f"measured iterations of the save of {BATCH_SIZE} (default iterations // 5)",
    )
    parser.add_argument(
        "--uri",
        default=os.environ.get("VELT_BENCH_MONGODB_URI"),
        help="use this server instead of an embedded SecantusDB (env VELT_BENCH_MONGODB_URI)",
    )
    parser.add_argument(
        "--database",
        default=DEFAULT_DATABASE,
        help="dedicated database, dropped before and after the run",
    )
    parser.add_argument(
        "--http",
        action="store_true",
        help="measure over a real HTTP server (wsgiref) instead of the test Client",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also cProfile the endpoint path of each operation",
    )
    parser.add_argument("--profile-calls", type=int, default=50)
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "latest.json")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a target is missed"
    )
    args = parser.parse_args(argv)
    iterations = args.iterations or (30 if args.quick else 200)
    warmup = args.warmup if args.warmup is not None else (5 if args.quick else 20)
    batch_iterations = args.batch_iterations or max(5, iterations // 5)

    import pymongo

    with mongo_server(args.uri) as (uri, server_kind):
        configure_django(uri, args.database)
        from velt_django.repository import close_client, ensure_indexes

        raw_client: pymongo.MongoClient[Document] = pymongo.MongoClient(
            uri, tz_aware=True, socketTimeoutMS=120_000
        )
        raw_client.drop_database(args.database)
        transport: Any = None
        try:
            ensure_indexes()
            corpus = Corpus()
            transport = HttpTransport() if args.http else TestClientTransport()
            bench = Bench(transport, raw_client[args.database], corpus)
            print(f"server: {server_kind}; transport: {transport.name}")
            print(f"raw update builder vs repository's: {check_update_builder(corpus)}")
            seconds = bench.seed()
            print(
                f"seeded {len(corpus.ids)} threads over {DOCUMENT_COUNT} documents via comments/save in {seconds:.1f} s"
            )
            sample = bench.post(
                "/velt/comments/get",
                {"organizationId": ORG, "documentIds": ["spec-03"]},
            )
            if len(sample["data"]) != THREADS_PER_DOCUMENT:
                raise SystemExit(
                    f"get by document returned {len(sample['data'])} threads"
                )
            print(
                f"measuring {iterations} iterations per operation after {warmup} warm-up ..."
            )

            results: Document = {
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                    timespec="seconds"
                ),
                "machine": machine(),
                "server": server_kind,
                "transport": transport.name,
                "iterations": iterations,
                "save_batch_iterations": batch_iterations,
                "warmup": warmup,
                "corpus": {
                    "threads": len(corpus.ids),
                    "documents": DOCUMENT_COUNT,
                    "seed_seconds": round(seconds, 2),
                },
                "operations": {},
            }
            for key, label, method in OPERATIONS:
                n, w = (
                    (batch_iterations, max(2, warmup // 5))
                    if key == "save_batch"
                    else (iterations, warmup)
                )
                sides = measure(getattr(bench, method), n, w)
                endpoint, raw = sides["endpoint"], sides["raw"]
                results["operations"][key] = {
                    "label": label,
                    **sides,
                    "ratio_p50": round(endpoint["p50_ms"] / raw["p50_ms"], 3),
                }
                print(
                    f"  {label}: endpoint p50 {endpoint['p50_ms']:.2f} ms, raw p50 {raw['p50_ms']:.2f} ms"
                )
            ops = results["operations"]
            results["save_batch_over_save_one"] = round(
                ops["save_batch"]["endpoint"]["p50_ms"]
                / ops["save_one"]["endpoint"]["p50_ms"],
                3,
            )
            # What the server itself allows: the same ratio for the raw writes.
            results["raw_save_batch_over_save_one"] = round(
                ops["save_batch"]["raw"]["p50_ms"] / ops["save_one"]["raw"]["p50_ms"], 3
            )
            results["memory"] = bench.memory_of_get()
            results["targets"] = [
                {
                    "name": "get by document: endpoint p50 / raw p50",
                    "value": ops["get_document"]["ratio_p50"],
                    "limit": GET_RATIO_TARGET,
                },
                {
                    "name": "get by ids: endpoint p50 / raw p50",
                    "value": ops["get_ids"]["ratio_p50"],
                    "limit": GET_RATIO_TARGET,
                },
                {
                    "name": f"save {BATCH_SIZE} / save 1 (endpoint p50)",
                    "value": results["save_batch_over_save_one"],
                    "limit": SAVE_BATCH_TARGET,
                },
            ]
            for target in results["targets"]:
                limit_ok = (
                    target["value"] <= target["limit"]
                    if "get" in target["name"]
                    else target["value"] < target["limit"]
                )
                target["passed"] = bool(limit_ok)
            print_table(results)
            if args.profile:
                results["profile"] = profile_endpoints(
                    bench, args.profile_calls, top=25
                )
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(json.dumps(results, indent=2) + "\n")
            print(f"\nwrote {args.output}")
        finally:
            if transport is not None:
                transport.close()
            close_client()
            raw_client.drop_database(args.database)
            raw_client.close()
    missed = [t for t in results["targets"] if not t["passed"]]
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
