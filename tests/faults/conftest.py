"""Fault-injection tests: the service under a failing database, a slow network or a
killed worker. Every test here is bounded in time and request count so that it runs in
CI by default; the ``faults`` marker selects (``-m faults``) or skips them."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "faults: fault-injection tests (database outage or slowness, killed workers, "
        "failing storage or webhooks); bounded, run by default",
    )
