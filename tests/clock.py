"""A controlled ``now`` for the repository tests, on either backend."""

from __future__ import annotations

import datetime
import types
from typing import Any

import pytest


def controlled_now(
    monkeypatch: pytest.MonkeyPatch, module: types.ModuleType
) -> list[datetime.datetime]:
    """Make ``datetime.datetime.now`` inside ``module`` answer the last time appended to
    the returned list."""
    times: list[datetime.datetime] = []

    class FakeDatetime(datetime.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return times[-1]

    monkeypatch.setattr(
        module,
        "datetime",
        types.SimpleNamespace(datetime=FakeDatetime, timezone=datetime.timezone),
    )
    return times
