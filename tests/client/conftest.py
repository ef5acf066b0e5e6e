"""Fixtures of the VeltClient tests: the mocked API and a client bound to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from velt_django.client import VeltClient

from .velt_api import BASE, KEY, TOKEN


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def velt() -> Iterator[VeltClient]:
    with VeltClient(KEY, TOKEN, base_url=BASE, timeout=7, backoff_factor=0) as client:
        yield client
