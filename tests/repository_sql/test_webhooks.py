"""SqlWebhookDeliveryRepository on PostgreSQL: the repository tests of
tests/webhooks/test_repository.py and the retry tests over HTTP of
tests/webhooks/test_retries.py run unchanged against the SQL twin (imported, not copied;
their helpers that read the MongoDB collection read the table instead), those that read
MongoDB's indexes or documents in their SQL form, plus what only the SQL backend does:
claims racing in threads, the dedup window without a TTL index, an outage."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from velt_django import users
from velt_django.exceptions import DatabaseUnavailableError
from velt_django.models import WebhookDeliveryRecord
from velt_django.repository import webhooks
from velt_django.repository.sql import SqlWebhookDeliveryRepository
from velt_django.repository.webhooks import BUSY, CLAIMED, DONE
from velt_django.webhooks import VeltWebhookEvent

from ..contracts import assert_success
from ..postgres import ALIAS
from ..webhook_helpers import PRIYA, SAM, basic_event, configure, deliver
from ..webhooks import test_repository as shared
from ..webhooks import test_retries as retries
from .conftest import DATABASES
from .test_comments import _concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(databases=DATABASES)]

#: Shared tests of MongoDB itself (its indexes, its documents, the wire tier).
MONGO_ONLY = {
    "test_webhook_repository_is_indexed_by_velt_ensure_indexes",
    "test_webhook_repository_indexes",
    "test_webhook_repository_ttl_follows_the_setting",
    "test_webhook_repository_claims_an_id_once",
    "test_webhook_repository_on_a_real_server",
    "test_webhook_retry_is_processed_once_on_a_real_server",
    "test_webhook_repository_lease_on_a_real_server",
    "test_webhook_record_from_before_leases_is_a_duplicate",
}

for _module in (shared, retries):
    for _name, _test in vars(_module).items():
        if _name.startswith("test_") and _name not in MONGO_ONLY:
            globals()[_name] = _test


def rows() -> Any:
    return WebhookDeliveryRecord.objects.using(ALIAS)


def stored(db: Any = None, webhook_id: str = "velt:wh-0001") -> dict[str, Any]:
    """The row of one delivery as the MongoDB document would hold it (empty columns
    are absent fields)."""
    row = rows().get(webhook_id=webhook_id)
    doc = {
        "webhookId": row.webhook_id,
        "receivedAt": row.received_at,
        "state": row.state,
        "leaseUntil": row.lease_until,
        "claim": row.claim,
        "signalled": row.signalled,
        "emailed": row.emailed,
        "doneAt": row.done_at,
    }
    return {key: value for key, value in doc.items() if value is not None}


@pytest.fixture
def on_postgresql(on_postgresql: None, settings: Any) -> None:
    settings.VELT = {
        **settings.VELT,
        "USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory",
    }


@pytest.fixture(autouse=True)
def sql_twin(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared tests name the SQL twin where they name the MongoDB class (so their
    patches of its methods apply), and read the table."""
    monkeypatch.setattr(
        shared,
        "WebhookDeliveryRepository",
        lambda db=None: SqlWebhookDeliveryRepository(),
    )
    monkeypatch.setattr(
        retries, "WebhookDeliveryRepository", SqlWebhookDeliveryRepository
    )
    monkeypatch.setattr(retries, "stored", stored)


@pytest.fixture
def mongo_db(on_postgresql: None) -> None:
    """The shared repository tests' database argument: unused by the twin."""
    return None


@pytest.fixture
def db(on_postgresql: None, settings: Any) -> None:
    """tests/webhooks/test_retries.py's ``db``, on PostgreSQL."""
    configure(settings, WEBHOOK_EMAILS=True)
    users.upsert([SAM, PRIYA], "acme-corp")


@pytest.fixture
def repo(on_postgresql: None) -> SqlWebhookDeliveryRepository:
    return SqlWebhookDeliveryRepository()


def later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    now = webhooks.utc_now()
    monkeypatch.setattr(
        webhooks, "utc_now", lambda: now + datetime.timedelta(seconds=seconds)
    )


# ---- the MONGO_ONLY tests, on the table ----------------------------------------------


def test_webhook_table_has_a_unique_delivery_id() -> None:
    with connections[ALIAS].cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s",
            ["velt_webhook_deliveries"],
        )
        definitions = [row[0] for row in cursor.fetchall()]
    assert any("UNIQUE" in d and "(webhook_id)" in d for d in definitions)
    assert any("(received_at)" in d for d in definitions)


def test_webhook_claim_stores_a_lease_then_done(
    repo: SqlWebhookDeliveryRepository,
) -> None:
    first = repo.claim("velt:a")
    assert first.status == CLAIMED and first.token
    assert repo.claim("velt:a").status == BUSY
    assert repo.claim("velt:b").status == CLAIMED
    doc = stored(webhook_id="velt:a")
    assert set(doc) == {
        "webhookId",
        "receivedAt",
        "state",
        "leaseUntil",
        "claim",
        "signalled",
        "emailed",
    }
    assert (doc["state"], doc["claim"], doc["emailed"]) == (
        "processing",
        first.token,
        [],
    )
    repo.complete("velt:a")
    assert repo.claim("velt:a").status == DONE
    doc = stored(webhook_id="velt:a")
    assert doc["state"] == "done" and "leaseUntil" not in doc and "claim" not in doc


