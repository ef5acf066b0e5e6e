"""Webhook deliveries under load (issue 18): retried, duplicated and reordered copies
of Velt deliveries sent from several threads over real HTTP to the receiver, on
MongoDB (the wire tier) and PostgreSQL, with the mail backend failing now and then.

Each delivery is a reply that e-mails its own mentioned user and the thread's author;
every copy is an "attempt chain" playing Velt: it sends, and on anything but ``200`` it
waits a little and sends again. Svix copies are signed afresh each time (a redelivery
has the same message id but a new timestamp and signature). Whatever the order, the
outcome must be one e-mail per (delivery, recipient), one ``webhook_received`` signal
per delivery and one ``done`` dedup record per delivery naming who was e-mailed.
"""

from __future__ import annotations

import datetime
import json
import random
import smtplib
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from django.core.handlers.wsgi import WSGIHandler
from django.core.mail import EmailMessage
from django.core.mail.backends import locmem
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.db import connections
from django.test import Client

from velt_django import users
from velt_django.repository.webhooks import WebhookDeliveryRepository
from velt_django.webhooks import VeltWebhookEvent

from ..contracts import assert_failure, assert_success
from ..families import MONGODB, ORG, POSTGRES_ALIAS, on_backends
from ..views import conftest as views_conftest
from ..webhook_helpers import (
    PATH,
    PRIYA,
    SAM,
    SIGNING_SECRET,
    TOKEN,
    basic_event,
    configure,
    deliver,
    svix_headers,
)

#: The ``backend`` fixture of the view suites: MongoDB (wire tier), then PostgreSQL.
backend = views_conftest.backend

pytestmark = pytest.mark.faults
#: The server answers from its own threads: PostgreSQL needs a transactional database.
BOTH_BACKENDS = on_backends(transaction=True)

DELIVERIES = 8
#: Velt's retries, compressed: the pause between two attempts of one copy, and how
#: many attempts a copy makes before the test gives up on it.
RETRY_PAUSE_S = 0.05
MAX_ATTEMPTS = 60


# The receiver over real HTTP
class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver_url() -> Iterator[str]:
    """The test URLconf served by Django's threaded WSGI server on a loopback port (one
    thread per request, closing its database connections after each)."""
    server = ThreadedWSGIServer(("127.0.0.1", 0), _QuietHandler)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{PATH}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# A mail backend that fails the way an SMTP relay does now and then
class FlakyBackend(locmem.EmailBackend):
    """Django's test backend; the first e-mail to each address in ``fail_once`` fails
    as if the SMTP server had dropped the connection (a transient failure)."""

    fail_once: set[str] = set()
    failed: list[str] = []
    lock = threading.Lock()

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        with FlakyBackend.lock:
            for message in messages:
                for address in message.to:
                    if address in FlakyBackend.fail_once:
                        FlakyBackend.fail_once.discard(address)
                        FlakyBackend.failed.append(address)
                        raise smtplib.SMTPServerDisconnected("connection lost")
        return super().send_messages(messages)


@pytest.fixture
def flaky_mail(monkeypatch: pytest.MonkeyPatch) -> type[FlakyBackend]:
    monkeypatch.setattr(FlakyBackend, "fail_once", set())
    monkeypatch.setattr(FlakyBackend, "failed", [])
    return FlakyBackend


# Deliveries
def recipient(index: int) -> dict[str, str]:
    return {
        "userId": f"u_rcpt_{index}",
        "name": f"Recipient {index}",
        "email": f"rcpt{index}@acme.example",
    }


@dataclass(frozen=True)
class Delivery:
    """One Velt delivery: its payload and, for an advanced (Svix) one, its message id."""

    index: int
    svix_id: str | None

    @property
    def body(self) -> str:
        event = basic_event(webhook_id=f"wh-fault-{self.index}")
        event["targetComment"]["to"] = [{"userId": recipient(self.index)["userId"]}]
        return json.dumps(event)

    @property
    def key(self) -> str:
        """The dedup key the receiver must use."""
        return f"svix:{self.svix_id}" if self.svix_id else f"velt:wh-fault-{self.index}"

    def headers(self, attempt: int) -> dict[str, str]:
        """A copy's headers: Svix copies signed anew, ``attempt`` seconds apart (so the
        timestamp and the signature differ), half with the Standard Webhooks names."""
        headers = {"Content-Type": "application/json"}
        if self.svix_id is None:
            headers["Authorization"] = f"Basic {TOKEN}"
            return headers
        signed = svix_headers(
            self.body, self.svix_id, age=datetime.timedelta(seconds=attempt)
        )
        prefix = "webhook-" if self.index % 4 == 1 else "svix-"
        for meta, value in signed.items():
            headers[prefix + meta.removeprefix("HTTP_SVIX_").lower()] = value
        return headers


