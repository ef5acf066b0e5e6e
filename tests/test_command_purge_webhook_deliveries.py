"""``velt_purge_webhook_deliveries``: on PostgreSQL it deletes the delivery ids past
``WEBHOOK_DEDUP_DAYS`` (no TTL index there); on MongoDB it leaves them to the TTL index."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.management.base import CommandError

from velt_django.models import WebhookDeliveryRecord
from velt_django.repository.sql import SqlWebhookDeliveryRepository
from velt_django.repository.webhooks import DONE

from .commands import command_output
from .postgres import ALIAS
from .repository_sql.conftest import DATABASES
from .test_pg_commands import on_postgres, on_postgresql  # noqa: F401 (a fixture)

COMMAND = "velt_purge_webhook_deliveries"


def received(webhook_id: str, days: float) -> None:
    """Claim ``webhook_id`` and date its receipt ``days`` ago."""
    repo = SqlWebhookDeliveryRepository()
    repo.claim(webhook_id)
    repo.complete(webhook_id)
    when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days)
    rows = WebhookDeliveryRecord.objects.using(ALIAS)
    rows.filter(webhook_id=webhook_id).update(received_at=when)


def remaining() -> list[str]:
    rows = WebhookDeliveryRecord.objects.using(ALIAS)
    return sorted(rows.values_list("webhook_id", flat=True))


@pytest.fixture
def deliveries(on_postgresql: None, settings: Any) -> None:  # noqa: F811
    """Four delivery ids, two of them past a 3-day dedup window."""
    settings.VELT = {**settings.VELT, "WEBHOOK_DEDUP_DAYS": 3}
    received("velt:new", 0)
    received("velt:recent", 2.9)
    received("velt:old", 3.1)
    received("velt:older", 40)


@on_postgres
@pytest.mark.usefixtures("deliveries")
def test_purge_on_postgresql_deletes_the_expired_delivery_ids() -> None:
    out = command_output(COMMAND, "--dry-run")
    assert "Would delete 2 expired webhook delivery ids" in out
    assert "(received more than 3 days ago)" in out
    assert len(remaining()) == 4
    out = command_output(COMMAND)
    assert "Deleted 2 expired webhook delivery ids (received more than 3 days" in out
    assert remaining() == ["velt:new", "velt:recent"]
    # The ids kept are still remembered: a retry of them is skipped.
    assert SqlWebhookDeliveryRepository().claim("velt:recent").status == DONE
    assert "Deleted 0 expired webhook delivery ids" in command_output(COMMAND)


@on_postgres
@pytest.mark.usefixtures("on_postgresql")
def test_purge_on_postgresql_counts_one_id_in_the_singular(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "WEBHOOK_DEDUP_DAYS": 3}
    received("velt:old", 4)
    assert "Deleted 1 expired webhook delivery id (" in command_output(COMMAND)
    assert remaining() == []


@pytest.mark.postgres
@pytest.mark.django_db(databases=DATABASES, transaction=True)
@pytest.mark.usefixtures("on_postgresql")
def test_purge_on_postgresql_down_is_a_command_error(pg_cluster: Any) -> None:
    pg_cluster.stop()
    with pytest.raises(CommandError) as caught:
        command_output(COMMAND)
    assert str(caught.value) == (
        "could not purge webhook deliveries: the database is unavailable"
    )
    pg_cluster.start()
    assert "Deleted 0 expired webhook delivery ids" in command_output(COMMAND)


def test_purge_on_mongodb_leaves_it_to_the_ttl_index(
    mongo_db: Any, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "WEBHOOK_DEDUP_DAYS": 3}
    # Past the 3-day setting, within the index the fixture made (the default 7 days,
    # which mongomock enforces on reads): only a purge would remove it.
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=5)
    deliveries = mongo_db["velt_webhook_deliveries"]
    deliveries.insert_one({"webhookId": "velt:old", "receivedAt": old, "state": DONE})
    out = command_output(COMMAND, "--dry-run")
    assert "on MongoDB the TTL index deletes webhook delivery ids older than 3" in out
    out = command_output(COMMAND)
    assert "Nothing to purge" in out and "velt_ensure_indexes" in out
    assert deliveries.count_documents({}) == 1
