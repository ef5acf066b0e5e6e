"""A MongoDB outage over the wire: requests fail fast with 503 ``DATABASE_ERROR`` and the
same process recovers by itself once the server is back (CONTRACT §2.2, §2.3)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from velt_django.repository import connection, ensure_indexes

from ..families import COMMENTS
from ..wire import OutageServer

pytestmark = pytest.mark.mongo

TIMEOUT_MS = 1000
#: Allowed on top of the server-selection timeout for connecting, retrying once and
#: building the response on a slow CI machine.
MARGIN_S = 3.0

THREAD = COMMENTS.record(
    "ann-outage",
    comments={"1": {"commentId": 1, "commentText": "written before the outage"}},
    **{"from": {"userId": "u_1"}},
)


def configure(settings: Any, uri: str) -> None:
    settings.VELT = {
        **settings.VELT,
        "MONGODB_URI": uri,
        "DATABASE_NAME": "velt_outage",
        "SERVER_SELECTION_TIMEOUT_MS": TIMEOUT_MS,
    }


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
    outage_server: OutageServer, settings: Any, post_json: Any
) -> None:
    configure(settings, outage_server.start())
    ensure_indexes()
    response = post_json(
        "comments/save", COMMENTS.save_body(THREAD, event="comment.add")
    )
    assert response.status_code == 200, response.content

    outage_server.stop()

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

    outage_server.start()  # same port and data directory; nothing else is restarted

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


def test_outage_on_first_request_answers_503(
    outage_server: OutageServer, settings: Any, post_json: Any
) -> None:
    # The process has never reached the outage_server: the lazily created client must still
    # give up after the selection timeout, and work once the server appears.
    outage_server.start()
    uri = outage_server.instance.uri
    outage_server.stop()
    configure(settings, uri)
    connection.close_client()

    response, elapsed = timed(
        lambda: post_json("comments/save", save_body("1", "first"))
    )
    assert_database_error(response, elapsed)

    outage_server.start()
    response = post_json("comments/save", save_body("1", "first"))
    assert response.status_code == 200, response.content
    assert list(post_json(*GET).json()["data"]) == ["ann-outage"]
