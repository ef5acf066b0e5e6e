"""The PostgreSQL tier of the repository tests: the SQL repositories on the ``velt_pg``
alias of a real PostgreSQL server (tests/postgres.py)."""

from __future__ import annotations

import datetime

import pytest

from velt_django.repository.sql import annotations

from ..clock import controlled_now
from ..postgres import ALIAS

#: The databases a PostgreSQL-tier test uses (``default`` for Django's own tables).
DATABASES = {"default", ALIAS}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime.datetime]:
    """Controls ``now`` inside the SQL repository: append the time the next save sees."""
    return controlled_now(monkeypatch, annotations)