def attempt_chain(
    url: str, delivery: Delivery, start: threading.Barrier | None, seed: int
) -> list[int]:
    """One copy of ``delivery`` as Velt sends it: again and again until a ``200``;
    returns the statuses answered."""
    pause = random.Random(seed)
    statuses: list[int] = []
    with requests.Session() as session:
        if start is not None:
            start.wait(timeout=30)  # released together with its duplicate
        else:
            time.sleep(pause.uniform(0, 0.05))
        for attempt in range(MAX_ATTEMPTS):
            response = session.post(
                url,
                data=delivery.body.encode(),
                headers=delivery.headers(attempt),
                timeout=30,
            )
            statuses.append(response.status_code)
            if response.status_code == 200:
                body = response.json()
                assert (body["success"], body["statusCode"]) == (True, 200)
                break
            # Velt retries only these; anything else would be a bug.
            assert response.status_code in (409, 503), response.text
            assert response.json()["success"] is False
            time.sleep(RETRY_PAUSE_S * pause.uniform(0.5, 1.5))
    return statuses


def run_shuffled(
    url: str, deliveries: list[Delivery], seed: int
) -> list[tuple[Delivery, list[int]]]:
    """Send 2-3 copies of each delivery, all in shuffled order from their own threads;
    every third delivery's first two copies are released at the same instant."""
    rng = random.Random(seed)
    copies: list[tuple[Delivery, threading.Barrier | None]] = []
    for delivery in deliveries:
        count = 2 + delivery.index % 2
        together = threading.Barrier(2) if delivery.index % 3 == 0 else None
        copies += [(delivery, together if n < 2 else None) for n in range(count)]
    rng.shuffle(copies)
    results: list[tuple[Delivery, list[int]]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(delivery: Delivery, start: threading.Barrier | None, seed: int) -> None:
        try:
            statuses = attempt_chain(url, delivery, start, seed)
            with lock:
                results.append((delivery, statuses))
        except BaseException as err:  # noqa: BLE001 - reported to the test thread
            with lock:
                errors.append(err)

    threads = [
        threading.Thread(target=run, args=(d, b, rng.randrange(1 << 30)))
        for d, b in copies
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a copy never finished"
    assert errors == []
    assert len(results) == len(copies)
    return results


# What the receiver remembered
def dedup_records(backend: str) -> dict[str, dict[str, Any]]:
    """``webhookId`` → ``{"state", "emailed", "signalled"}`` of every stored delivery."""
    if backend == MONGODB:
        from velt_django.repository import connection

        name = WebhookDeliveryRepository.collection_name()
        return {
            doc["webhookId"]: {
                "state": doc.get("state"),
                "emailed": sorted(doc.get("emailed", [])),
                "signalled": doc.get("signalled", False),
            }
            for doc in connection.get_database()[name].find({})
        }
    from velt_django.models import WebhookDeliveryRecord

    rows = WebhookDeliveryRecord.objects.using(POSTGRES_ALIAS).all()
    found = {
        row.webhook_id: {
            "state": row.state,
            "emailed": sorted(row.emailed),
            "signalled": row.signalled,
        }
        for row in rows
    }
    connections[POSTGRES_ALIAS].close()
    return found


@pytest.fixture
def receiver(
    backend: str, settings: Any, receiver_url: str, flaky_mail: type[FlakyBackend]
) -> str:
    """Basic and Svix deliveries both accepted, e-mails on, the users in the directory."""
    configure(settings, WEBHOOK_EMAILS=True, WEBHOOK_SIGNING_SECRET=SIGNING_SECRET)
    settings.EMAIL_BACKEND = f"{__name__}.{flaky_mail.__name__}"
    users.upsert([SAM, *(recipient(i) for i in range(DELIVERIES))], ORG)
    if backend != MONGODB:
        connections[POSTGRES_ALIAS].close()
    return receiver_url


@BOTH_BACKENDS
def test_shuffled_duplicated_and_failing_deliveries_email_each_recipient_once(
    backend: str,
    receiver: str,
    flaky_mail: type[FlakyBackend],
    mailoutbox: list[Any],
    events: list[VeltWebhookEvent],
) -> None:
    """Eight deliveries (half basic, half Svix), 20 copies in all, shuffled, some
    released together with their duplicate; the mail relay drops the first e-mail of
    three deliveries, whose copies get ``503`` until a retry sends what is missing."""
    deliveries = [
        Delivery(i, f"msg_fault{i:02d}" if i % 2 else None) for i in range(DELIVERIES)
    ]
    failing = {recipient(i)["email"] for i in (0, 3, 5)}
    flaky_mail.fail_once.update(failing)

    results = run_shuffled(receiver, deliveries, seed=18)

    # The relay failed once for each of those recipients; each got its e-mail later.
    assert sorted(flaky_mail.failed) == sorted(failing)
    sent = Counter(address for message in mailoutbox for address in message.to)
    expected = Counter({recipient(i)["email"]: 1 for i in range(DELIVERIES)})
    expected[SAM["email"]] = DELIVERIES
    assert sent == expected
    # One signal per delivery, whatever the number of copies and attempts.
    assert Counter(e.webhook_id for e in events) == Counter(d.key for d in deliveries)
    # A failing delivery was answered 503 before a copy got its 200; every copy ended
    # with 200, and none saw anything but 200, 409 and 503.
    for _, statuses in results:
        assert statuses[-1] == 200
    for index in (0, 3, 5):
        answered = [s for d, got in results if d.index == index for s in got]
        assert 503 in answered, (index, answered)
    # The dedup store: one done record per delivery, naming both recipients.
    assert dedup_records(backend) == {
        d.key: {
            "state": "done",
            "emailed": sorted([SAM["userId"], recipient(d.index)["userId"]]),
            "signalled": True,
        }
        for d in deliveries
    }


@BOTH_BACKENDS
def test_svix_redelivery_with_a_new_signature_is_a_duplicate(
    backend: str,
    receiver: str,
    mailoutbox: list[Any],
    events: list[VeltWebhookEvent],
) -> None:
    """Svix re-sends a message with its id unchanged but a new timestamp and
    signature: the receiver keys it on the message id and does nothing twice."""
    first = Delivery(1, "msg_redeliver")
    statuses = []
    for attempt in (0, 7, 61):  # seconds between Svix's attempts
        headers = first.headers(attempt)
        response = requests.post(receiver, data=first.body, headers=headers, timeout=10)
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200]
    assert len(events) == 1
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [SAM["email"], recipient(1)["email"]]
    )
    assert list(dedup_records(backend)) == ["svix:msg_redeliver"]


