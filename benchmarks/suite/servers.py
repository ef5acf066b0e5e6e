"""The processes a run needs: the database server, then the example project and the
peer under gunicorn (2 workers × 4 threads, ``gthread``) on free loopback ports.

MongoDB: an embedded SecantusDB in a child process on a temporary directory (the
default), or the server ``--mongodb-uri`` / ``VELT_BENCH_MONGODB_URI`` names.
PostgreSQL (``--postgres``): a private ``initdb``/``pg_ctl`` cluster on a free port (the
test tier's ``tests/postgres.py``), or the server ``VELT_BENCH_POSTGRES_URL`` names (its
user needs CREATEDB). Each side gets a database of its own, dropped at the end.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.postgres import ExternalPostgres, PostgresCluster, find_bin_dir

ROOT = Path(__file__).resolve().parents[2]
MONGODB_URI_ENV = "VELT_BENCH_MONGODB_URI"
POSTGRES_URL_ENV = "VELT_BENCH_POSTGRES_URL"
APP_DATABASE, PEER_DATABASE = "velt_bench_suite", "velt_bench_peer"
EXAMPLE_APP = "example_project.wsgi:application"
PEER_APP = "benchmarks.peer.wsgi:application"
WORKERS, THREADS = 2, 4
#: Development-only secrets of the served example project (token mode, DEBUG off).
TOKEN_SECRET = "velt-bench-resolver-token-secret-0123456789abcdef"
SECRET_KEY = "velt-bench-django-secret-key-not-for-production"

_SECANTUS = """
import sys
from secantus import SecantusDBServer
server = SecantusDBServer(host="127.0.0.1", port=0, storage_path=sys.argv[1])
server.start()
print(server.uri, flush=True)
sys.stdin.read()  # until the parent closes our stdin
server.stop()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(proc: subprocess.Popen[Any], timeout: float = 30) -> None:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def mongodb(uri: str | None, workdir: Path) -> Iterator[tuple[str, str, int | None]]:
    """Yield ``(uri, description, pid)``: the given server (pid ``None``), or an
    embedded SecantusDB and its process id (``--profile`` samples it too)."""
    if uri:
        yield uri, "external MongoDB", None
        return
    log_path = workdir / "secantus.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", _SECANTUS, str(workdir / "secantus")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            line = proc.stdout.readline().strip() if proc.stdout else ""
            if not line.startswith("mongodb://"):
                raise SystemExit(f"SecantusDB did not start:\n{log_path.read_text()}")
            yield line, "embedded SecantusDB (child process)", proc.pid
        finally:
            if proc.stdin:
                proc.stdin.close()
            _stop(proc)


Postgres = PostgresCluster | ExternalPostgres


@contextmanager
def postgres(url: str | None) -> Iterator[Postgres]:
    """The server at ``url``, or a private cluster for the run (stopped and removed)."""
    if url:
        yield ExternalPostgres(url)
        return
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise SystemExit(f"no initdb/pg_ctl found; set {POSTGRES_URL_ENV}")
    cluster = PostgresCluster(bin_dir)
    try:
        cluster.create()
        yield cluster
    finally:
        cluster.destroy()


def postgres_url(server: Postgres, database: str) -> str:
    auth = server.user + (f":{server.password}" if server.password else "")
    return f"postgres://{auth}@{server.host}:{server.port}/{database}"


def recreate_database(server: Postgres, name: str, *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    url = postgres_url(server, server.dbname)
    with psycopg.connect(url, autocommit=True) as conn:
        ident = sql.Identifier(name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))


def analyze(url: str) -> None:
    """``ANALYZE`` every table of the database at ``url``: the planner's statistics of a
    database seeded seconds ago are autovacuum's guesses until its next pass (a plan for
    8 rows met 1,000), while a production database has them; both sides get the same."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")


def app_env(
    workdir: Path, *, mongodb_uri: str = "", postgres: str = ""
) -> dict[str, str]:
    """The environment of the example project (example_project/settings.py): DEBUG off,
    token mode (resolver JWTs signed with ``TOKEN_SECRET``, ``velt_orgs_claim``), the
    data directory in ``workdir``, and the database."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("VELT_", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="benchmarks.suite.site",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        VELT_RESOLVER_TOKEN_SECRET=TOKEN_SECRET,
        VELT_EXAMPLE_DATA_DIR=str(workdir / "example"),
        VELT_DATABASE_NAME=APP_DATABASE,
        # No INFO line per request: the peer writes none (a file or journald handler
        # costs about 5% of a small read's worker time).
        VELT_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    if postgres:
        env["VELT_DATABASE_URL"] = postgres
    else:
        env["VELT_MONGODB_URI"] = mongodb_uri
    return env


def peer_env(*, mongodb_uri: str = "", postgres: str = "") -> dict[str, str]:
    """The peer's environment (benchmarks.peer): the same server, its own database."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("VELT_", "DJANGO_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    if postgres:
        env["VELT_PEER_POSTGRES_URL"] = postgres
    else:
        env.update(VELT_PEER_MONGODB_URI=mongodb_uri, VELT_PEER_DATABASE=PEER_DATABASE)
    return env


@dataclass
class Served:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    def pids(self) -> list[int]:
        """The master and its workers."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            kids = [int(p) for p in children.read_text().split()]
        except OSError:
            kids = []
        return [self.proc.pid, *kids]


def _answers(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(
            "POST", "/velt/comments/get", b"{}", {"Content-Type": "application/json"}
        )
        return conn.getresponse().status < 500
    except OSError:
        return False
    finally:
        conn.close()


@contextmanager
def gunicorn(
    name: str, app: str, env: dict[str, str], workdir: Path
) -> Iterator[Served]:
    """``app`` under gunicorn, 2 workers × 4 threads, until it answers HTTP."""
    port = free_port()
    log = workdir / f"gunicorn-{name}.log"
    command = [
        sys.executable, "-m", "gunicorn",
        "--workers", str(WORKERS), "--threads", str(THREADS),
        "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}",
        "--keep-alive", "120", "--timeout", "300", "--log-level", "warning",
        "--backlog", "256", app,
    ]  # fmt: skip
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)
        served = Served(name, port, proc, log)
        try:
            deadline = time.monotonic() + 120
            while not (_answers(port) and len(served.pids()) > WORKERS):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(
                        f"{name} did not start:\n{log.read_text()[-3000:]}"
                    )
                time.sleep(0.3)
            yield served
        finally:
            proc.terminate()
            _stop(proc)


def workdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="velt-bench-suite-")
