"""The delivery-id collection: a unique index, a TTL index that follows
``WEBHOOK_DEDUP_DAYS``, and claims that succeed once per id; on mongomock and, for the
``mongo`` tier, on a real wire-protocol server."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client

from velt_django.repository import REPOSITORIES, webhooks
from velt_django.repository.webhooks import (
    BUSY,
    CLAIMED,
    DONE,
    TTL_INDEX,
    WebhookDeliveryRepository,
)

from ..contracts import assert_success
from ..webhook_helpers import basic_event, configure, deliver

DAY = 86400


def test_webhook_repository_is_indexed_by_velt_ensure_indexes() -> None:
    assert WebhookDeliveryRepository in REPOSITORIES
    assert WebhookDeliveryRepository.collection_name() == "velt_webhook_deliveries"


def test_webhook_repository_indexes(mongo_db: Any) -> None:
    info = mongo_db["velt_webhook_deliveries"].index_information()
    assert info["webhook_unique"]["unique"] is True
    assert list(info["webhook_unique"]["key"]) == [("webhookId", 1)]
    assert list(info[TTL_INDEX]["key"]) == [("receivedAt", 1)]
    assert info[TTL_INDEX]["expireAfterSeconds"] == 7 * DAY


def test_webhook_repository_ttl_follows_the_setting(
    mongo_db: Any, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "WEBHOOK_DEDUP_DAYS": 2}
    names = WebhookDeliveryRepository(mongo_db).ensure_indexes()
    assert names == ["webhook_unique", TTL_INDEX]
    info = mongo_db["velt_webhook_deliveries"].index_information()
    assert info[TTL_INDEX]["expireAfterSeconds"] == 2 * DAY
    # Repeating is a no-op.
    WebhookDeliveryRepository(mongo_db).ensure_indexes()
    info = mongo_db["velt_webhook_deliveries"].index_information()
    assert info[TTL_INDEX]["expireAfterSeconds"] == 2 * DAY


def test_webhook_repository_claims_an_id_once(mongo_db: Any) -> None:
    repo = WebhookDeliveryRepository(mongo_db)
    first = repo.claim("velt:a")
    assert first.status == CLAIMED and first.token
    assert repo.claim("velt:a").status == BUSY
    assert repo.claim("velt:b").status == CLAIMED
    stored = mongo_db["velt_webhook_deliveries"].find_one({"webhookId": "velt:a"})
    assert set(stored) == {
        "_id",
        "webhookId",
        "receivedAt",
        "state",
        "leaseUntil",
        "claim",
    }
    repo.complete("velt:a")
    assert repo.claim("velt:a").status == DONE


def test_webhook_repository_expired_lease_is_taken_over_with_its_memory(
    mongo_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = WebhookDeliveryRepository(mongo_db)
    first = repo.claim("velt:a", lease_seconds=30)
    repo.record_signalled("velt:a")
    repo.record_email("velt:a", "u_1")
    repo.record_email("velt:a", "u_1")
    now = webhooks.utc_now()
    monkeypatch.setattr(
        webhooks, "utc_now", lambda: now + datetime.timedelta(seconds=31)
    )
    second = repo.claim("velt:a")
    assert second.status == CLAIMED and second.token != first.token
    assert (second.signalled, second.emailed) == (True, frozenset({"u_1"}))
    # The first worker's late release does not free the second one's lease.
    repo.release("velt:a", first.token)
    assert repo.claim("velt:a").status == BUSY
    repo.release("velt:a", second.token)
    assert repo.claim("velt:a").status == CLAIMED


@pytest.mark.mongo
def test_webhook_repository_on_a_real_server(wire_db: Any, settings: Any) -> None:
    repo = WebhookDeliveryRepository()
    claims = [repo.claim("svix:m1").status, repo.claim("svix:m1").status]
    assert claims == [CLAIMED, BUSY]
    repo.complete("svix:m1")
    assert repo.claim("svix:m1").status == DONE
    info = wire_db["velt_webhook_deliveries"].index_information()
    assert info["webhook_unique"]["unique"] is True
    assert info[TTL_INDEX]["expireAfterSeconds"] == 7 * DAY
    settings.VELT = {**settings.VELT, "WEBHOOK_DEDUP_DAYS": 30}
    repo.ensure_indexes()
    info = wire_db["velt_webhook_deliveries"].index_information()
    assert info[TTL_INDEX]["expireAfterSeconds"] == 30 * DAY


@pytest.mark.mongo
def test_webhook_retry_is_processed_once_on_a_real_server(
    wire_db: Any, settings: Any, client: Client, mailoutbox: list[Any]
) -> None:
    from velt_django import users

    from ..webhook_helpers import PRIYA

    configure(settings, WEBHOOK_EMAILS=True)
    users.upsert([PRIYA], "acme-corp")
    for _ in range(3):
        assert_success(deliver(client, basic_event()), read=False)
    assert [m.to for m in mailoutbox] == [[PRIYA["email"]]]
    assert wire_db["velt_webhook_deliveries"].count_documents({}) == 1


@pytest.mark.mongo
def test_webhook_repository_lease_on_a_real_server(
    wire_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = WebhookDeliveryRepository()
    first = repo.claim("svix:m2", lease_seconds=30)
    repo.record_email("svix:m2", "u_1")
    assert repo.claim("svix:m2").status == BUSY
    now = webhooks.utc_now()
    monkeypatch.setattr(
        webhooks, "utc_now", lambda: now + datetime.timedelta(seconds=31)
    )
    second = repo.claim("svix:m2")
    assert second.status == CLAIMED and second.token != first.token
    assert second.emailed == frozenset({"u_1"})
    repo.complete("svix:m2")
    assert repo.claim("svix:m2").status == DONE