# Which mail failures are left for the retry
class FailingBackend(locmem.EmailBackend):
    """Django's test backend raising ``error`` for the first e-mail to Priya."""

    error: Exception | None = None

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        error, FailingBackend.error = FailingBackend.error, None
        if error is not None and any(PRIYA["email"] in m.to for m in messages):
            raise error
        return super().send_messages(messages)


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (ConnectionRefusedError(), True),
        (smtplib.SMTPServerDisconnected("gone"), True),
        (smtplib.SMTPDataError(451, b"try again later"), True),
        (smtplib.SMTPRecipientsRefused({PRIYA["email"]: (450, b"greylisted")}), True),
        (
            smtplib.SMTPRecipientsRefused({PRIYA["email"]: (550, b"no such user")}),
            False,
        ),
        (smtplib.SMTPDataError(554, b"rejected"), False),
        (ValueError("a backend bug"), False),
    ],
    ids=["refused", "disconnected", "451", "rcpt-450", "rcpt-550", "554", "other"],
)
def test_transient_mail_failures_are_retried_and_permanent_ones_skipped(
    mongo_db: Any,
    settings: Any,
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
    mailoutbox: list[Any],
    error: Exception,
    retried: bool,
) -> None:
    """A network error or a temporary (4xx) SMTP answer may pass: the delivery answers
    503 and Velt's retry sends the e-mail once. A permanent refusal (5xx), or anything
    else a backend raises, would fail the same way again: skipped, 200."""
    configure(settings, WEBHOOK_EMAILS=True)
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    monkeypatch.setattr(FailingBackend, "error", error)
    users.upsert([SAM, PRIYA], ORG)
    first = deliver(client, basic_event())
    again = deliver(client, basic_event())
    assert_success(again, read=False)
    sent = sorted(address for message in mailoutbox for address in message.to)
    if retried:
        assert_failure(first, 503, "DELIVERY_INCOMPLETE")
        assert sent == sorted([PRIYA["email"], SAM["email"]])
    else:
        assert_success(first, read=False)
        assert sent == [SAM["email"]]
