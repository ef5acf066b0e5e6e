"""A slow database (a proxy holding back its replies), on MongoDB (a SecantusDB server
of the test's own) and PostgreSQL (the session's private cluster): delays beyond the
configured timeouts answer a 503 envelope within the timeouts plus a margin and leave
no half-written record, small delays succeed, and the same server answers 200 again
once the database is fast again.

The timeouts bounding a slow reply: on MongoDB ``SOCKET_TIMEOUT_MS`` and
``SERVER_SELECTION_TIMEOUT_MS``; on PostgreSQL the connect timeout velt_django gives the
alias (``repository.sql.base.CONNECT_TIMEOUT_S``; each request connects afresh here,
Django's default ``CONN_MAX_AGE`` of 0). ``statement_timeout`` bounds only the time
the server itself spends on a statement, not a reply held back on the way."""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from velt_django.repository import ensure_indexes
from velt_django.repository.sql import base as sql_base

from ..families import MONGODB, POSTGRES_ALIAS, POSTGRESQL, backend_params
from .proxy import SlowProxy
from .traffic import ORGS, LiveServer, post

pytestmark = pytest.mark.faults

SOCKET_TIMEOUT_MS = 600
SELECTION_TIMEOUT_MS = 600
#: libpq's smallest connect timeout (a smaller one counts as 2 s).
CONNECT_TIMEOUT_S = 2
#: The margin covers building the answer on a loaded machine.
MARGIN_S = 2.0
THREAD = "slow-thread"


@dataclass
class Slow:
    """The proxy in front of the backend's server, and what the backend promises."""

    backend: str
    proxy: SlowProxy
    #: The configured timeout a delay must exceed to fail a request.
    timeout_s: float
    #: How long a request may take before its 503 arrives.
    bound_s: float
    #: Whether a timed-out write may have reached the server (and be stored, whole).
    sent_before_timeout: bool


def mongodb_proxy(request: pytest.FixtureRequest, settings: Any) -> Slow:
    server = request.getfixturevalue("outage_server")
    address = urlsplit(server.start())
    proxy = SlowProxy(address.hostname or "127.0.0.1", address.port or 0)
    settings.VELT = {
        **settings.VELT,
        "MONGODB_URI": f"mongodb://127.0.0.1:{proxy.port}/?directConnection=true",
        "DATABASE_NAME": "velt_slow",
        "SOCKET_TIMEOUT_MS": SOCKET_TIMEOUT_MS,
        "SERVER_SELECTION_TIMEOUT_MS": SELECTION_TIMEOUT_MS,
    }
    ensure_indexes()
    # pymongo retries a failed read or write once (another selection and socket wait).
    timeouts_s = (SOCKET_TIMEOUT_MS + SELECTION_TIMEOUT_MS) / 1000
    timeout_s = SOCKET_TIMEOUT_MS / 1000
    return Slow(MONGODB, proxy, timeout_s, 2 * timeouts_s + MARGIN_S, True)


