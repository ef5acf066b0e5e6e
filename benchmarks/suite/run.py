"""One run of the suite: servers up, seed, captures, the load cells, growth, report."""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import growth, profiling, report, seed, servers
from .corpus import LEVEL_STRIDE, ORG, POOLS, USER, Corpus
from .load import HttpClient, Numbers, Worker, run_cell
from .operations import Operation, select
from .peering import load_peer, lost_writes, peer_support, seed_peer
from .raw import Replay, capture

UPLOADS_SEEDED = 4


class Bench:
    def __init__(self, args: argparse.Namespace, corpus: Corpus, token: str) -> None:
        self.args, self.corpus, self.token = args, corpus, token
        self.numbers: dict[tuple[str, str, int], Numbers] = {}

    def numbers_for(self, side: str, op: Operation, level: int) -> Numbers:
        """The request numbers of ``side`` at the ``level``-th concurrency: deletes of
        threads take the seeded pool, file deletes the files that level uploaded."""
        start = POOLS[side] + self.args.levels.index(level) * LEVEL_STRIDE
        key = (side, op.path, level)
        limit = None
        if op.pooled and op.file is None:
            limit = self.corpus.delete_pool
        elif op.pooled:
            uploads = self.numbers.get((side, "attachments/save", level))
            limit = uploads.next - start if uploads else 0
        self.numbers[key] = Numbers(start, limit)
        return self.numbers[key]

    def http_worker(
        self, port: int, op: Operation
    ) -> Callable[[], tuple[Worker, Callable[[], None]]]:
        corpus = self.corpus

        def make() -> tuple[Worker, Callable[[], None]]:
            client = HttpClient(port, self.token)
            return Prepared(
                lambda n: op.request(corpus, n), post(client, op)
            ), client.close

        return make

    def cell(self, side: str, op: Operation, level: int, make: Any) -> dict[str, Any]:
        numbers = self.numbers_for(side, op, level)
        cell = run_cell(make, level, self.args.duration, self.args.warmup, numbers)
        return cell.summary()


class Prepared:
    """A worker whose request is built by ``prepare`` before the clock starts."""

    def __init__(self, prepare: Callable[[int], Any], call: Callable[[Any], bool]):
        self.prepare, self.call = prepare, call

    def __call__(self, job: Any) -> bool:
        return self.call(job)


def post(client: HttpClient, op: Operation) -> Callable[[tuple[bytes, str]], bool]:
    def call(request: tuple[bytes, str]) -> bool:
        body, content_type = request
        status, answer = client.post(op.path, body, content_type)
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {answer[:160]!r}")
        return True

    return call


def raw_worker(
    backend: dict[str, Any], replay: Replay
) -> Callable[[], tuple[Worker, Callable[[], None]]]:
    def make() -> tuple[Worker, Callable[[], None]]:
        conn = backend["connect"]()

        def run(work: Callable[[], None]) -> bool:
            work()
            return True

        return Prepared(lambda n: replay.build(n, backend["db"], conn), run), conn.close

    return make


