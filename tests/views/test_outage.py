"""A database outage over the wire: requests fail fast with 503 ``DATABASE_ERROR`` and
the same process recovers by itself once the server is back (CONTRACT §2.2, §2.3). On
MongoDB a SecantusDB server of the test's own is stopped and started; on PostgreSQL the
session's private cluster (``pg_cluster``), with a transactional database so that what
was written before the outage is committed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

from velt_django.repository import connection, ensure_indexes

from ..families import COMMENTS, MONGODB, POSTGRES_ALIAS, on_backends

pytestmark = on_backends(transaction=True)

TIMEOUT_MS = 1000
#: Allowed on top of the server-selection timeout for connecting, retrying once and
#: building the response on a slow CI machine.
MARGIN_S = 3.0

#: ``from`` is a keyword, so the sender goes in as a mapping.
SENDER: dict[str, Any] = {"from": {"userId": "u_1"}}
THREAD = COMMENTS.record(
    "ann-outage",
    comments={"1": {"commentId": 1, "commentText": "written before the outage"}},
    **SENDER,
)


def configure(settings: Any, uri: str) -> None:
    settings.VELT = {
        **settings.VELT,
        "MONGODB_URI": uri,
        "DATABASE_NAME": "velt_outage",
        "SERVER_SELECTION_TIMEOUT_MS": TIMEOUT_MS,
    }


class Outage:
    """The backend's server, stopped and started by the test: ``start()`` (again after
    ``stop()``) and ``stop()``; ``never_reached()`` leaves it stopped with the process
    never having connected to it."""

    def __init__(self, backend: str, request: pytest.FixtureRequest) -> None:
        self.backend = backend
        self.settings = request.getfixturevalue("settings")
        if backend == MONGODB:
            self.server: Any = request.getfixturevalue("outage_server")
        else:
            self.server = request.getfixturevalue("pg_cluster")

    def first_start(self) -> None:
        if self.backend == MONGODB:
            configure(self.settings, self.server.start())
            ensure_indexes()

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        # MongoDB: the same port and data directory; nothing else is restarted.
        self.server.start()

    def never_reached(self) -> None:
        if self.backend == MONGODB:
            self.server.start()
            uri = self.server.instance.uri
            self.server.stop()
            configure(self.settings, uri)
            connection.close_client()
        else:
            connections[POSTGRES_ALIAS].close()
            self.server.stop()


@pytest.fixture
def outage(backend: str, request: pytest.FixtureRequest) -> Iterator[Outage]:
    """The ``Outage`` of ``backend``; on MongoDB ``VELT`` is the wire tier's again at the
    end (the ``backend`` fixture drops its database there)."""
    settings = request.getfixturevalue("settings")
    velt = settings.VELT
    try:
        yield Outage(backend, request)
    finally:
        settings.VELT = velt


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def assert_database_error(response: Any, elapsed: float) -> None:
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["success"] is False
    assert body["statusCode"] == 503
    assert body["errorCode"] == "DATABASE_ERROR"
    assert "written before the outage" not in body["message"]
    assert elapsed < TIMEOUT_MS / 1000 + MARGIN_S


GET = ("comments/get", COMMENTS.get_body(ids=["ann-outage"]))


def save_body(comment_id: str, text: str) -> dict[str, Any]:
    message = {comment_id: {"commentId": int(comment_id), "commentText": text}}
    payload = {**THREAD, "comments": message}
    return COMMENTS.save_body(payload, event="comment.add")


def test_outage_answers_503_quickly_and_recovers(
    outage: Outage, post_json: Any
) -> None:
    outage.first_start()
    response = post_json(
        "comments/save", COMMENTS.save_body(THREAD, event="comment.add")
    )
    assert response.status_code == 200, response.content

    outage.stop()

    response, elapsed = timed(lambda: post_json(*GET))
    assert_database_error(response, elapsed)
    response, elapsed = timed(
        lambda: post_json("comments/save", save_body("2", "lost in the outage"))
    )
    assert_database_error(response, elapsed)
    response, elapsed = timed(
        lambda: post_json(
            "comments/delete",
            {
                "commentAnnotationId": "ann-outage",
                "metadata": {"organizationId": "acme-corp"},
            },
        )
    )
    assert_database_error(response, elapsed)

    outage.start()

    response = post_json(*GET)
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {"ann-outage": THREAD}
    response = post_json("comments/save", save_body("3", "after the outage"))
    assert response.status_code == 200, response.content
    comments = post_json(*GET).json()["data"]["ann-outage"]["comments"]
    assert comments == {
        "1": {"commentId": 1, "commentText": "written before the outage"},
        "3": {"commentId": 3, "commentText": "after the outage"},
    }


def test_outage_on_first_request_answers_503(outage: Outage, post_json: Any) -> None:
    # The process has never reached the server: the lazily made connection must still
    # give up quickly, and work once the server appears.
    outage.never_reached()

    response, elapsed = timed(
        lambda: post_json("comments/save", save_body("1", "first"))
    )
    assert_database_error(response, elapsed)

    outage.start()
    response = post_json("comments/save", save_body("1", "first"))
    assert response.status_code == 200, response.content
    assert list(post_json(*GET).json()["data"]) == ["ann-outage"]