def postgresql_proxy(
    request: pytest.FixtureRequest, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Generator[Slow, None, None]:
    """The ``velt_pg`` alias pointed at the proxy, its connect timeout velt_django's
    default (shortened to libpq's smallest); put back, and its connection closed, at
    the end (before the transactional test's tables are emptied)."""
    from django.db import connections

    server = request.getfixturevalue("postgres_server")
    proxy = SlowProxy(server.host, server.port)
    entry = connections.settings[POSTGRES_ALIAS]
    saved = {"HOST": entry["HOST"], "PORT": entry["PORT"]}
    options = dict(entry["OPTIONS"])
    entry["OPTIONS"].pop("connect_timeout", None)
    monkeypatch.delenv("PGCONNECT_TIMEOUT", raising=False)
    monkeypatch.setattr(sql_base, "CONNECT_TIMEOUT_S", CONNECT_TIMEOUT_S)
    entry.update(HOST="127.0.0.1", PORT=str(proxy.port))
    connections[POSTGRES_ALIAS].close()
    settings.VELT = {
        **settings.VELT,
        "STORAGE_BACKEND": POSTGRESQL,
        "DATABASE_ALIAS": POSTGRES_ALIAS,
    }
    try:
        # A timed-out connection never sent the statement.
        yield Slow(
            POSTGRESQL, proxy, CONNECT_TIMEOUT_S, CONNECT_TIMEOUT_S + MARGIN_S, False
        )
    finally:
        entry.update(saved)
        entry["OPTIONS"] = options
        connections[POSTGRES_ALIAS].close()


# The PostgreSQL run is transactional: the server's threads commit, and the tables are
# emptied afterwards.
@pytest.fixture(params=backend_params(transaction=True))
def slow(
    request: pytest.FixtureRequest, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Slow]:
    """A proxy in front of the backend's server, ``VELT`` (and the alias) through it."""
    if request.param == MONGODB:
        slow = mongodb_proxy(request, settings)
        try:
            yield slow
        finally:
            slow.proxy.close()
        return
    chosen = postgresql_proxy(request, settings, monkeypatch)
    slow = next(chosen)
    try:
        yield slow
    finally:
        slow.proxy.close()
        chosen.close()


@pytest.fixture
def http_server() -> Iterator[LiveServer]:
    server = LiveServer()
    try:
        yield server
    finally:
        server.stop()


def message(number: int) -> dict[str, Any]:
    return {"commentId": number, "commentText": f"message {number}"}


def save(url: str, number: int) -> tuple[int, Any, float]:
    body = {
        "commentAnnotation": {
            THREAD: {
                "annotationId": THREAD,
                "metadata": {"organizationId": ORGS[0]},
                "comments": {str(number): message(number)},
            }
        },
        "event": "comment.add",
    }
    started = time.monotonic()
    status, answer = post(url, "comments/save", body)
    return status, answer, time.monotonic() - started


def stored_comments(url: str) -> dict[str, Any]:
    status, got = post(
        url,
        "comments/get",
        {"organizationId": ORGS[0], "commentAnnotationIds": [THREAD]},
    )
    assert status == 200, got
    comments: dict[str, Any] = got["data"].get(THREAD, {}).get("comments", {})
    return comments


def test_slow_replies_answer_503_in_time_and_recover(
    slow: Slow, http_server: LiveServer
) -> None:
    url = http_server.url
    slow.proxy.delay = 0.05
    for number in range(3):
        status, answer, _ = save(url, number)
        assert status == 200, answer

    slow.proxy.delay = 3 * slow.timeout_s
    timings = []
    for number in range(10, 13):
        status, answer, elapsed = save(url, number)
        assert status == 503, answer
        assert answer["success"] is False
        assert answer["errorCode"] == "DATABASE_ERROR"
        assert elapsed < slow.bound_s, (elapsed, slow.bound_s)
        timings.append(round(elapsed, 2))

    # The same server (no restart) answers again once the database is fast again.
    slow.proxy.delay = 0.0
    status, answer, _ = save(url, 20)
    assert status == 200, answer
    comments = stored_comments(url)
    acknowledged = {str(n): message(n) for n in (0, 1, 2, 20)}
    assert {k: comments.get(k) for k in acknowledged} == acknowledged
    # A failed save left its message whole, or (when it never reached the server) not
    # at all; and nothing else is in the thread.
    failed = {k: v for k, v in comments.items() if k not in acknowledged}
    assert set(failed) <= {"10", "11", "12"}, comments
    assert all(v == message(int(k)) for k, v in failed.items()), failed
    if not slow.sent_before_timeout:
        assert failed == {}, failed
    print(
        f"\nfault slow database ({slow.backend}): 503 after {timings} s "
        f"(bound {slow.bound_s} s), failed saves stored {len(failed)}"
    )
