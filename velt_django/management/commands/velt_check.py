"""``manage.py velt_check``: configuration, the database (MongoDB, or PostgreSQL with
``STORAGE_BACKEND = "postgresql"``), indexes, storage and Velt credentials, one line
each; exits non-zero on any failure (a deploy gate or container health check)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from django.core.checks import ERROR, run_checks
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...client import VeltClient
from ...conf import velt_settings
from ...exceptions import VeltAPIError, VeltConfigurationError, VeltError
from ...files.checks import relative_location
from ...progress import command_progress
from ...repository import REPOSITORIES, ActivityRepository
from ...repository.activities import TTL_INDEX
from ...repository.backend import uses_postgresql
from ...repository.connection import acknowledged_write_concern, get_database
from ...repository.errors import translate_errors

#: Looked up, never written: a storage read and a Velt read that change nothing.
PROBE_NAME = "velt-check-probe"
FILE_SCOPES = ("attachment", "recording")


@dataclass
class Result:
    name: str
    status: str  # "ok", "fail" or "skip"
    detail: str
    ms: int | None = None


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


class Command(BaseCommand):
    help = (
        "Check velt_django's deployment: configuration (system checks tagged velt), "
        "MongoDB reachability and write concern (PostgreSQL reachability and applied "
        'migrations with STORAGE_BACKEND "postgresql"), indexes, file storages and the '
        "Velt API credentials. Prints one line per check and exits non-zero on any "
        "failure."
    )
    # The configuration is one of the checks: a system check error must be reported
    # on its line, not stop the command before any line is printed.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--skip-network",
            action="store_true",
            help="Do not call Velt's REST API (the credentials check is skipped).",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help='Print {"ok": ..., "checks": [...]} instead of the lines.',
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.db: Any = None
        self.reachable = False
        # In order: the indexes check uses the database the mongodb check opened.
        database: list[Callable[[], Result]] = [
            self.check_mongodb,
            self.check_write_concern,
            self.check_indexes,
        ]
        if uses_postgresql():
            database = [
                self.check_postgresql,
                self.check_sql_migrations,
                self.check_sql_indexes,
            ]
        steps: list[Callable[[], Result]] = [
            self.check_config,
            *database,
            *[lambda scope=scope: self.check_storage(scope) for scope in FILE_SCOPES],
            lambda: self.check_velt_api(options["skip_network"]),
        ]
        # Counts checks on standard error (a slow one, e.g. an unreachable MongoDB,
        # shows where it is); silent with --verbosity 0.
        progress = command_progress(self.stderr, options["verbosity"])
        progress.start("velt_check", total=len(steps))
        results: list[Result] = []
        for check in steps:
            results.append(check())
            progress.advance()
        progress.finish()

        failed = [r.name for r in results if r.status == "fail"]
        if options["json"]:
            payload = {"ok": not failed, "checks": [asdict(r) for r in results]}
            self.stdout.write(json.dumps(payload))
        else:
            self.write_lines(results)
        if failed:
            raise CommandError(f"{len(failed)} check(s) failed: {', '.join(failed)}")

    def write_lines(self, results: list[Result]) -> None:
        styles = {
            "ok": self.style.SUCCESS,
            "fail": self.style.ERROR,
            "skip": self.style.WARNING,
        }
        for r in results:
            timing = f" ({r.ms} ms)" if r.ms is not None else ""
            label = styles[r.status](f"{r.status.upper():<5}")
            self.stdout.write(f"{label}{r.name:<20}{r.detail}{timing}")
        if all(r.status != "fail" for r in results):
            self.stdout.write(self.style.SUCCESS("All checks passed."))

    # ---- the checks --------------------------------------------------------------

    def check_config(self) -> Result:
        messages = [m for m in run_checks(tags=["velt"]) if not m.is_silenced()]
        errors = sorted({str(m.id) for m in messages if m.level >= ERROR})
        others = sorted({str(m.id) for m in messages if m.level < ERROR})
        if errors:
            return Result("config", "fail", f"system check errors: {', '.join(errors)}")
        detail = "no errors"
        if others:
            detail += f"; warnings: {', '.join(others)}"
        return Result("config", "ok", detail)

    def check_mongodb(self) -> Result:
        started = time.perf_counter()
        try:
            db = get_database()
            with translate_errors("ping"):
                db.command("ping")
        except (VeltConfigurationError, VeltError) as err:
            # The message never holds the URI (it may carry a password).
            return Result("mongodb", "fail", f"unreachable: {err}", _ms(started))
        self.db = db
        return Result("mongodb", "ok", "reachable", _ms(started))

    def check_write_concern(self) -> Result:
        w = velt_settings.WRITE_CONCERN
        if not acknowledged_write_concern(w):
            return Result(
                "write-concern", "fail", f"w={w!r} does not acknowledge writes"
            )
        if self.db is not None:
            # mongomock has no WriteConcern: only a real "False" fails.
            if getattr(self.db.write_concern, "acknowledged", None) is False:
                return Result(
                    "write-concern", "fail", "the database's writes are unacknowledged"
                )
        return Result("write-concern", "ok", f"acknowledged (w={w})")

    def check_indexes(self) -> Result:
        if self.db is None:
            return Result("indexes", "skip", "MongoDB is not reachable")
        started = time.perf_counter()
        missing: list[str] = []
        expected_count = 0
        try:
            for repository in REPOSITORIES:
                expected = [model.document["name"] for model in repository.indexes]
                if (
                    repository is ActivityRepository
                    and velt_settings.ACTIVITY_RETENTION_DAYS is not None
                ):
                    expected.append(TTL_INDEX)
                with translate_errors("index_information"):
                    present = repository(self.db).collection.index_information()
                name = repository.collection_name()
                missing += [
                    f"{name}.{index}" for index in expected if index not in present
                ]
                expected_count += len(expected)
        except VeltError as err:
            return Result(
                "indexes", "fail", f"could not list indexes: {err}", _ms(started)
            )
        if missing:
            return Result(
                "indexes",
                "fail",
                f"missing {', '.join(missing)} (run manage.py velt_ensure_indexes)",
                _ms(started),
            )
        return Result(
            "indexes",
            "ok",
            f"{expected_count} present in {len(REPOSITORIES)} collections",
            _ms(started),
        )

    # ---- the PostgreSQL backend (velt_django.management.postgresql) --------------

    def check_postgresql(self) -> Result:
        from ...management import postgresql

        started = time.perf_counter()
        alias = postgresql.alias()
        try:
            postgresql.ping()
        except VeltError as err:
            # The message never holds the connection settings (nor the server's text).
            detail = f"DATABASES[{alias!r}] unreachable: {err}"
            return Result("postgresql", "fail", detail, _ms(started))
        self.reachable = True
        return Result(
            "postgresql", "ok", f"DATABASES[{alias!r}] reachable", _ms(started)
        )

    def check_sql_migrations(self) -> Result:
        from ...management import postgresql

        if not self.reachable:
            return Result("migrations", "skip", "PostgreSQL is not reachable")
        started = time.perf_counter()
        alias = postgresql.alias()
        try:
            pending = postgresql.unapplied_migrations()
        except VeltError as err:
            detail = f"could not read the applied migrations: {err}"
            return Result("migrations", "fail", detail, _ms(started))
        if pending:
            detail = (
                f"unapplied on {alias}: {', '.join(pending)} "
                f"(run manage.py migrate --database {alias})"
            )
            return Result("migrations", "fail", detail, _ms(started))
        count = len(postgresql.storage_migrations())
        return Result(
            "migrations", "ok", f"{count} storage migrations applied", _ms(started)
        )

    def check_sql_indexes(self) -> Result:
        from ...management import postgresql

        if not self.reachable:
            return Result("indexes", "skip", "PostgreSQL is not reachable")
        started = time.perf_counter()
        try:
            missing, expected = postgresql.missing_indexes()
        except VeltError as err:
            detail = f"could not list indexes: {err}"
            return Result("indexes", "fail", detail, _ms(started))
        if missing:
            detail = f"missing {', '.join(missing)} (run manage.py migrate)"
            return Result("indexes", "fail", detail, _ms(started))
        tables = len(postgresql.expected_indexes())
        return Result(
            "indexes", "ok", f"{expected} present in {tables} tables", _ms(started)
        )

    def check_storage(self, scope: str) -> Result:
        name = f"storage:{scope}"
        alias = velt_settings.storage_alias(scope)
        started = time.perf_counter()
        try:
            storage = storages[alias]
            storage.exists(velt_settings.FILE_KEY_PREFIX + PROBE_NAME)
        except (
            Exception
        ) as err:  # any backend failure fails the check, whatever its type
            detail = f"STORAGES[{alias!r}]: {type(err).__name__}: {str(err)[:200]}"
            return Result(name, "fail", detail, _ms(started))
        backend = type(storage).__name__
        relative = relative_location(alias)
        if relative is not None:
            # It works, but uploads would land wherever the process was started.
            detail = (
                f"STORAGES[{alias!r}] ({backend}) writes under the working directory "
                f"({relative}): give it an absolute location (velt.W053)"
            )
            return Result(name, "fail", detail, _ms(started))
        return Result(
            name, "ok", f"STORAGES[{alias!r}] ({backend}) reachable", _ms(started)
        )

    def check_velt_api(self, skip_network: bool) -> Result:
        if skip_network:
            return Result("velt-api", "skip", "skipped (--skip-network)")
        client = VeltClient()
        if not client.has_api_key:
            return Result(
                "velt-api",
                "skip",
                "not configured (no VELT['API_KEY'] or VELT_API_KEY)",
            )
        if not client.has_credentials:
            return Result(
                "velt-api",
                "fail",
                "API key set but no auth token (VELT['AUTH_TOKEN'] or VELT_AUTH_TOKEN)",
            )
        started = time.perf_counter()
        try:
            # v1 organizations/get answers whatever the console's "advanced queries"
            # switch says; an unknown id makes it cheap and changes nothing.
            client.call(
                "v1/organizations/get",
                {"data": {"organizationIds": [PROBE_NAME]}},
                idempotent=True,
            )
        except VeltAPIError as err:
            return Result(
                "velt-api",
                "fail",
                f"credentials refused or unreachable: {err}",
                _ms(started),
            )
        finally:
            client.close()
        return Result(
            "velt-api", "ok", f"credentials accepted by {client.base_url}", _ms(started)
        )