def _setup_django(env: dict[str, str], *, postgres: bool, mongodb_uri: str) -> None:
    """This process on the served project's settings (plus the command listener)."""
    import django

    for key in [k for k in os.environ if k.startswith(("VELT_", "DJANGO_"))]:
        del os.environ[key]
    os.environ.update(env, VELT_BENCH_CAPTURE="1")
    django.setup()
    logging.getLogger("velt_django").setLevel(logging.WARNING)
    from django.core.management import call_command

    if not postgres:
        from pymongo import MongoClient

        client: MongoClient[dict[str, Any]]
        with MongoClient(mongodb_uri) as client:
            client.drop_database(servers.APP_DATABASE)
    Path(env["VELT_EXAMPLE_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0)
    if not postgres:
        call_command("velt_ensure_indexes", verbosity=0)


def _raw_backend(postgres: bool, url: str, mongodb_uri: str) -> dict[str, Any]:
    from django.conf import settings

    if postgres:
        import psycopg

        return {"db": None, "connect": lambda: psycopg.connect(url, autocommit=True)}
    import sqlite3

    from pymongo import MongoClient

    client: Any = MongoClient(mongodb_uri, tz_aware=True, maxPoolSize=64, w="majority")
    users_db = str(settings.DATABASES["default"]["NAME"])
    return {
        "db": client[servers.APP_DATABASE],
        "client": client,
        "connect": lambda: sqlite3.connect(
            users_db, isolation_level=None, check_same_thread=False
        ),
    }


def _upload_seed(port: int, token: str, corpus: Corpus, ops: list[Operation]) -> None:
    """A few 256 KiB attachments, uploaded over HTTP (numbers below every pool)."""
    upload = (
        next(op for op in ops if op.file == "upload")
        if any(op.file == "upload" for op in ops)
        else None
    )
    if upload is None:
        from .operations import OPERATIONS

        upload = next(op for op in OPERATIONS if op.file == "upload")
    client = HttpClient(port, token)
    for k in range(UPLOADS_SEEDED):
        body, content_type = upload.request(corpus, 500_000 + k)
        status, content = client.post(upload.path, body, content_type)
        if status != 200:
            raise SystemExit(f"seeding upload answered {status}: {content[:200]!r}")
    client.close()


def run(args: argparse.Namespace) -> int:
    backend_name = "postgresql" if args.postgres else "mongodb"
    corpus = Corpus(args.scale)
    ops = select(args.only)
    results: dict[str, Any] = {"backend": backend_name, "scale": args.scale, "notes": [],
                               "duration": args.duration, "warmup": args.warmup}  # fmt: skip
    notes: list[str] = results["notes"]
    with servers.workdir() as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        if args.postgres:
            with servers.postgres(args.postgres_url) as pg:
                for name in (servers.APP_DATABASE, servers.PEER_DATABASE):
                    servers.recreate_database(pg, name)
                app_url = servers.postgres_url(pg, servers.APP_DATABASE)
                peer_url = servers.postgres_url(pg, servers.PEER_DATABASE)
                results["server"] = (
                    "private PostgreSQL cluster"
                    if not args.postgres_url
                    else "external PostgreSQL"
                )
                try:
                    _serve(
                        args,
                        corpus,
                        ops,
                        work,
                        results,
                        notes,
                        app_url=app_url,
                        peer_url=peer_url,
                    )
                finally:
                    from django.db import connections

                    connections.close_all()
                    for name in (servers.APP_DATABASE, servers.PEER_DATABASE):
                        servers.recreate_database(pg, name, drop_only=True)
        else:
            with servers.mongodb(args.mongodb_uri, work) as (uri, description, pid):
                results["server"] = description
                args.database_pid = pid
                try:
                    _serve(args, corpus, ops, work, results, notes, mongodb_uri=uri)
                finally:
                    from pymongo import MongoClient

                    client: MongoClient[dict[str, Any]]
                    with MongoClient(uri) as client:
                        for name in (servers.APP_DATABASE, servers.PEER_DATABASE):
                            client.drop_database(name)
        results["total_seconds"] = round(time.perf_counter() - started, 1)
    default = (args.scale, args.levels, args.duration, args.warmup) == (
        1.0,
        [1, 8, 32],
        3.0,
        0.75,
    )
    full = default and not args.only and not args.no_growth
    results["run"] = "quick" if args.quick else "full" if full else "partial"
    docs_chart = None
    if args.output.resolve() == servers.ROOT / "benchmarks" / "results":
        docs_chart = (
            servers.ROOT / "docs" / "assets" / f"benchmarks-{results['backend']}.png"
        )
    paths = report.write(results, args.output, docs_chart)
    for path in paths:
        print(f"wrote {path}")
    return 0


def _serve(
    args: argparse.Namespace,
    corpus: Corpus,
    ops: list[Operation],
    work: Path,
    results: dict[str, Any],
    notes: list[str],
    *,
    mongodb_uri: str = "",
    app_url: str = "",
    peer_url: str = "",
) -> None:
    from velt_django.tokens.minting import issue_token

    env = servers.app_env(work, mongodb_uri=mongodb_uri, postgres=app_url)
    if app_url and args.server_side_binding:
        env["VELT_DATABASE_URL"] += "?server_side_binding=true"
        notes.append("the app used psycopg's server-side binding")
    _setup_django(env, postgres=bool(app_url), mongodb_uri=mongodb_uri)
    start = time.perf_counter()
    deletes = len(args.levels) if any(op.pooled for op in ops) else 0
    results["seed"] = seed.seed(corpus, deletes, growth=not args.no_growth)
    seed.verify(corpus)
    if app_url:
        servers.analyze(app_url)
    results["seed_seconds"] = round(time.perf_counter() - start, 1)
    print(f"seeded in {results['seed_seconds']} s", flush=True)
    token = issue_token(USER, [ORG], 6 * 3600).token
    raw_backend = _raw_backend(bool(app_url), app_url, mongodb_uri)
    peer, why = (None, "peer skipped (--no-peer)") if args.no_peer else load_peer()
    with servers.gunicorn("velt_django", servers.EXAMPLE_APP, env, work) as app:
        _upload_seed(app.port, token, corpus, ops)
        captured = {op.name: capture(op, corpus, token) for op in ops}
        peer_served = None
        if peer is not None:
            peer_env = servers.peer_env(mongodb_uri=mongodb_uri, postgres=peer_url)
            why = seed_peer(peer[1], corpus, deletes, peer_env)
            if peer_url and not why:
                servers.analyze(peer_url)
        if why:
            notes.append(why)
            print(why, flush=True)
        bench = Bench(args, corpus, token)
        rows: list[dict[str, Any]] = []
        peer_context = (
            servers.gunicorn("peer", servers.PEER_APP, peer_env, work)
            if peer is not None and not why
            else None
        )
        if peer_context is not None:
            peer_served = peer_context.__enter__()
        try:
            for op in ops:
                replay = Replay(op, captured[op.name], corpus)
                supported, peer_note = (
                    peer_support(peer[0], op)
                    if peer is not None and peer_served
                    else (False, why or "peer not run")
                )
                for level in args.levels:
                    row: dict[str, Any] = {"operation": op.name, "concurrency": level,
                                           "round_trips": captured[op.name].round_trips,
                    "sent": captured[op.name].sent()}  # fmt: skip
                    with profiling.sampling(
                        args.profile,
                        app.proc.pid,
                        "velt_django",
                        op.name,
                        level,
                        database=getattr(args, "database_pid", None),
                    ):
                        row["velt_django"] = bench.cell(
                            "endpoint", op, level, bench.http_worker(app.port, op)
                        )
                    row["raw"] = bench.cell(
                        "raw", op, level, raw_worker(raw_backend, replay)
                    )
                    if (
                        op.file == "delete"
                        and ("peer", "attachments/save", level) not in bench.numbers
                    ):
                        supported, peer_note = False, "no uploads of its own to delete"
                    if peer_served is not None and supported:
                        with profiling.sampling(
                            args.profile,
                            peer_served.proc.pid,
                            "peer",
                            op.name,
                            level,
                            database=getattr(args, "database_pid", None),
                        ):
                            row["peer"] = bench.cell(
                                "peer",
                                op,
                                level,
                                bench.http_worker(peer_served.port, op),
                            )
                    row["peer_note"] = peer_note
                    if op.lost_writes and peer is not None:
                        for side, served in (
                            ("velt_django", app),
                            ("peer", peer_served),
                        ):
                            if side in row and served is not None:
                                row[side]["lost_writes"] = lost_writes(
                                    peer[2], served.port, token, level
                                )
                    print(report.progress_line(row), flush=True)
                    rows.append(row)
        finally:
            if peer_context is not None:
                peer_context.__exit__(None, None, None)
        results["rows"] = rows
        if not args.no_growth:
            results["growth"] = growth.measure(corpus, token, args.growth_iterations)
    if "client" in raw_backend:
        raw_backend["client"].close()
