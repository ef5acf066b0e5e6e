"""A gunicorn worker SIGKILLed under load (the example project, 2 gthread workers × 4
threads, on a SecantusDB server of the test's own): clients retry what was not
acknowledged (a reset connection, a 5xx), saves being idempotent by id; afterwards every
write is stored exactly once and whole, and gunicorn replaced the worker."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ..test_example_project import ExampleServer, _env, _free_port
from .traffic import Ledger, Sender, drive, read_back

pytestmark = [pytest.mark.faults, pytest.mark.mongo]

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


def duplicates(uri: str) -> list[Any]:
    """Records stored more than once (same organization and id) in any collection."""
    from pymongo import MongoClient

    client: MongoClient[dict[str, Any]] = MongoClient(uri, directConnection=True)
    try:
        db = client["velt_killed"]
        group = {"_id": ["$organizationId", "$annotationId"], "n": {"$sum": 1}}
        return [
            (name, row["_id"])
            for name in db.list_collection_names()
            if name.endswith("_annotations")
            for row in db[name].aggregate([{"$group": group}])
            if row["n"] != 1
        ]
    finally:
        client.close()


def workers(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


def test_killed_worker_loses_nothing_and_is_replaced(
    tmp_path: Path, outage_server: Any
) -> None:
    pytest.importorskip("gunicorn")
    uri = outage_server.start()
    port = _free_port()
    argv = [sys.executable, "-m", "gunicorn", "example_project.wsgi"]
    argv += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4"]
    argv += ["--worker-class", "gthread", "--graceful-timeout", "2"]
    env = _env(
        VELT_MONGODB_URI=uri,
        VELT_DATABASE_NAME="velt_killed",
        VELT_EXAMPLE_DATA_DIR=str(tmp_path / "data"),
    )
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
        figures = ledger.figures()
        operations = len(ledger.outcomes)
        unacknowledged = [key for key, ops in ledger.outcomes.items() if not ops[-1][1]]
        print(
            f"\nfault worker killed: {figures}, operations {operations}, "
            f"retried {figures['sent'] - figures['acknowledged']}, lost {len(problems)}, "
            f"workers killed {len(killed)}"
        )
        assert problems == []
        assert unacknowledged == []
        assert duplicates(uri) == []
        assert figures["sent"] > figures["acknowledged"], "no request met the kill"
    finally:
        server.stop()
