"""A gunicorn worker SIGKILLed under load (the example project, 2 gthread workers × 4
threads), on MongoDB (a SecantusDB server of the test's own) and PostgreSQL (a database
of the session's private cluster, ``VELT_DATABASE_URL``): clients retry what was not
acknowledged (a reset connection, a 5xx), saves being idempotent by id; afterwards every
write is stored exactly once and whole, read back over HTTP and from the database
itself, and gunicorn replaced the worker."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ..families import MONGODB, POSTGRESQL
from ..test_example_postgres import example_database  # noqa: F401 (a fixture)
from ..test_example_project import ExampleServer, _env, _free_port
from .traffic import TABLES, Ledger, Sender, StoredRow, check_stored, drive, read_back

pytestmark = pytest.mark.faults

SENDERS = 8
TRAFFIC_S = 3.0
#: The worker is killed once this many answers came back (traffic in full swing).
KILL_AFTER = 150
MAX_REQUESTS = 1200
KILLS = 3
#: Attempts of one operation before the client gives up (the test then fails).
ATTEMPTS = 20


class RetryingSender(Sender):
    """Sends each operation again until it is acknowledged."""

    def send(self, path: str, key: tuple[str, ...], value: Any, body: Any) -> bool:
        for _ in range(ATTEMPTS):
            if super().send(path, key, value, body):
                return True
        return False


@dataclass
class Database:
    """Where the example project keeps its records: its environment, and a reader of
    every stored record straight from the database."""

    backend: str
    env: dict[str, str]
    rows: Callable[[], list[StoredRow]]


def mongodb_rows(uri: str, name: str) -> list[StoredRow]:
    from pymongo import MongoClient

    client: MongoClient[dict[str, Any]] = MongoClient(uri, directConnection=True)
    try:
        db = client[name]
        return [
            (table, doc["organizationId"], doc["annotationId"], doc["payload"])
            for table in TABLES.values()
            for doc in db[table].find({})
        ]
    finally:
        client.close()


def postgresql_rows(url: str) -> list[StoredRow]:
    import psycopg

    with psycopg.connect(url) as conn:
        return [
            (table, org, record_id, payload)
            for table in TABLES.values()
            for org, record_id, payload in conn.execute(
                f"SELECT organization_id, annotation_id, payload FROM {table}"
            )
        ]


@pytest.fixture(
    params=[
        pytest.param(MONGODB, marks=pytest.mark.mongo),
        pytest.param(POSTGRESQL, marks=pytest.mark.postgres),
    ]
)
def database(request: pytest.FixtureRequest) -> Database:
    if request.param == MONGODB:
        uri = request.getfixturevalue("outage_server").start()
        env = {"VELT_MONGODB_URI": uri, "VELT_DATABASE_NAME": "velt_killed"}
        return Database(MONGODB, env, lambda: mongodb_rows(uri, "velt_killed"))
    # A fresh database of the cluster (dropped at the end); each worker applies the
    # migrations when it starts (the example's DEBUG default).
    url = request.getfixturevalue("example_database")
    env = {"VELT_DATABASE_URL": url}
    return Database(POSTGRESQL, env, lambda: postgresql_rows(url))


def workers(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


def test_killed_worker_loses_nothing_and_is_replaced(
    tmp_path: Path, database: Database
) -> None:
    pytest.importorskip("gunicorn")
    port = _free_port()
    argv = [sys.executable, "-m", "gunicorn", "example_project.wsgi"]
    argv += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4"]
    argv += ["--worker-class", "gthread", "--graceful-timeout", "2"]
    env = _env(VELT_EXAMPLE_DATA_DIR=str(tmp_path / "data"), **database.env)
    server = ExampleServer(port, tmp_path / "data", argv=argv, env=env)
    try:
        server.wait_until_serving()
        deadline = time.monotonic() + 60
        while len(workers(server.proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        before = workers(server.proc.pid)
        assert len(before) == 2, server.output
        ledger = Ledger()
        started = time.monotonic()
        killed: list[int] = []

        def failures() -> int:
            return sum(not 200 <= a.status < 300 for a in list(ledger.answers))

        def kill() -> None:
            # Once traffic is in full swing, SIGKILL a worker; a worker may happen to
            # hold no request then, so kill another (at most KILLS) until one did.
            while len(ledger.answers) < KILL_AFTER and time.monotonic() < started + 30:
                time.sleep(0.01)
            while len(killed) < KILLS and not failures():
                victim = min(workers(server.proc.pid) - set(killed))
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
                time.sleep(1.0)

        killer = threading.Thread(target=kill, daemon=True)
        killer.start()
        drive(
            SENDERS,
            lambda: f"http://127.0.0.1:{port}",
            ledger,
            lambda: time.monotonic() < started + TRAFFIC_S or killer.is_alive(),
            MAX_REQUESTS,
            sender=RetryingSender,
        )
        killer.join(timeout=10)

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            after = workers(server.proc.pid)
            if len(after) == 2 and not after & set(killed):
                break
            time.sleep(0.1)
        assert killed and len(after) == 2 and not after & set(killed), (before, after)

        problems = read_back(f"http://127.0.0.1:{port}", ledger)
        stored = check_stored(ledger, database.rows())
        figures = ledger.figures()
        operations = len(ledger.outcomes)
        unacknowledged = [key for key, ops in ledger.outcomes.items() if not ops[-1][1]]
        print(
            f"\nfault worker killed ({database.backend}): {figures}, "
            f"operations {operations}, stored-record problems {len(stored)}, retried {figures['sent'] - figures['acknowledged']}, lost {len(problems)}, "
            f"workers killed {len(killed)}"
        )
        assert problems == []
        assert unacknowledged == []
        assert stored == []
        assert figures["sent"] > figures["acknowledged"], "no request met the kill"
    finally:
        server.stop()
