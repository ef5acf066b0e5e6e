"""Velt's retries over HTTP: a delivery is done only once its processing succeeded; a
worker killed mid-processing leaves a lease that a retry takes over once it expired;
what went out (the signal, each e-mail) is never sent again; and the e-mails' time
budget keeps the answer within Velt's 15 s."""

from __future__ import annotations

import datetime
import time
from collections.abc import Sequence
from typing import Any

import pytest
from django.core.mail import EmailMessage
from django.core.mail.backends import locmem
from django.test import Client

from velt_django import users
from velt_django.exceptions import DatabaseUnavailableError
from velt_django.repository import webhooks as repository
from velt_django.repository.webhooks import WebhookDeliveryRepository
from velt_django.webhooks import VeltWebhookEvent

from ..contracts import assert_failure, assert_success
from ..families import ORG
from ..webhook_helpers import PRIYA, SAM, basic_event, configure, deliver


class Killed(BaseException):
    """The worker process dies here: nothing after it runs, no handler sees it."""


@pytest.fixture
def db(mongo_db: Any, settings: Any) -> Any:
    configure(settings, WEBHOOK_EMAILS=True)
    # The reply e-mails Priya (mentioned) first, then Sam (who started the thread).
    users.upsert([SAM, PRIYA], ORG)
    return mongo_db


def stored(db: Any) -> dict[str, Any]:
    doc = db[WebhookDeliveryRepository.collection_name()].find_one(
        {"webhookId": "velt:wh-0001"}
    )
    assert doc is not None
    return dict(doc)


def later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Move the leases' clock ``seconds`` ahead."""
    now = repository.utc_now()
    monkeypatch.setattr(
        repository, "utc_now", lambda: now + datetime.timedelta(seconds=seconds)
    )


def addresses(outbox: list[Any]) -> list[str]:
    return [address for m in outbox for address in m.to]


class DyingBackend(locmem.EmailBackend):
    """Django's test backend whose process is killed when it is about to send to
    ``victim``, the first time only."""

    victim: str | None = None

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        if DyingBackend.victim and any(DyingBackend.victim in m.to for m in messages):
            DyingBackend.victim = None
            raise Killed()
        return super().send_messages(messages)


class SlowBackend(locmem.EmailBackend):
    """Django's test backend taking ``seconds`` per e-mail."""

    seconds = 0.0

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        time.sleep(SlowBackend.seconds)
        return super().send_messages(messages)


def test_webhook_is_done_only_after_its_processing(
    db: Any, client: Client, events: list[VeltWebhookEvent]
) -> None:
    assert_success(deliver(client, basic_event()), read=False)
    # Processed before the answer: Velt's 2xx means the work is done.
    assert len(events) == 1
    doc = stored(db)
    assert doc["state"] == "done"
    assert sorted(doc["emailed"]) == sorted([PRIYA["userId"], SAM["userId"]])
    assert "leaseUntil" not in doc and "claim" not in doc


def test_webhook_killed_worker_is_taken_over_after_its_lease(
    db: Any,
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
    events: list[VeltWebhookEvent],
    mailoutbox: list[Any],
) -> None:
    from velt_django.webhooks import dispatch

    build = dispatch.build_event  # type: ignore[attr-defined]

    def dies(*args: Any, **kwargs: Any) -> Any:
        raise Killed()

    monkeypatch.setattr(dispatch, "build_event", dies)
    with pytest.raises(Killed):
        deliver(client, basic_event())
    assert stored(db)["state"] == "processing"
    monkeypatch.setattr(dispatch, "build_event", build)

    # Velt's retry 5 s later: the dead worker's lease still runs.
    later(monkeypatch, 5)
    assert_failure(deliver(client, basic_event()), 409, "DUPLICATE_IN_PROGRESS")
    assert events == [] and mailoutbox == []

    # The next retry (5 min): the lease expired, the delivery is processed.
    later(monkeypatch, 305)
    assert_success(deliver(client, basic_event()), read=False)
    assert sorted(addresses(mailoutbox)) == [PRIYA["email"], SAM["email"]]
    assert len(events) == 1
    assert stored(db)["state"] == "done"

    # Later retries are duplicates.
    assert_success(deliver(client, basic_event()), read=False)
    assert len(mailoutbox) == 2 and len(events) == 1


