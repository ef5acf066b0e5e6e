"""A database outage answers 503 ``DATABASE_ERROR`` quickly, so Velt retries instead of
caching a refusal: the MongoDB directory over the wire, the Django database, and a
database the policy itself reads."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client

from velt_django import users
from velt_django.repository import ensure_indexes

from ..wire import OutageServer
from .helpers import ACME, batch, configure, failure, granted, post, question

TIMEOUT_MS = 500
#: On top of the server-selection timeout, for a slow CI machine.
MARGIN_S = 3.0
BODY = batch(question("u_8841", "organization", ACME))


@pytest.mark.mongo
@pytest.mark.django_db
def test_mongo_directory_outage_is_503_quickly_and_recovers(
    outage_server: OutageServer, client: Client, settings: Any
) -> None:
    configure(
        settings,
        MONGODB_URI=outage_server.start(),
        DATABASE_NAME="velt_permissions_outage",
        SERVER_SELECTION_TIMEOUT_MS=TIMEOUT_MS,
        USER_DIRECTORY_CLASS="velt_django.directory.MongoUserDirectory",
        ORGANIZATION_ACCESS="velt_django.access.velt_orgs_claim",
    )
    ensure_indexes()
    users.upsert([{"userId": "u_8841"}], ACME)
    assert granted(post(client, BODY)) == [True]

    outage_server.stop()
    started = time.monotonic()
    response = post(client, BODY)
    elapsed = time.monotonic() - started
    body = failure(response, 503, "DATABASE_ERROR")
    assert "data" not in body
    assert elapsed < TIMEOUT_MS / 1000 + MARGIN_S

    outage_server.start()  # same port and data: the same process recovers by itself
    assert granted(post(client, BODY)) == [True]


@pytest.mark.django_db
def test_django_database_outage_is_503(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(settings)

    def unavailable(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise OperationalError("database is locked")

    monkeypatch.setattr("django.db.models.query.QuerySet._fetch_all", unavailable)
    body = failure(post(client, BODY), 503, "DATABASE_ERROR")
    assert "locked" not in body["message"]


def policy_reads_a_dead_database(
    request: Any, action: str, organization_id: str, document_ids: Sequence[str]
) -> bool:
    raise OperationalError("could not connect to server")


@pytest.mark.django_db
def test_policy_hitting_an_outage_is_503_not_a_refusal(
    client: Client, settings: Any
) -> None:
    configure(settings, ORGANIZATION_ACCESS=f"{__name__}.policy_reads_a_dead_database")
    failure(post(client, BODY), 503, "DATABASE_ERROR")
