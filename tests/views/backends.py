"""The family client of the PostgreSQL runs of the shared contracts: the same requests
as ``tests.wire.FamilyClient``, the stored envelopes read from the family's table."""

from __future__ import annotations

from typing import Any

from ..families import MONGODB, Family, sql_envelopes
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


def family_client(family: Family, post_json: PostJson, backend: str) -> FamilyClient:
    """The client of ``family`` whose store helpers read ``backend``."""
    if backend == MONGODB:
        return FamilyClient(family, post_json)
    return SqlFamilyClient(family, post_json)
