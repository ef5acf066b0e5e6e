"""``manage.py velt_import_velt_py``: move a database written by the velt-py SDK (on
MongoDB, or in its PostgreSQL tables) into velt_django's collections, or its tables with
``STORAGE_BACKEND = "postgresql"`` (idempotent)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from velt_django.conf import velt_settings
from velt_django.exceptions import (
    DatabaseUnavailableError,
    VeltConfigurationError,
    VeltError,
)
from velt_django.progress import command_progress
from velt_django.repository import velt_py
from velt_django.repository.backend import uses_postgresql
from velt_django.repository.velt_py_postgres import is_postgres_uri
from velt_django.velt_py_import import Importer, collection_names

#: velt_django's own database, where the import writes (MongoDB).
TARGET = 'the target database (VELT["MONGODB_URI"])'


def _target() -> str:
    """velt_django's own database on the configured backend."""
    if uses_postgresql():
        return f'the target database (DATABASES["{velt_settings.DATABASE_ALIAS}"])'
    return TARGET


def _which(err: DatabaseUnavailableError) -> str:
    """The outage, naming the source or the target database."""
    if err.database != "the database":
        return str(err)  # the source (velt_py.SOURCE), or another named database
    if str(err) == "the database is unavailable":
        return f"{_target()} is unavailable"
    return f"{_target()}: {err}"


def _json_object(text: str, option: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise CommandError(f"{option} is not valid JSON") from None
    if not isinstance(value, dict):
        raise CommandError(f"{option} must be a JSON object")
    return value


class Command(BaseCommand):
    help = (
        "Import the comment, reaction and recorder annotations, activities, custom "
        "notifications, users and attachment records of a velt-py database. Records "
        "are stored as if Velt had saved them; records without an organization are "
        "counted and left out, and so are fields holding NaN or an infinite number "
        "(the summary names them). Safe to repeat: a record that would not change is "
        "skipped, so a second run writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source-uri",
            required=True,
            metavar="URI",
            help="Connection string of the velt-py database's server: mongodb://… "
            "(or mongodb+srv://…), or postgres://… / postgresql://… for velt-py's "
            "PostgreSQL storage.",
        )
        parser.add_argument(
            "--source-db",
            metavar="NAME",
            default=None,
            help="velt-py database name; required for MongoDB, for PostgreSQL it "
            "overrides the database named in the URI.",
        )
        parser.add_argument(
            "--source-schema",
            metavar="NAME",
            default=None,
            help="PostgreSQL schema holding velt-py's tables (default: public); "
            "PostgreSQL sources only.",
        )
        parser.add_argument(
            "--collections-map",
            metavar="JSON",
            default=None,
            help="velt-py collection (or PostgreSQL table) names that differ from its "
            "defaults, e.g. "
            '\'{"comment_annotations": "comments", "users": null}\' (null skips one). '
            "Keys: comment_annotations, reaction_annotations, recorder_annotations, "
            "activities, notifications, users, attachments.",
        )
        parser.add_argument(
            "--user-fields",
            metavar="JSON",
            default=None,
            help="Velt User keys to velt-py user fields (dotted paths allowed), e.g. "
            '\'{"userId": "uid", "name": "profile.fullName", "email": "email"}\'. '
            "Default: the User keys (userId, name, email, photoUrl, …) under their "
            "own names; other fields are never imported.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be imported; write nothing.",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print the summary as one JSON object.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        overrides = None
        if options.get("collections_map"):
            overrides = _json_object(options["collections_map"], "--collections-map")
        try:
            names = collection_names(overrides)
        except ValueError as err:
            raise CommandError(f"--collections-map: {err}") from None
        user_fields = None
        if options.get("user_fields"):
            user_fields = _json_object(options["user_fields"], "--user-fields")
            if not all(isinstance(v, str) and v for v in user_fields.values()):
                raise CommandError("--user-fields values must be field names")
            if "userId" not in user_fields:
                raise CommandError("--user-fields must map userId")
        dry_run = bool(options.get("dry_run"))
        progress = command_progress(self.stderr, options["verbosity"])
        postgres = is_postgres_uri(options["source_uri"])
        if not postgres and not options.get("source_db"):
            raise CommandError("--source-db is required for a MongoDB source")
        if not postgres and options.get("source_schema") is not None:
            raise CommandError(
                "--source-schema applies to a PostgreSQL source (postgres://…) only"
            )
        if postgres and options.get("source_schema") == "":
            raise CommandError("--source-schema must not be empty")
        try:
            source = velt_py.open_source(
                options["source_uri"], options["source_db"], options["source_schema"]
            )
        except (VeltError, VeltConfigurationError) as err:
            raise CommandError(f"cannot open the source database: {err}") from err
        try:
            present = source.collection_names()
            wanted = {name for name in names.values() if name}
            if not wanted & present:
                raise CommandError(source.none_found_message())
            results = Importer(
                source, names, dry_run, progress, user_fields=user_fields
            ).run()
        except DatabaseUnavailableError as err:
            raise CommandError(f"import failed: {_which(err)}") from err
        except (VeltError, VeltConfigurationError) as err:
            raise CommandError(f"import failed: {err}") from err
        finally:
            source.close()
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "dryRun": dry_run,
                        "collections": {k: v.as_dict() for k, v in results.items()},
                    }
                )
            )
            return
        for name, counts in results.items():
            if not counts.found:
                why = "skipped" if counts.source is None else "not in the source"
                self.stdout.write(f"{name}: {why}")
                continue
            self.stdout.write(
                f"{name} ({counts.source} -> {counts.target}): "
                f"{counts.imported} {'to import' if dry_run else 'imported'}, "
                f"{counts.unchanged} unchanged, "
                f"{counts.skipped_without_organization} without organization, "
                f"{counts.invalid} invalid"
            )
            for record_id, paths in counts.dropped_fields:
                self.stdout.write(
                    f"  {record_id}: left out {', '.join(paths)} "
                    "(NaN or infinite number)"
                )
        total = sum(c.imported for c in results.values())
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(self.style.SUCCESS(f"{verb} {total} record(s)."))
