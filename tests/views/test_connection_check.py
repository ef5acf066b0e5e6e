"""The check of kept PostgreSQL connections at the start of each request
(velt_django/repository/sql/connection_check.py, ``VELT["CONNECTION_CHECK"]``): a
connection the server ended is replaced before the request uses it, and a healthy one
costs no ``SELECT 1``.

The server ends a connection with ``pg_terminate_backend`` (what a restart, an
``idle_session_timeout`` or an administrator does); the app's connection is kept between
requests, as ``CONN_MAX_AGE`` keeps it in production.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.core.signals import request_started
from django.db import close_old_connections, connections

from velt_django.repository.sql.connection_check import (
    check_connections,
    server_hung_up,
)

from ..families import COMMENTS, POSTGRES_ALIAS, backend_params

pytestmark = pytest.mark.parametrize(
    "backend", backend_params(transaction=True)[1:], indirect=True
)

#: ``from`` is a keyword, so the sender goes in as a mapping.
SENDER: dict[str, Any] = {"from": {"userId": "u_1"}}
THREAD = COMMENTS.record(
    "ann-kept",
    comments={"1": {"commentId": 1, "commentText": "before the server hung up"}},
    **SENDER,
)
GET = ("comments/get", COMMENTS.get_body(ids=["ann-kept"]))


@pytest.fixture
def kept(settings: Any) -> Iterator[Any]:
    """The alias's connection, kept between requests for 60 s (``CONN_MAX_AGE``), with
    the settings the test changes restored (and the connection closed) at the end."""
    connection = connections[POSTGRES_ALIAS]
    entry = connection.settings_dict
    saved = {k: entry[k] for k in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
    entry["CONN_MAX_AGE"] = 60
    connection.close()
    try:
        yield connection
    finally:
        connection.close()
        entry.update(saved)


def terminate(connection: Any) -> int:
    """End ``connection``'s server process from another session, as the server would;
    return its old process id once the client's socket shows it."""
    pid = connection.connection.info.backend_pid
    entry = connection.settings_dict
    with psycopg.connect(
        host=entry["HOST"],
        port=entry["PORT"],
        user=entry["USER"],
        password=entry["PASSWORD"] or None,
        dbname=connection.settings_dict["NAME"],
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while not server_hung_up(connection.connection):
        assert time.monotonic() < deadline, "the terminated connection never showed it"
        time.sleep(0.01)
    return int(pid)


def test_request_after_the_server_ended_the_connection_succeeds(
    backend: str, kept: Any, post_json: Any
) -> None:
    response = post_json("comments/save", COMMENTS.save_body(THREAD))
    assert response.status_code == 200, response.content
    old_pid = terminate(kept)

    response = post_json(*GET)

    assert response.status_code == 200, response.content
    assert response.json()["data"] == {"ann-kept": THREAD}
    assert kept.connection.info.backend_pid != old_pid


def test_without_the_check_the_ended_connection_fails_one_request(
    backend: str, kept: Any, post_json: Any, settings: Any
) -> None:
    # What the check spares a client: with Django's behaviour and no health checks, the
    # first request on the dead connection is a 503, and only the next one reconnects.
    settings.VELT = {**settings.VELT, "CONNECTION_CHECK": "django"}
    kept.settings_dict["CONN_HEALTH_CHECKS"] = False
    response = post_json("comments/save", COMMENTS.save_body(THREAD))
    assert response.status_code == 200, response.content
    terminate(kept)

    response = post_json(*GET)
    assert response.status_code == 503, response.content
    assert response.json()["errorCode"] == "DATABASE_ERROR"

    kept.close_if_unusable_or_obsolete()  # what Django does when a request finishes
    response = post_json(*GET)
    assert response.status_code == 200, response.content


@pytest.fixture
def wsgi_signal_order() -> Iterator[None]:
    """``request_started``'s receivers in the order a WSGI server process has them:
    Django's ``close_old_connections`` (connected when ``django.db`` is imported), then
    velt_django's check (connected in ``ready()``). Django's test client disconnects and
    reconnects the former around each request, which moves it to the end."""
    uid = "velt_django.connection_check"
    request_started.disconnect(close_old_connections)
    request_started.disconnect(dispatch_uid=uid)
    request_started.connect(close_old_connections)
    request_started.connect(check_connections, dispatch_uid=uid)
    yield


@pytest.mark.parametrize(
    ("check", "pings"), [("socket", 0), ("django", 3)], ids=["socket", "django"]
)
def test_healthy_kept_connection_costs_no_select_1(
    backend: str,
    kept: Any,
    wsgi_signal_order: None,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    check: str,
    pings: int,
) -> None:
    # Django's request cycle as a WSGI server runs it (Django's test client leaves out
    # close_old_connections): request_started, the request's queries, and again. With
    # CONN_HEALTH_CHECKS Django pings a kept connection once per request; the socket
    # check replaces that round trip.
    from velt_django.repository import CommentRepository
    from velt_django.repository.backend import resolve

    settings.VELT = {**settings.VELT, "CONNECTION_CHECK": check}
    kept.settings_dict["CONN_HEALTH_CHECKS"] = True
    calls: list[str] = []
    original = type(kept).is_usable

    def counting(self: Any) -> bool:
        calls.append(self.alias)
        return bool(original(self))

    monkeypatch.setattr(type(kept), "is_usable", counting)
    repository = resolve(CommentRepository)()
    for _ in range(4):
        request_started.send(sender=None)
        repository.find("acme-corp", ids=["ann-kept"])

    assert calls.count(POSTGRES_ALIAS) == pings
