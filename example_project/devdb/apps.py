"""App config that gives the example project a database when none is configured."""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path

from django.apps import AppConfig
from django.conf import settings

from .server import find_running_server, serve_embedded_server

logger = logging.getLogger(__name__)


def _wants_embedded_database() -> bool:
    """DEBUG on, records in MongoDB (not ``STORAGE_BACKEND`` ``"postgresql"``, which
    ``VELT_DATABASE_URL`` selects), and no ``VELT_MONGODB_URI``."""
    return (
        bool(settings.DEBUG)
        and settings.VELT.get("STORAGE_BACKEND", "mongodb") == "mongodb"
        and not settings.VELT.get("MONGODB_URI")
    )


def no_database() -> bool:
    """Whether this process has no database: DEBUG on, records in MongoDB, no
    ``VELT_MONGODB_URI``, and no embedded server running (after ``ready()`` found none)."""
    return _wants_embedded_database()


def no_database_help() -> str:
    """What to do when :func:`no_database` holds."""
    return (
        "no database configured: VELT_MONGODB_URI is not set and no embedded "
        f"SecantusDB server is running for {settings.EXAMPLE_DATA_DIR}. Start "
        "`manage.py runserver` in another shell (other commands then use its "
        "database) or set VELT_MONGODB_URI."
    )


def migrate_user_database() -> None:
    """Apply the migrations of the SQLite database holding the demo's users (Django's
    user model is velt_django's default user directory), so that a fresh checkout
    serves ``users/get`` without a separate ``migrate``. DEBUG only; concurrent workers
    take turns through a lock file."""
    if not settings.DEBUG:
        return
    data_dir = Path(settings.EXAMPLE_DATA_DIR)
    data_dir.mkdir(parents=True, exist_ok=True)
    from django.core.management import call_command

    with open(data_dir / "migrate.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            call_command("migrate", interactive=False, verbosity=0)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def serve_database() -> None:
    """Give a process that serves requests a database: start SecantusDB, or reuse one.

    Called by ``example_project.wsgi`` when it builds the WSGI application, which only a
    serving process does. Applies the user database's migrations first (DEBUG only).
    Starts nothing when DEBUG is off, ``VELT["MONGODB_URI"]`` is set or the records are
    in PostgreSQL (``VELT_DATABASE_URL``). Raises
    ``ImproperlyConfigured`` when no server can be started.
    """
    migrate_user_database()
    if settings.EXAMPLE_OPEN_ACCESS:
        # Said here, once per serving process (the settings silence velt.W002, which
        # every manage.py command would print otherwise).
        logger.warning(
            "velt example: DEBUG is on and no access policy is configured, so /velt/ "
            "accepts UNAUTHENTICATED calls for EVERY organization (allow_all). "
            "Development only: set VELT_ORGANIZATION_ACCESS and "
            "VELT_AUTHENTICATION_CLASSES before exposing it."
        )
    if not _wants_embedded_database():
        return
    data_dir = Path(settings.EXAMPLE_DATA_DIR)
    uri, started = serve_embedded_server(data_dir)
    settings.VELT["MONGODB_URI"] = uri
    if not started:
        logger.info(
            "velt example: using the embedded SecantusDB dev server at %s (data in %s)",
            uri,
            data_dir,
        )
        return
    from velt_django.repository import ensure_indexes

    ensure_indexes()
    logger.info(
        "velt example: no VELT_MONGODB_URI set; started embedded SecantusDB dev "
        "server at %s (data in %s)",
        uri,
        data_dir,
    )


class DevDBConfig(AppConfig):
    """Points ``VELT["MONGODB_URI"]`` at the embedded dev server when one runs.

    With DEBUG on and no URI configured, every process looks for the server that a
    serving process advertises in the data directory (see ``server.py``) and uses it;
    nothing is started here. velt_django itself never starts a database; this demo app
    does, so that the example runs on a fresh checkout with nothing else installed.
    """

    name = "example_project.devdb"
    label = "devdb"
    verbose_name = "Example development database"

    def ready(self) -> None:
        if _wants_embedded_database():
            running = find_running_server(Path(settings.EXAMPLE_DATA_DIR))
            if running is not None:
                settings.VELT["MONGODB_URI"] = running.uri
                logger.info(
                    "velt example: using the embedded SecantusDB dev server of "
                    "process %d at %s",
                    running.pid,
                    running.uri,
                )
