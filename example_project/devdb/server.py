"""Starts the embedded SecantusDB server and stops it when the process exits."""

from __future__ import annotations

import atexit
import logging
import signal
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV

logger = logging.getLogger(__name__)


def in_reloader_parent(argv: Sequence[str], environ: Mapping[str, str]) -> bool:
    """True in the process of ``runserver`` that only watches files for the autoreloader.

    That process never serves requests, and a database opened there would lock the data
    directory that the serving child process (``RUN_MAIN=true``) needs.
    """
    return (
        len(argv) > 1
        and argv[1] == "runserver"
        and "--noreload" not in argv
        and environ.get(DJANGO_AUTORELOAD_ENV) != "true"
    )


def start_embedded_server(data_dir: Path) -> str:
    """Start SecantusDB on a free loopback port with its data in ``data_dir``; return its URI.

    The server is stopped at interpreter exit. Raises ``ImproperlyConfigured`` when
    SecantusDB is not installed or cannot open ``data_dir``.
    """
    try:
        from secantus import SecantusDBServer
    except ImportError as err:
        raise ImproperlyConfigured(
            'The embedded database needs SecantusDB: pip install -e ".[example]", '
            "or set VELT_MONGODB_URI."
        ) from err
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        server = SecantusDBServer(host="127.0.0.1", port=0, storage_path=str(data_dir))
        server.start()
    except Exception as err:  # WiredTiger raises its own error types, e.g. a busy lock.
        raise ImproperlyConfigured(
            f"Could not start the embedded SecantusDB server in {data_dir} "
            f"({type(err).__name__}). Is another process using that directory? "
            "Stop it, or set VELT_EXAMPLE_DATA_DIR or VELT_MONGODB_URI."
        ) from err
    atexit.register(_stop, server)
    _exit_cleanly_on_sigterm()
    return str(server.uri)


def _stop(server: Any) -> None:
    from velt_django.repository import close_client

    close_client()
    server.stop()


def _raise_system_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _exit_cleanly_on_sigterm() -> None:
    # SIGTERM's default action skips atexit, leaving WiredTiger to recover on the next
    # start. Servers that install their own handler (gunicorn, uwsgi) keep it.
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _raise_system_exit)
