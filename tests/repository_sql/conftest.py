"""The PostgreSQL tier of the repository tests: the SQL repositories on the ``velt_pg``
alias of a real PostgreSQL server (tests/postgres.py)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

import velt_django.repository.sql.annotations as annotations_module

from ..clock import controlled_now
from ..postgres import ALIAS

#: The databases a PostgreSQL-tier test uses (``default`` for Django's own tables).
DATABASES = {"default", ALIAS}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime.datetime]:
    """Controls ``now`` inside the SQL repository: append the time the next save sees."""
    return controlled_now(monkeypatch, annotations_module)


@pytest.fixture
def on_postgresql(settings: Any) -> None:
    """The PostgreSQL backend on the test alias, for the tests over HTTP."""
    settings.VELT = {
        **settings.VELT,
        "STORAGE_BACKEND": "postgresql",
        "DATABASE_ALIAS": ALIAS,
    }
