"""The process-wide MongoClient: lazy, cached, fork-safe, rebuilt on settings change."""

# ``connection.MongoClient`` is swapped for ``FakeClient`` here, so what mypy takes for
# a MongoClient is a recorder: its ``options`` is a dict and ``closed`` a bool.
# mypy: disable-error-code="comparison-overlap, index"

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pymongo import MongoClient

from velt_django import __version__
from velt_django.conf import velt_settings
from velt_django.exceptions import VeltConfigurationError
from velt_django.repository import connection

UNREACHABLE = "mongodb://127.0.0.1:1/?directConnection=true"


class FakeClient:
    """Records constructor arguments and ``close()`` calls instead of connecting."""

    instances: list[FakeClient] = []

    def __init__(self, uri: str, **options: Any) -> None:
        self.uri = uri
        self.options = options
        self.closed = False
        FakeClient.instances.append(self)

    def close(self) -> None:
        self.closed = True


@pytest.fixture(autouse=True)
def fresh_client() -> Iterator[None]:
    connection.close_client()
    yield
    connection.close_client()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> type[FakeClient]:
    FakeClient.instances = []
    monkeypatch.setattr(connection, "MongoClient", FakeClient)
    return FakeClient


def test_get_client_returns_same_client_twice(fake: type[FakeClient]) -> None:
    assert connection.get_client() is connection.get_client()
    assert len(fake.instances) == 1


def test_get_client_is_created_lazily(fake: type[FakeClient]) -> None:
    assert fake.instances == []
    connection.get_client()
    assert len(fake.instances) == 1


def test_get_client_new_client_after_settings_change(
    fake: type[FakeClient], settings: Any
) -> None:
    first = connection.get_client()
    settings.VELT = {**settings.VELT, "MONGODB_URI": "mongodb://other-host:27017"}
    second = connection.get_client()
    assert second is not first
    assert second.uri == "mongodb://other-host:27017"


def test_get_client_closes_old_client_after_settings_change(
    fake: type[FakeClient], settings: Any
) -> None:
    first = connection.get_client()
    settings.VELT = {**settings.VELT, "SOCKET_TIMEOUT_MS": 1234}
    connection.get_client()
    assert first.closed is True


def test_get_client_new_client_when_settings_change_without_signal(
    fake: type[FakeClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = connection.get_client()
    original = velt_settings.get

    def moved(key: str) -> Any:
        return "mongodb://moved:27017" if key == "MONGODB_URI" else original(key)

    # The VELT dict changed in place, so no setting_changed signal was sent.
    monkeypatch.setattr(velt_settings, "get", moved)
    second = connection.get_client()
    assert second is not first
    assert first.closed is True


def test_get_client_new_client_when_pid_differs(
    fake: type[FakeClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = connection.get_client()
    monkeypatch.setattr(os, "getpid", lambda: -12345)
    child = connection.get_client()
    assert child is not parent
    assert connection.get_client() is child


def test_get_client_after_fork_leaves_parent_client_open(
    fake: type[FakeClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = connection.get_client()
    monkeypatch.setattr(os, "getpid", lambda: -12345)
    connection.get_client()
    assert parent.closed is False


def test_close_client_closes_and_forgets_client(fake: type[FakeClient]) -> None:
    first = connection.get_client()
    connection.close_client()
    assert first.closed is True
    assert connection.get_client() is not first


def test_close_client_without_client_is_harmless(fake: type[FakeClient]) -> None:
    connection.close_client()
    connection.close_client()
    assert fake.instances == []


def test_get_client_missing_uri_raises_configuration_error(settings: Any) -> None:
    settings.VELT = {k: v for k, v in settings.VELT.items() if k != "MONGODB_URI"}
    with pytest.raises(VeltConfigurationError, match="MONGODB_URI"):
        connection.get_client()


def test_get_client_passes_connect_false(fake: type[FakeClient]) -> None:
    client = connection.get_client()
    assert client.options["connect"] is False


def test_get_client_passes_driver_info_and_timeouts(
    fake: type[FakeClient], settings: Any
) -> None:
    settings.VELT = {
        **settings.VELT,
        "SERVER_SELECTION_TIMEOUT_MS": 750,
        "SOCKET_TIMEOUT_MS": 4000,
    }
    options = connection.get_client().options
    assert (options["driver"].name, options["driver"].version) == (
        "velt-django",
        __version__,
    )
    assert options["serverSelectionTimeoutMS"] == 750
    assert options["connectTimeoutMS"] == 750
    assert options["socketTimeoutMS"] == 4000
    assert options["tz_aware"] is True


def test_get_client_applies_mongo_client_options(
    fake: type[FakeClient], settings: Any
) -> None:
    settings.VELT = {
        **settings.VELT,
        "MONGO_CLIENT_OPTIONS": {"appname": "host-app", "tz_aware": False},
    }
    options = connection.get_client().options
    assert options["appname"] == "host-app"
    assert options["tz_aware"] is False


def test_get_client_with_unreachable_uri_does_not_connect(settings: Any) -> None:
    settings.VELT = {
        **settings.VELT,
        "MONGODB_URI": UNREACHABLE,
        "SERVER_SELECTION_TIMEOUT_MS": 30000,
    }
    started = time.monotonic()
    client = connection.get_client()
    assert isinstance(client, MongoClient)
    assert time.monotonic() - started < 5
    # pymongo opens the topology (starts monitoring) in the constructor unless connect=False.
    assert client._topology._opened is False


def test_get_database_uses_name_and_write_concern(settings: Any) -> None:
    settings.VELT = {
        **settings.VELT,
        "MONGODB_URI": UNREACHABLE,
        "DATABASE_NAME": "velt_x",
        "SOCKET_TIMEOUT_MS": 3000,
    }
    db = connection.get_database()
    assert db.name == "velt_x"
    assert db.write_concern.document == {"w": "majority", "wtimeout": 3000}
