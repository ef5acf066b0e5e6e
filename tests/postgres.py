"""The PostgreSQL tier's server: a private cluster of the test session's own, or the server
``VELT_TEST_POSTGRES_URL`` names.

``PostgresCluster`` runs ``initdb`` and ``pg_ctl`` on a temporary directory with a free
loopback port (its Unix socket in the same directory). PostgreSQL refuses to run as root,
so under root the cluster's files belong to, and its commands run as, the unprivileged
``nobody`` user. ``stop()`` and ``start()`` may be called mid-test (outage tests); the
port stays the same, so Django's connection settings stay valid across a restart.

The tests that run a command on either backend configure the PostgreSQL one with
``use_postgresql_target`` and read what it stored with ``table_snapshot``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

#: The environment variable naming an existing server for the tier
#: (``postgres://user:password@host:port/``; a database in the path is ignored); the user
#: needs CREATEDB, since Django creates (and drops) its
#: ``test_velt`` database there.
EXTERNAL_URL_ENV = "VELT_TEST_POSTGRES_URL"
#: ``1``: the test alias uses psycopg's server-side binding (``OPTIONS``), as a
#: deployment that turns it on does (tests/test_server_side_binding.py).
SERVER_SIDE_BINDING_ENV = "VELT_TEST_POSTGRES_SERVER_SIDE_BINDING"

#: The unprivileged user the cluster runs as when the tests run as root.
_UNPRIVILEGED_USER = "nobody"

#: Debian's layout: one bin directory per major version.
_DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"


def find_bin_dir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``: ``PATH`` first, then Debian's
    ``/usr/lib/postgresql/<version>/bin`` (newest version); ``None`` when neither has
    them."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    candidates = sorted(
        Path("/").glob(_DEBIAN_BIN_GLOB.lstrip("/")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    for bin_dir in reversed(candidates):
        if (bin_dir / "initdb").exists() and (bin_dir / "pg_ctl").exists():
            return bin_dir
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresCluster:
    """A private PostgreSQL cluster in a temporary directory (see the module docstring).

    ``create()`` runs ``initdb`` and starts the server; ``destroy()`` stops it and
    removes the directory. Connection settings: ``host``, ``port``, ``user``,
    ``dbname`` (the maintenance database ``postgres``), ``url``.
    """

    can_restart = True
    user = "postgres"
    password = ""
    dbname = "postgres"
    host = "127.0.0.1"

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="velt-pg-"))
        self.data_dir = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.log_file = self.root / "server.log"
        self.running = False
        self._run_as = _UNPRIVILEGED_USER if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"

    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bin_dir / program), *args]
        if self._run_as is not None:
            return ["runuser", "-u", self._run_as, "--", *command]
        return command

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(
            self._command(program, *args),
            capture_output=True,
            text=True,
            check=False,
            cwd=self.root,
        )
        if result.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise RuntimeError(
                f"{program} {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}{log}"
            )

    def create(self) -> None:
        self.socket_dir.mkdir()
        if self._run_as is not None:
            shutil.chown(self.root, user=self._run_as)
            shutil.chown(self.socket_dir, user=self._run_as)
        self._run(
            "initdb",
            "--pgdata",
            str(self.data_dir),
            "--username",
            self.user,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
        )
        self.start()

    def start(self) -> None:
        """Start the server (the first time, or again after ``stop()``) and wait until it
        accepts connections."""
        options = (
            f"-p {self.port} -c listen_addresses={self.host}"
            f" -c unix_socket_directories={self.socket_dir} -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "start",
            "--pgdata",
            str(self.data_dir),
            "--log",
            str(self.log_file),
            "--options",
            options,
            "--wait",
            "--timeout",
            "60",
        )
        self.running = True

    def stop(self) -> None:
        """Stop the server (fast shutdown: open connections are closed by the server)."""
        self._run(
            "pg_ctl", "stop", "--pgdata", str(self.data_dir), "--mode", "fast", "--wait"
        )
        self.running = False

    def destroy(self) -> None:
        try:
            if self.running:
                self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class ExternalPostgres:
    """The server ``VELT_TEST_POSTGRES_URL`` names: the tests may not stop or start it,
    so outage tests skip themselves on it (``can_restart`` is false)."""

    can_restart = False

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("postgres", "postgresql"):
            raise ValueError(f"{EXTERNAL_URL_ENV} must be a postgres:// URL")
        self.url = url
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 5432
        self.user = unquote(parts.username or "postgres")
        self.password = unquote(parts.password or "")
        self.dbname = unquote(parts.path.lstrip("/")) or "postgres"
        self.running = True

    def stop(self) -> None:
        raise RuntimeError(f"the server named by {EXTERNAL_URL_ENV} cannot be stopped")

    def start(self) -> None:
        raise RuntimeError(f"the server named by {EXTERNAL_URL_ENV} cannot be started")


#: The name of the test settings' PostgreSQL alias (tests/settings.py).
ALIAS = "velt_pg"


def configure_alias(
    databases: dict[str, Any], server: PostgresCluster | ExternalPostgres
) -> None:
    """Point ``DATABASES[ALIAS]`` at ``server``, in place: Django's connection handler
    keeps the same dict, so connections made later see the new values. ``NAME`` stays
    the settings' (``velt``): Django creates and drops ``test_velt`` on the server."""
    entry = databases[ALIAS]
    entry.update(
        {
            "HOST": server.host,
            "PORT": str(server.port),
            "USER": server.user,
            "PASSWORD": server.password,
        }
    )
    if os.environ.get(SERVER_SIDE_BINDING_ENV) == "1":
        entry.setdefault("OPTIONS", {})["server_side_binding"] = True


def use_postgresql_target(settings: Any) -> None:
    """``VELT`` (of pytest-django's ``settings`` fixture) with the PostgreSQL backend on
    the test alias as the store the test's commands read and write, the repository user
    directory, and no MongoDB of velt_django's (no URI)."""
    velt = {k: v for k, v in settings.VELT.items() if k != "MONGODB_URI"}
    settings.VELT = {
        **velt,
        "STORAGE_BACKEND": "postgresql",
        "DATABASE_ALIAS": ALIAS,
        "USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory",
    }


def table_snapshot(tables: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Every row of the PostgreSQL backend's ``tables`` (named as the MongoDB collections
    they stand for) on the test alias, by table: JSON-comparable dicts of every column,
    in primary-key order."""
    from django.apps import apps

    models = {
        model._meta.db_table: model
        for model in apps.get_app_config("velt_django").get_models()
    }
    return {
        table: [
            json.loads(json.dumps(row, default=str))
            for row in models[table]
            ._default_manager.using(ALIAS)
            .order_by("pk")
            .values()
        ]
        for table in tables
    }
