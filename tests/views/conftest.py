"""The storage backend of the shared family contracts: ``backend`` runs a test once on
MongoDB (the wire tier's SecantusDB) and once on PostgreSQL (the ``velt_pg`` alias)."""

from __future__ import annotations

from typing import Any

import pytest

from ..families import (
    BACKENDS,
    MONGODB,
    MONGOMOCK,
    POSTGRES_ALIAS,
    POSTGRESQL,
    sql_model,
)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, settings: Any) -> str:
    """``"mongodb"`` with a fresh wire-tier database, or ``"postgresql"`` with
    ``STORAGE_BACKEND``/``DATABASE_ALIAS`` on the ``velt_pg`` alias (rolled back after
    the test). A test of a ``family`` without a PostgreSQL table yet is skipped there.
    ``tests.families.on_backends`` chooses other params: mongomock first (``"mongodb"``
    on the ``mongo_db`` fixture), a transactional PostgreSQL database."""
    if request.param in (MONGODB, MONGOMOCK):
        request.getfixturevalue("wire_db" if request.param == MONGODB else "mongo_db")
        return MONGODB
    if "family" in request.fixturenames:
        family = request.getfixturevalue("family")
        if sql_model(family.collection) is None:
            pytest.skip(f"{family} has no PostgreSQL twin yet")
    settings.VELT = {
        **settings.VELT,
        "STORAGE_BACKEND": POSTGRESQL,
        "DATABASE_ALIAS": POSTGRES_ALIAS,
    }
    return POSTGRESQL
