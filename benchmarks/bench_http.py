"""Benchmark velt_django's comment reads over real HTTP under gunicorn, at concurrency.

Run from the repository root with the ``dev`` and ``bench`` extras installed::

    python benchmarks/bench_http.py                  # 3 rounds of 10 s per side and operation
    python benchmarks/bench_http.py --quick          # 1 round of 4 s: a smoke run
    python benchmarks/bench_http.py --velt-path /tmp/velt_before --label before

It starts SecantusDB in a child process (or uses ``--uri``), starts gunicorn (2 workers ×
4 threads, gthread) serving ``bench_wsgi``, seeds the corpus of ``bench_endpoints.py``
through ``comments/save``, then drives ``--concurrency`` client threads, each with its own
persistent HTTP connection, against ``comments/get``; and, in alternating phases of the same
run, the same number of threads running the raw pymongo ``find`` (one ``MongoClient``) with
the filter and projection the repository sends. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from bench_endpoints import (  # noqa: E402
    _SERVER_SCRIPT,
    BATCH_SIZE,
    DOCUMENT_COUNT,
    ORG,
    RESULTS_DIR,
    THREADS_PER_DOCUMENT,
    Corpus,
    machine,
)

Document = dict[str, Any]
DEFAULT_DATABASE = "velt_bench_http"
_CLK_TCK = os.sysconf("SC_CLK_TCK")

OPERATIONS = [
    ("get_document", f"get: 1 documentId ({THREADS_PER_DOCUMENT} threads)"),
    ("get_ids", f"get: {BATCH_SIZE} commentAnnotationIds"),
]


# ---- processes --------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process, from /proc (0.0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


@contextmanager
def secantus_server(uri: str | None) -> Iterator[tuple[str, str, int | None]]:
    """Yield ``(uri, description, server pid or None)``."""
    if uri:
        yield uri, "external", None
        return
    with tempfile.TemporaryDirectory(prefix="velt-bench-http-") as tmp:
        log_path = os.path.join(tmp, "server.log")
        with open(log_path, "w") as log:
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
                    raise SystemExit(
                        f"SecantusDB did not start:\n{Path(log_path).read_text()}"
                    )
                yield line, "embedded SecantusDB (child process)", proc.pid
            finally:
                if proc.stdin:
                    proc.stdin.close()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn_server(
    uri: str, database: str, velt_path: Path, workers: int, threads: int
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """Start gunicorn serving ``bench_wsgi``; yield ``(port, process)``."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "VELT_BENCH_MONGODB_URI": uri,
        "VELT_BENCH_DATABASE": database,
    }
    command = [
        sys.executable, "-m", "gunicorn",
        "--workers", str(workers),
        "--threads", str(threads),
        "--worker-class", "gthread",
        "--bind", f"127.0.0.1:{port}",
        "--keep-alive", "60",
        "--timeout", "120",
        "--log-level", "warning",
        # Our velt_django checkout first, then the benchmark's settings and WSGI modules.
        "--pythonpath", f"{velt_path},{BENCH_DIR}",
        "bench_wsgi:application",
    ]  # fmt: skip
    log = tempfile.NamedTemporaryFile(
        "w+", prefix="velt-gunicorn-", suffix=".log", delete=False
    )  # noqa: SIM115
    proc = subprocess.Popen(
        command, env=env, stdout=log, stderr=log, cwd=str(velt_path)
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = http_post_once(port, "/bench/whoami", b"", method="GET")
                if status == 200 and len(children(proc.pid)) >= workers:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise SystemExit(f"gunicorn did not start:\n{log.read()}")
            time.sleep(0.2)
        yield port, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        os.unlink(log.name)


def http_post_once(
    port: int, path: str, body: bytes, method: str = "POST"
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# ---- the repository's own read ----------------------------------------------------


def repository_find(uri: str, database: str, document_id: str) -> tuple[Document, Any]:
    """The ``find`` filter and projection the repository sends for a get by document,
    captured on the wire with a command listener (so the raw side keeps up with the
    repository whatever its code looks like)."""
    import pymongo
    from pymongo import monitoring

    class Capture(monitoring.CommandListener):
        def __init__(self) -> None:
            self.finds: list[Document] = []

        def started(self, event: monitoring.CommandStartedEvent) -> None:
            if event.command_name == "find":
                self.finds.append(dict(event.command))

        def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
            pass

        def failed(self, event: monitoring.CommandFailedEvent) -> None:
            pass

    from velt_django.repository import CommentRepository

    capture = Capture()
    client: pymongo.MongoClient[Document] = pymongo.MongoClient(
        uri, tz_aware=True, event_listeners=[capture]
    )
    try:
        found = CommentRepository(client[database]).get_many(
            ORG, document_ids=[document_id]
        )
    finally:
        client.close()
    if len(found) != THREADS_PER_DOCUMENT or not capture.finds:
        raise SystemExit(f"the repository's get found {len(found)} threads")
    command = capture.finds[-1]
    projection = command.get("projection")
    declared = getattr(CommentRepository, "read_projection", None)
    if declared is not None and dict(declared) != projection:
        print(
            f"note: the repository declares read_projection {declared} but sent {projection}"
        )
    return command["filter"], projection


# ---- load -------------------------------------------------------------------------


class Phase:
    """``concurrency`` threads call their own ``call()`` in a loop for ``seconds``."""

    def __init__(
        self,
        make_call: Callable[[int], tuple[Callable[[int], None], Callable[[], None]]],
        concurrency: int,
    ) -> None:
        self.make_call = make_call
        self.concurrency = concurrency

    def run(self, seconds: float) -> tuple[list[int], float]:
        samples: list[list[int]] = [[] for _ in range(self.concurrency)]
        errors: list[BaseException] = []
        start_barrier = threading.Barrier(self.concurrency + 1)
        end_at = [0.0]

        def worker(k: int) -> None:
            call, close = self.make_call(k)
            try:
                start_barrier.wait()
                own = samples[k]
                i = 0
                while time.perf_counter() < end_at[0]:
                    t0 = time.perf_counter_ns()
                    call(i)
                    own.append(time.perf_counter_ns() - t0)
                    i += 1
            except BaseException as err:  # noqa: BLE001 - reported below
                errors.append(err)
                start_barrier.abort()
            finally:
                close()

        workers = [
            threading.Thread(target=worker, args=(k,)) for k in range(self.concurrency)
        ]
        for t in workers:
            t.start()
        end_at[0] = time.perf_counter() + 10**9
        try:
            start_barrier.wait()
        except threading.BrokenBarrierError:
            pass
        began = time.perf_counter()
        end_at[0] = began + seconds
        for t in workers:
            t.join()
        wall = time.perf_counter() - began
        if errors:
            raise SystemExit(f"a client thread failed: {errors[0]!r}")
        return [s for own in samples for s in own], wall


def percentile(ordered: list[int], q: float) -> float:
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index] / 1e6


class Run:
    def __init__(
        self,
        args: argparse.Namespace,
        port: int,
        gunicorn_pid: int,
        server_pid: int | None,
        raw_collection: Any,
        corpus: Corpus,
        projection: Any,
    ) -> None:
        self.args = args
        self.port = port
        self.gunicorn_pid = gunicorn_pid
        self.server_pid = server_pid
        self.raw = raw_collection
        self.corpus = corpus
        self.projection = projection
        rng = random.Random(11)
        self.id_lists = [rng.sample(corpus.ids, BATCH_SIZE) for _ in range(64)]
        self.documents = [f"spec-{d:02d}" for d in range(DOCUMENT_COUNT)]

    # What one call of each (operation, side) sends; ``k`` is the client thread, ``i`` its call.

    def _selector(self, operation: str, k: int, i: int) -> tuple[str, list[str]]:
        if operation == "get_document":
            return "documentIds", [self.documents[(k * 7 + i) % DOCUMENT_COUNT]]
        return "commentAnnotationIds", self.id_lists[(k * 5 + i) % len(self.id_lists)]

    def endpoint_call(
        self, operation: str
    ) -> Callable[[int], tuple[Callable[[int], None], Callable[[], None]]]:
        bodies = {
            (k, j): json.dumps(
                {
                    "organizationId": ORG,
                    self._selector(operation, k, j)[0]: self._selector(operation, k, j)[
                        1
                    ],
                }
            ).encode()
            for k in range(self.args.concurrency)
            for j in range(64)
        }
        headers = {"Content-Type": "application/json"}

        def make(k: int) -> tuple[Callable[[int], None], Callable[[], None]]:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            conn.connect()

            def call(i: int) -> None:
                conn.request("POST", "/velt/comments/get", bodies[k, i % 64], headers)
                response = conn.getresponse()
                content = response.read()
                if response.status != 200:
                    raise RuntimeError(
                        f"comments/get answered {response.status}: {content[:200]!r}"
                    )

            return call, conn.close

        return make

    def raw_call(
        self, operation: str
    ) -> Callable[[int], tuple[Callable[[int], None], Callable[[], None]]]:
        field = "documentId" if operation == "get_document" else "annotationId"

        def make(k: int) -> tuple[Callable[[int], None], Callable[[], None]]:
            queries = [
                {
                    "organizationId": ORG,
                    field: {"$in": self._selector(operation, k, j)[1]},
                }
                for j in range(64)
            ]

            def call(i: int) -> None:
                list(self.raw.find(queries[i % 64], self.projection))

            return call, lambda: None

        return make

    def cpu(self) -> dict[str, float]:
        workers = children(self.gunicorn_pid)
        return {
            "client": sum(os.times()[:2]),
            "gunicorn": cpu_seconds(self.gunicorn_pid)
            + sum(cpu_seconds(w) for w in workers),
            "server": cpu_seconds(self.server_pid) if self.server_pid else 0.0,
        }

    def measure(self, operation: str) -> Document:
        sides = {
            "endpoint": self.endpoint_call(operation),
            "raw": self.raw_call(operation),
        }
        samples: dict[str, list[int]] = {"endpoint": [], "raw": []}
        wall = {"endpoint": 0.0, "raw": 0.0}
        cpu = {side: {"client": 0.0, "gunicorn": 0.0, "server": 0.0} for side in sides}
        loads: list[float] = []
        for make in sides.values():  # warm-up, not recorded
            Phase(make, self.args.concurrency).run(self.args.warmup)
        for r in range(self.args.rounds):
            order = ["endpoint", "raw"] if r % 2 == 0 else ["raw", "endpoint"]
            for side in order:
                before = self.cpu()
                got, seconds = Phase(sides[side], self.args.concurrency).run(
                    self.args.seconds
                )
                after = self.cpu()
                samples[side].extend(got)
                wall[side] += seconds
                for name in cpu[side]:
                    cpu[side][name] += after[name] - before[name]
                loads.append(os.getloadavg()[0])
        result: Document = {}
        for side, values in samples.items():
            ordered = sorted(values)
            n = len(ordered)
            result[side] = {
                "requests": n,
                "requests_per_s": round(n / wall[side], 1),
                "p50_ms": round(percentile(ordered, 0.50), 2),
                "p95_ms": round(percentile(ordered, 0.95), 2),
                "p99_ms": round(percentile(ordered, 0.99), 2),
                "cpu_ms_per_request": {
                    name: round(v / n * 1e3, 2) for name, v in cpu[side].items()
                },
            }
        result["ratio_p50"] = round(
            result["endpoint"]["p50_ms"] / result["raw"]["p50_ms"], 3
        )
        result["ratio_p95"] = round(
            result["endpoint"]["p95_ms"] / result["raw"]["p95_ms"], 3
        )
        result["ratio_throughput"] = round(
            result["endpoint"]["requests_per_s"] / result["raw"]["requests_per_s"], 3
        )
        result["load_average_1m"] = [round(x, 2) for x in loads]
        return result


# ---- main -------------------------------------------------------------------------


def print_table(results: Document) -> None:
    head = f"{'operation':<34} {'side':<9} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'ratio p50':>9} {'ratio p95':>9} {'cpu ms/req db|web|client':>26}"
    print("\n" + head)
    print("-" * len(head))
    for key, label in OPERATIONS:
        op = results["operations"][key]
        for side in ("endpoint", "raw"):
            row = op[side]
            c = row["cpu_ms_per_request"]
            ratios = (
                (f"{op['ratio_p50']:.2f}x", f"{op['ratio_p95']:.2f}x")
                if side == "endpoint"
                else ("", "")
            )
            cpu = f"{c['server']:.2f} | {c['gunicorn']:.2f} | {c['client']:.2f}"
            print(
                f"{label if side == 'endpoint' else '':<34} {side:<9} {row['requests_per_s']:>7.1f} {row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f} {ratios[0]:>9} {ratios[1]:>9} {cpu:>26}"
            )
        print(
            f"{'':<34} load average (1 min) during the phases: {op['load_average_1m']}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "--quick", action="store_true", help="1 round of 4 s per side, 1 s warm-up"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help="alternating endpoint/raw rounds per operation (default 3)",
    )
    parser.add_argument(
        "--seconds", type=float, help="length of one phase (default 10)"
    )
    parser.add_argument(
        "--warmup", type=float, help="unrecorded phase per side first (default 3 s)"
    )
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn worker processes"
    )
    parser.add_argument(
        "--threads", type=int, default=4, help="gunicorn threads per worker"
    )
    parser.add_argument(
        "--velt-path",
        type=Path,
        default=REPO_ROOT,
        help="directory holding the velt_django to serve (e.g. a git worktree)",
    )
    parser.add_argument(
        "--label", default="", help="a name for this run, kept in the results"
    )
    parser.add_argument(
        "--uri",
        default=os.environ.get("VELT_BENCH_MONGODB_URI"),
        help="use this server instead of an embedded SecantusDB",
    )
    parser.add_argument(
        "--database",
        default=DEFAULT_DATABASE,
        help="dedicated database, dropped before and after the run",
    )
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.seconds = args.seconds or (4.0 if args.quick else 10.0)
    args.warmup = (
        args.warmup if args.warmup is not None else (1.0 if args.quick else 3.0)
    )
    args.velt_path = args.velt_path.resolve()
    # The raw side's projection comes from this velt_django too.
    sys.path.insert(0, str(args.velt_path))
    output = args.output or RESULTS_DIR / f"http_{args.label or 'latest'}.json"

    import pymongo

    with secantus_server(args.uri) as (uri, server_kind, server_pid):
        raw_client: pymongo.MongoClient[Document] = pymongo.MongoClient(
            uri,
            tz_aware=True,
            socketTimeoutMS=120_000,
            maxPoolSize=args.concurrency * 2,
        )
        raw_client.drop_database(args.database)
        try:
            with gunicorn_server(
                uri, args.database, args.velt_path, args.workers, args.threads
            ) as (port, gunicorn):
                status, who = http_post_once(port, "/bench/whoami", b"", method="GET")
                served = json.loads(who)
                print(
                    f"server: {server_kind}; gunicorn {args.workers} workers x {args.threads} threads (gthread) on port {port}"
                )
                print(
                    f"workers import {served['velt_django']}; envelope encoder: {served['encoder']}"
                )
                # The indexes, created by the package itself, in this process.
                from bench_endpoints import configure_django

                configure_django(uri, args.database)
                from velt_django.repository import close_client, ensure_indexes

                ensure_indexes()
                close_client()
                corpus = Corpus()
                start = time.perf_counter()
                for offset in range(0, len(corpus.ids), BATCH_SIZE):
                    records = {
                        i: corpus.threads[i]
                        for i in corpus.ids[offset : offset + BATCH_SIZE]
                    }
                    body = json.dumps(
                        corpus.save_body(records, "comment_annotation.add")
                    ).encode()
                    status, content = http_post_once(port, "/velt/comments/save", body)
                    if status != 200:
                        raise SystemExit(
                            f"comments/save answered {status}: {content[:300]!r}"
                        )
                seed_seconds = time.perf_counter() - start
                print(
                    f"seeded {len(corpus.ids)} threads via comments/save over HTTP in {seed_seconds:.1f} s"
                )
                query, projection = repository_find(uri, args.database, "spec-00")
                print(f"repository's find: filter {query}, projection {projection}")
                from velt_django.repository import CommentRepository

                raw = raw_client[args.database][CommentRepository.collection_name()]
                status, content = http_post_once(
                    port,
                    "/velt/comments/get",
                    json.dumps(
                        {"organizationId": ORG, "documentIds": ["spec-01"]}
                    ).encode(),
                )
                answer_bytes = len(content)
                if (
                    status != 200
                    or len(json.loads(content)["data"]) != THREADS_PER_DOCUMENT
                ):
                    raise SystemExit(f"comments/get by document answered {status}")
                run = Run(args, port, gunicorn.pid, server_pid, raw, corpus, projection)
                results: Document = {
                    "label": args.label,
                    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                        timespec="seconds"
                    ),
                    "machine": machine(),
                    "server": server_kind,
                    "served": served,
                    "gunicorn": {
                        "workers": args.workers,
                        "threads": args.threads,
                        "worker_class": "gthread",
                    },
                    "concurrency": args.concurrency,
                    "rounds": args.rounds,
                    "phase_seconds": args.seconds,
                    "warmup_seconds": args.warmup,
                    "projection": projection,
                    "get_document_answer_bytes": answer_bytes,
                    "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
                    "operations": {},
                }
                print(
                    f"measuring {args.rounds} rounds of {args.seconds:g} s per side at concurrency {args.concurrency} ..."
                )
                for key, label in OPERATIONS:
                    results["operations"][key] = {"label": label, **run.measure(key)}
                    op = results["operations"][key]
                    print(
                        f"  {label}: endpoint p50 {op['endpoint']['p50_ms']:.2f} ms, raw p50 {op['raw']['p50_ms']:.2f} ms ({op['ratio_p50']:.2f}x)"
                    )
                print_table(results)
                output.parent.mkdir(parents=True, exist_ok=True)
                output.write_text(json.dumps(results, indent=2, default=str) + "\n")
                print(f"\nwrote {output}")
        finally:
            raw_client.drop_database(args.database)
            raw_client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
