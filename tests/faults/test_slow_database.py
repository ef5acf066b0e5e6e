"""A slow database (a proxy holding back its replies): delays beyond the configured
timeouts answer a 503 envelope within the timeouts plus a margin, small delays
succeed, and requests succeed again once the database is fast again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from velt_django.repository import ensure_indexes

from .proxy import SlowProxy
from .traffic import ORGS, LiveServer, post

pytestmark = [pytest.mark.faults, pytest.mark.mongo]

SOCKET_TIMEOUT_MS = 600
SELECTION_TIMEOUT_MS = 600
#: pymongo retries a failed read or write once (another selection and socket wait);
#: the margin covers building the answer on a loaded machine.
BOUND_S = 2 * (SOCKET_TIMEOUT_MS + SELECTION_TIMEOUT_MS) / 1000 + 2.0


@pytest.fixture
def slow(settings: Any, outage_server: Any) -> Iterator[SlowProxy]:
    """A proxy in front of a SecantusDB server of the test's own, ``VELT`` through it."""
    address = urlsplit(outage_server.start())
    proxy = SlowProxy(address.hostname or "127.0.0.1", address.port or 0)
    settings.VELT = {
        **settings.VELT,
        "MONGODB_URI": f"mongodb://127.0.0.1:{proxy.port}/?directConnection=true",
        "DATABASE_NAME": "velt_slow",
        "SOCKET_TIMEOUT_MS": SOCKET_TIMEOUT_MS,
        "SERVER_SELECTION_TIMEOUT_MS": SELECTION_TIMEOUT_MS,
    }
    ensure_indexes()
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture
def http_server() -> Iterator[LiveServer]:
    server = LiveServer()
    try:
        yield server
    finally:
        server.stop()


def save(url: str, number: int) -> tuple[int, Any, float]:
    org = ORGS[0]
    body = {
        "commentAnnotation": {
            "slow-thread": {
                "annotationId": "slow-thread",
                "metadata": {"organizationId": org},
                "comments": {str(number): {"commentId": number, "commentText": "x"}},
            }
        },
        "event": "comment.add",
    }
    started = time.monotonic()
    status, answer = post(url, "comments/save", body)
    return status, answer, time.monotonic() - started


def stored_comments(url: str) -> set[str]:
    status, got = post(
        url,
        "comments/get",
        {"organizationId": ORGS[0], "commentAnnotationIds": ["slow-thread"]},
    )
    assert status == 200, got
    return set(got["data"].get("slow-thread", {}).get("comments", {}))


def test_slow_replies_answer_503_in_time_and_recover(
    slow: SlowProxy, http_server: LiveServer
) -> None:
    url = http_server.url
    slow.delay = 0.05
    for number in range(3):
        status, answer, _ = save(url, number)
        assert status == 200, answer

    slow.delay = 3 * SOCKET_TIMEOUT_MS / 1000
    timings = []
    for number in range(10, 13):
        status, answer, elapsed = save(url, number)
        assert status == 503, answer
        assert answer["errorCode"] == "DATABASE_ERROR"
        assert elapsed < BOUND_S, (elapsed, BOUND_S)
        timings.append(round(elapsed, 2))

    slow.delay = 0.0
    status, answer, _ = save(url, 20)
    assert status == 200, answer
    comments = stored_comments(url)
    assert {"0", "1", "2", "20"} <= comments
    print(f"\nfault slow database: 503 after {timings} s (bound {BOUND_S} s)")