def test_webhook_record_from_before_leases_is_a_duplicate(
    db: None, client: Client, events: list[VeltWebhookEvent], mailoutbox: list[Any]
) -> None:
    rows().create(webhook_id="velt:wh-0001", received_at=webhooks.utc_now())
    assert_success(deliver(client, basic_event()), read=False)
    assert events == [] and mailoutbox == []


def test_webhook_retry_is_processed_once(
    db: None, client: Client, events: list[VeltWebhookEvent], mailoutbox: list[Any]
) -> None:
    for _ in range(3):
        assert_success(deliver(client, basic_event()), read=False)
    assert sorted(m.to[0] for m in mailoutbox) == sorted([PRIYA["email"], SAM["email"]])
    assert len(events) == 1
    (row,) = rows()
    assert (row.webhook_id, row.state) == ("velt:wh-0001", "done")


# ---- what only the SQL backend does ---------------------------------------------------


def test_emailed_user_is_remembered_once(repo: SqlWebhookDeliveryRepository) -> None:
    repo.claim("velt:a")
    for user_id in ("u_1", "u_2", "u_1"):
        repo.record_email("velt:a", user_id)
    assert stored(webhook_id="velt:a")["emailed"] == ["u_1", "u_2"]


@pytest.mark.django_db(databases=DATABASES, transaction=True)
@pytest.mark.usefixtures("on_postgresql")
def test_concurrent_claims_of_a_new_delivery_give_it_to_one_worker() -> None:
    repo = SqlWebhookDeliveryRepository()
    outcomes: list[str] = []
    _concurrently(8, lambda i: outcomes.append(repo.claim("velt:race").status))
    assert sorted(outcomes) == [BUSY] * 7 + [CLAIMED]


@pytest.mark.django_db(databases=DATABASES, transaction=True)
@pytest.mark.usefixtures("on_postgresql")
def test_concurrent_takeovers_of_an_expired_lease_give_it_to_one_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = SqlWebhookDeliveryRepository()
    dead = repo.claim("velt:race", lease_seconds=30)
    repo.record_email("velt:race", "u_1")
    later(monkeypatch, 31)
    claims: list[Any] = []
    _concurrently(8, lambda i: claims.append(repo.claim("velt:race")))
    taken = [c for c in claims if c.status == CLAIMED]
    assert len(taken) == 1 and taken[0].token != dead.token
    assert taken[0].emailed == frozenset({"u_1"})
    assert sorted(c.status for c in claims if c not in taken) == [BUSY] * 7
    row = rows().get()
    assert (row.claim, row.attempts) == (taken[0].token, 1)


@pytest.mark.django_db(databases=DATABASES, transaction=True)
@pytest.mark.usefixtures("on_postgresql")
def test_concurrent_emails_of_one_user_are_remembered_once() -> None:
    repo = SqlWebhookDeliveryRepository()
    repo.claim("velt:race")
    _concurrently(8, lambda i: repo.record_email("velt:race", f"u_{i % 2}"))
    assert sorted(rows().get().emailed) == ["u_0", "u_1"]


# ---- the dedup window: no TTL index ---------------------------------------------------


def test_expired_delivery_ids_are_absent_until_purged(
    repo: SqlWebhookDeliveryRepository,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.VELT = {**settings.VELT, "WEBHOOK_DEDUP_DAYS": 2}
    start = webhooks.utc_now()

    def at(days: float) -> None:
        when = start + datetime.timedelta(days=days)
        monkeypatch.setattr(webhooks, "utc_now", lambda: when)

    at(0)
    repo.claim("velt:old")
    repo.record_signalled("velt:old")
    repo.record_email("velt:old", "u_1")
    repo.complete("velt:old")
    at(1)
    repo.claim("velt:busy", lease_seconds=5 * 86400)
    assert repo.purge_expired() == 0
    assert repo.claim("velt:old").status == DONE

    at(2.5)
    assert repo.purge_expired(dry_run=True) == 1
    # Expired: a delivery of that id is new again, with nothing remembered.
    again = repo.claim("velt:old")
    assert (again.status, again.signalled, again.emailed) == (
        CLAIMED,
        False,
        frozenset(),
    )
    doc = stored(webhook_id="velt:old")
    assert doc["state"] == "processing" and "doneAt" not in doc
    assert doc["receivedAt"] > start + datetime.timedelta(days=2)
    assert repo.claim("velt:busy").status == BUSY

    at(10)
    assert repo.purge_expired() == 2
    assert rows().count() == 0


def test_writes_to_an_expired_delivery_change_nothing(
    repo: SqlWebhookDeliveryRepository,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = repo.claim("velt:old").token
    later(monkeypatch, 8 * 86400)
    repo.record_signalled("velt:old")
    repo.record_email("velt:old", "u_1")
    repo.release("velt:old", token)
    repo.complete("velt:old")
    doc = stored(webhook_id="velt:old")
    assert (doc["state"], doc["signalled"], doc["emailed"]) == ("processing", False, [])


@pytest.mark.django_db(databases=DATABASES, transaction=True)
@pytest.mark.usefixtures("on_postgresql")
def test_webhook_outage_is_database_unavailable_and_recovers(pg_cluster: Any) -> None:
    repo = SqlWebhookDeliveryRepository()
    repo.claim("velt:a")
    pg_cluster.stop()
    try:
        with pytest.raises(DatabaseUnavailableError):
            repo.claim("velt:a")
    finally:
        pg_cluster.start()
    assert repo.claim("velt:a").status == BUSY
