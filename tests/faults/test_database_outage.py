"""The database stopped in the middle of a stream of mixed saves from 16 threads over
real HTTP (Django's threaded server in the test process, one MongoClient): every answer
is a 2xx whose write is stored, or a quick 503 envelope; nothing acknowledged is lost,
and the service recovers by itself once the database is back. On MongoDB (a SecantusDB
server of the test's own) and PostgreSQL (the session's private cluster)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from velt_django.repository import ensure_indexes

from ..families import MONGODB, POSTGRES_ALIAS, POSTGRESQL, backend_params
from .traffic import Ledger, LiveServer, drive, read_back

pytestmark = pytest.mark.faults

SENDERS = 16
TIMEOUT_MS = 1000
#: Seconds of traffic before the stop, during the outage and after the restart.
BEFORE_S, DURING_S, AFTER_S = 2.0, 2.5, 2.5
MAX_REQUESTS = 1500
#: On top of the server-selection timeout for a 503 on a loaded 2-core machine.
MARGIN_S = 3.0


# The PostgreSQL run is transactional: the server's threads commit, and the tables are
# emptied afterwards so that no later test sees this test's rows.
@pytest.fixture(params=backend_params(transaction=True))
def database(request: pytest.FixtureRequest, settings: Any) -> Any:
    """The stoppable server of the backend, with ``VELT`` pointing at it."""
    velt = {**settings.VELT, "SERVER_SELECTION_TIMEOUT_MS": TIMEOUT_MS}
    velt["ORGANIZATION_ACCESS"] = "velt_django.access.velt_orgs_claim"
    if request.param == MONGODB:
        server = request.getfixturevalue("outage_server")
        uri = server.start()
        settings.VELT = {**velt, "MONGODB_URI": uri, "DATABASE_NAME": "velt_faults"}
        ensure_indexes()
        return server
    settings.VELT = {
        **velt,
        "STORAGE_BACKEND": POSTGRESQL,
        "DATABASE_ALIAS": POSTGRES_ALIAS,
    }
    return request.getfixturevalue("pg_cluster")


@pytest.fixture
def http_server() -> Any:
    server = LiveServer()
    try:
        yield server
    finally:
        server.stop()


def test_outage_mid_stream_loses_no_acknowledged_write(
    database: Any, http_server: Any
) -> None:
    started = time.monotonic()
    stop_at, start_at = started + BEFORE_S, started + BEFORE_S + DURING_S
    end_at = start_at + AFTER_S
    ledger = Ledger()
    outage: list[float] = []

    def operator() -> None:
        time.sleep(max(0.0, stop_at - time.monotonic()))
        database.stop()
        outage.append(time.monotonic())
        time.sleep(max(0.0, start_at - time.monotonic()))
        database.start()
        outage.append(time.monotonic())

    switch = threading.Thread(target=operator, daemon=True)
    switch.start()
    drive(
        SENDERS,
        lambda: http_server.url,
        ledger,
        lambda: time.monotonic() < end_at or len(outage) < 2,
        MAX_REQUESTS,
    )
    switch.join(timeout=60)
    assert len(outage) == 2, "the database was not stopped and started again"

    # Recovered without a restart: a save after the outage is acknowledged.
    figures = ledger.figures()
    answers = list(ledger.answers)
    drive(1, lambda: http_server.url, ledger, lambda: True, 6, first=SENDERS)
    recovered = ledger.answers[len(answers) :]
    assert [a.status for a in recovered] == [200] * 6, recovered

    problems = read_back(http_server.url, ledger)
    figures["lost"] = len(problems)
    print(f"\nfault outage ({database.__class__.__name__}): {figures}")
    assert problems == []
    unexpected = [a for a in answers if a.status < 200 or 300 <= a.status < 500]
    assert unexpected == [], unexpected[:5]
    failures = [a for a in answers if a.status >= 500]
    assert failures, "no request met the outage"
    for answer in failures:
        assert answer.status == 503, answer
        assert answer.body["success"] is False
        assert answer.body["errorCode"] == "DATABASE_ERROR"
        assert answer.elapsed < TIMEOUT_MS / 1000 + MARGIN_S, answer
    assert figures["acknowledged"] > 0
