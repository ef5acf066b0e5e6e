"""One lazily created, fork-safe ``MongoClient`` per process."""

from __future__ import annotations

import os
import threading
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.driver_info import DriverInfo
from pymongo.write_concern import WriteConcern

from .. import __version__
from ..conf import velt_settings
from ..exceptions import VeltConfigurationError

_lock = threading.Lock()
_client: MongoClient[dict[str, Any]] | None = None
_client_pid: int | None = None
_client_key: tuple[Any, ...] | None = None


def _settings_key() -> tuple[Any, ...]:
    return (
        velt_settings.MONGODB_URI,
        velt_settings.SERVER_SELECTION_TIMEOUT_MS,
        velt_settings.SOCKET_TIMEOUT_MS,
        repr(sorted(velt_settings.MONGO_CLIENT_OPTIONS.items())),
    )


def _create_client() -> MongoClient[dict[str, Any]]:
    uri = velt_settings.MONGODB_URI
    if not uri:
        raise VeltConfigurationError('VELT["MONGODB_URI"] is not set.')
    timeout = velt_settings.SERVER_SELECTION_TIMEOUT_MS
    options: dict[str, Any] = {
        "serverSelectionTimeoutMS": timeout,
        "connectTimeoutMS": timeout,
        "socketTimeoutMS": velt_settings.SOCKET_TIMEOUT_MS,
        "driver": DriverInfo("velt-django", __version__),
        "tz_aware": True,
        # Never connect in the constructor: Django may import us in a process that forks.
        "connect": False,
    }
    options.update(velt_settings.MONGO_CLIENT_OPTIONS)
    return MongoClient(uri, **options)


def get_client() -> MongoClient[dict[str, Any]]:
    """The process-wide client, created on first use and again after a fork.

    Raises :class:`VeltConfigurationError` when no URI is configured.
    """
    global _client, _client_pid, _client_key
    key = _settings_key()
    pid = os.getpid()
    client = _client
    if client is not None and _client_pid == pid and _client_key == key:
        return client
    with _lock:
        if _client is not None and _client_pid == pid and _client_key == key:
            return _client
        if _client is not None and _client_pid == pid:
            # Settings changed (tests, reconfiguration): retire the old pool.
            _client.close()
        # After a fork the parent's client is simply dropped: its sockets belong to the
        # parent, and closing them here would disturb it.
        _client = _create_client()
        _client_pid = pid
        _client_key = key
        return _client


def acknowledged_write_concern(value: Any) -> bool:
    """Whether ``value`` is a write concern ``w`` that acknowledges writes: a positive
    integer, ``"majority"`` or a tag-set name. ``0`` would answer 200 before anything is
    stored, and Velt, seeing the 200, commits its half of a record whose content may
    then be lost (docs/storage-model.md, "One round trip")."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 1
    return isinstance(value, str) and value.strip() != ""


def get_database() -> Database[dict[str, Any]]:
    """The configured database, with the configured write concern.

    Raises :class:`VeltConfigurationError` for a write concern that does not acknowledge
    writes (system check ``velt.E007`` reports it at start-up).
    """
    w = velt_settings.WRITE_CONCERN
    if not acknowledged_write_concern(w):
        raise VeltConfigurationError(
            'VELT["WRITE_CONCERN"] must acknowledge writes ("majority" or an integer >= 1).'
        )
    return get_client().get_database(
        velt_settings.DATABASE_NAME,
        write_concern=WriteConcern(w=w, wtimeout=velt_settings.SOCKET_TIMEOUT_MS),
    )


def close_client() -> None:
    """Close the process-wide client (tests and shutdown; never per request)."""
    global _client, _client_pid, _client_key
    with _lock:
        if _client is not None and _client_pid == os.getpid():
            _client.close()
        _client = None
        _client_pid = None
        _client_key = None


@receiver(setting_changed)
def _reset_on_settings_change(*, setting: str, **kwargs: Any) -> None:
    if setting == "VELT":
        close_client()
