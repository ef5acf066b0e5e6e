"""The family client of the PostgreSQL runs of the shared contracts: the same requests
as ``tests.wire.FamilyClient``, the stored envelopes read from the family's table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connections
from django.test import Client

from velt_django.repository import connection

from ..families import MONGODB, POSTGRESQL, Family, sql_envelopes
from ..wire import FamilyClient, PostJson


class SqlFamilyClient(FamilyClient):
    """``documents()``, ``stored()`` and ``count()`` answer from the PostgreSQL table
    (``tests.families.sql_envelopes``), shaped as the MongoDB envelopes."""

    def documents(
        self, record_id: str | None = None, org: str | None = None
    ) -> list[Any]:
        query: dict[str, Any] = {}
        if record_id is not None:
            query[self.family.stored_id] = record_id
        if org is not None:
            query["organizationId"] = org
        return sql_envelopes(self.family.collection, **query)

    def count(self, **query: Any) -> int:
        return len(sql_envelopes(self.family.collection, **query))


def stored_documents(collection: str, **query: Any) -> list[dict[str, Any]]:
    """The stored envelopes of ``collection`` matching ``query`` (equalities of envelope
    fields) on the configured backend: MongoDB's documents in ``_id`` order, or
    PostgreSQL's rows as those envelopes (``sql_envelopes``)."""
    if settings.VELT.get("STORAGE_BACKEND") == POSTGRESQL:
        return sql_envelopes(collection, **query)
    # Changing VELT closes the client, so never keep a database handle.
    return list(connection.get_database()[collection].find(query, sort=[("_id", 1)]))


def family_client(family: Family, post_json: PostJson, backend: str) -> FamilyClient:
    """The client of ``family`` whose store helpers read ``backend``."""
    if backend == MONGODB:
        return FamilyClient(family, post_json)
    return SqlFamilyClient(family, post_json)


def closing_connections(
    worker: Callable[[Client], None],
) -> Callable[[Client], None]:
    """``worker`` (of ``tests.wire.run_together``) closing its thread's database
    connections when it ends: Django opens one per thread, and a connection left open
    would hold the PostgreSQL test database (on MongoDB there are none to close)."""

    def run(client: Client) -> None:
        try:
            worker(client)
        finally:
            connections.close_all()

    return run