def test_webhook_killed_after_some_emails_sends_only_the_others_on_retry(
    db: Any,
    client: Client,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    events: list[VeltWebhookEvent],
    mailoutbox: list[Any],
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.DyingBackend"
    monkeypatch.setattr(DyingBackend, "victim", SAM["email"])
    with pytest.raises(Killed):
        deliver(client, basic_event())
    assert addresses(mailoutbox) == [PRIYA["email"]]

    later(monkeypatch, 61)
    assert_success(deliver(client, basic_event()), read=False)
    assert addresses(mailoutbox) == [PRIYA["email"], SAM["email"]]
    # The signal went out on the first attempt and is not repeated.
    assert len(events) == 1


def test_webhook_killed_before_marking_done_sends_nothing_again(
    db: Any,
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
    events: list[VeltWebhookEvent],
    mailoutbox: list[Any],
) -> None:
    complete = WebhookDeliveryRepository.complete

    def dies(self: Any, webhook_id: str) -> None:
        raise Killed()

    monkeypatch.setattr(WebhookDeliveryRepository, "complete", dies)
    with pytest.raises(Killed):
        deliver(client, basic_event())
    monkeypatch.setattr(WebhookDeliveryRepository, "complete", complete)
    assert len(mailoutbox) == 2

    later(monkeypatch, 61)
    assert_success(deliver(client, basic_event()), read=False)
    assert len(mailoutbox) == 2 and len(events) == 1
    assert stored(db)["state"] == "done"


def test_webhook_failed_processing_is_released_for_the_next_retry(
    db: Any,
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
    events: list[VeltWebhookEvent],
    mailoutbox: list[Any],
) -> None:
    complete = WebhookDeliveryRepository.complete

    def unavailable(self: Any, webhook_id: str) -> None:
        raise DatabaseUnavailableError("the database is unavailable")

    monkeypatch.setattr(WebhookDeliveryRepository, "complete", unavailable)
    # Everything went out, but the delivery could not be marked done: 503, Velt retries.
    assert_failure(deliver(client, basic_event()), 503, "DATABASE_ERROR")
    assert stored(db)["state"] == "processing"
    monkeypatch.setattr(WebhookDeliveryRepository, "complete", complete)
    # Released: the retry is processed at once, without waiting for the lease, and
    # repeats nothing.
    assert_success(deliver(client, basic_event()), read=False)
    assert stored(db)["state"] == "done"
    assert len(events) == 1
    assert sorted(addresses(mailoutbox)) == [PRIYA["email"], SAM["email"]]


def test_webhook_email_budget_leaves_the_rest_to_the_retry(
    db: Any,
    client: Client,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    events: list[VeltWebhookEvent],
    mailoutbox: list[Any],
) -> None:
    configure(settings, WEBHOOK_EMAILS=True, WEBHOOK_EMAIL_BUDGET_SECONDS=1)
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"
    monkeypatch.setattr(SlowBackend, "seconds", 1.05)
    started = time.monotonic()
    response = deliver(client, basic_event())
    # One e-mail spent the budget: the answer comes now, the other e-mail later.
    assert time.monotonic() - started < 2
    assert_failure(response, 503, "DELIVERY_INCOMPLETE")
    assert addresses(mailoutbox) == [PRIYA["email"]]

    monkeypatch.setattr(SlowBackend, "seconds", 0.0)
    assert_success(deliver(client, basic_event()), read=False)
    assert addresses(mailoutbox) == [PRIYA["email"], SAM["email"]]
    assert len(events) == 1


def test_webhook_record_from_before_leases_is_a_duplicate(
    db: Any, client: Client, events: list[VeltWebhookEvent], mailoutbox: list[Any]
) -> None:
    db[WebhookDeliveryRepository.collection_name()].insert_one(
        {"webhookId": "velt:wh-0001", "receivedAt": repository.utc_now()}
    )
    assert_success(deliver(client, basic_event()), read=False)
    assert events == [] and mailoutbox == []
