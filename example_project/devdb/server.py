"""Starts, advertises and finds the embedded SecantusDB server of a data directory.

One process owns a data directory at a time: it holds an exclusive lock on
``<data dir>/devdb.lock`` for as long as it lives and advertises its server in
``<data dir>/server.json`` (``{"uri": …, "pid": …}``), removed when it exits. Other
processes never open the directory themselves; they use the advertised server or none.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

try:
    import fcntl
except ImportError:  # Windows: no lock, the pid and port checks still apply.
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

LOCK_FILE = "devdb.lock"
DISCOVERY_FILE = "server.json"
# Long enough for another process to finish starting (or stopping) its server.
_WAIT_SECONDS = 15.0


@dataclass(frozen=True)
class RunningServer:
    """An embedded server advertised in a data directory."""

    uri: str
    pid: int


class _Lock:
    """A non-blocking lock on a file of the data directory (released when the fd closes)."""

    def __init__(self, path: Path) -> None:
        self._file: IO[bytes] | None = path.open("ab")

    def acquire(self, shared: bool = False) -> bool:
        if fcntl is None:
            return True
        assert self._file is not None
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        try:
            fcntl.flock(self._file.fileno(), mode | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # Alive, but someone else's.
        return True
    return True


def _port_answers(uri: str) -> bool:
    parts = urlsplit(uri)
    if parts.hostname is None or parts.port is None:
        return False
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=1):
            return True
    except OSError:
        return False


def _read_discovery_file(data_dir: Path) -> RunningServer | None:
    try:
        raw = json.loads((data_dir / DISCOVERY_FILE).read_text(encoding="utf-8"))
        server = RunningServer(uri=str(raw["uri"]), pid=int(raw["pid"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if server.pid == os.getpid() or not _pid_alive(server.pid):
        return None
    return server if _port_answers(server.uri) else None


def find_running_server(data_dir: Path) -> RunningServer | None:
    """The server another process runs on ``data_dir``, or ``None``; starts nothing.

    A server counts only while its process holds the directory's lock, is alive and
    accepts connections on the advertised port, so a file left behind by a killed
    process is ignored.
    """
    if not (data_dir / DISCOVERY_FILE).exists():
        return None
    lock = _Lock(data_dir / LOCK_FILE)
    try:
        if fcntl is not None and lock.acquire(shared=True):
            return None  # Nobody holds the directory: the file is stale.
    finally:
        lock.close()
    return _read_discovery_file(data_dir)


def serve_embedded_server(data_dir: Path) -> tuple[str, bool]:
    """The URI of the server on ``data_dir``, starting it if no process runs one.

    Returns ``(uri, started)``. A server started here is advertised in ``server.json``
    and stopped at interpreter exit. Raises ``ImproperlyConfigured`` when SecantusDB is
    not installed, or when the directory stays held by a process that advertises no
    server.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + _WAIT_SECONDS
    while True:
        lock = _Lock(data_dir / LOCK_FILE)
        if lock.acquire():
            return _start(data_dir, lock), True
        lock.close()
        running = _read_discovery_file(data_dir)
        if running is not None:
            return running.uri, False
        if time.monotonic() > deadline:
            raise ImproperlyConfigured(
                f"The embedded database directory {data_dir} is held by another process "
                "that serves no database. Stop it, or set VELT_EXAMPLE_DATA_DIR or "
                "VELT_MONGODB_URI."
            )
        time.sleep(0.2)


def _start(data_dir: Path, lock: _Lock) -> str:
    try:
        from secantus import SecantusDBServer
    except ImportError:
        lock.close()
        raise ImproperlyConfigured(
            'The embedded database needs SecantusDB: pip install -e ".[example]", '
            "or set VELT_MONGODB_URI."
        ) from None
    try:
        server = SecantusDBServer(host="127.0.0.1", port=0, storage_path=str(data_dir))
        server.start()
    except Exception as err:  # WiredTiger raises its own error types.
        lock.close()
        # Not chained: the user needs this sentence, not WiredTiger's internals.
        raise ImproperlyConfigured(
            f"Could not start the embedded SecantusDB server in {data_dir} "
            f"({type(err).__name__}: {err}). Set VELT_EXAMPLE_DATA_DIR or VELT_MONGODB_URI."
        ) from None
    uri = str(server.uri)
    discovery = data_dir / DISCOVERY_FILE
    partial = discovery.with_name(f".{DISCOVERY_FILE}.{os.getpid()}")
    partial.write_text(json.dumps({"uri": uri, "pid": os.getpid()}), encoding="utf-8")
    partial.replace(discovery)
    atexit.register(_stop, server, discovery, lock, os.getpid())
    _exit_cleanly_on_sigterm()
    return uri


def _stop(server: Any, discovery: Path, lock: _Lock, owner_pid: int) -> None:
    if os.getpid() != owner_pid:
        # A forked child (e.g. a gunicorn worker under --preload) inherits this handler
        # and a copy of the server; stopping that copy would corrupt the owner's files.
        return
    from velt_django.repository import close_client

    # Withdraw the advertisement first, so nobody picks up a server about to stop.
    discovery.unlink(missing_ok=True)
    close_client()
    server.stop()
    lock.close()


def _raise_system_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _exit_cleanly_on_sigterm() -> None:
    # SIGTERM's default action skips atexit, leaving WiredTiger to recover on the next
    # start. runserver's autoreloader and WSGI servers (gunicorn, uwsgi) install their
    # own handler, which is kept; off the main thread a handler cannot be installed.
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _raise_system_exit)
