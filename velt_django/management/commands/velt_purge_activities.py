"""``manage.py velt_purge_activities``: delete stored activities of one organization
(docs/activities.md, "Retention and purge"), optionally only of one document and/or
older than N days; or, with ``--expired``, the activities past
``VELT["ACTIVITY_RETENTION_DAYS"]`` in every organization (PostgreSQL, which has no
TTL index: on MongoDB the TTL index deletes them itself)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from velt_django.conf import velt_settings
from velt_django.exceptions import VeltConfigurationError, VeltError
from velt_django.repository.activities import ActivityRepository
from velt_django.repository.backend import resolve, uses_postgresql


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise CommandError("--older-than-days must be a positive integer") from None
    if value <= 0:
        raise CommandError("--older-than-days must be a positive integer")
    return value


class Command(BaseCommand):
    help = (
        "Delete the stored activities of one organization, optionally only of one "
        "document and/or created more than N days ago. Velt never deletes activities "
        "itself. --expired deletes the activities past ACTIVITY_RETENTION_DAYS "
        'in every organization (STORAGE_BACKEND "postgresql"; MongoDB\'s TTL index '
        "does it by itself)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--organization", help="Organization id.")
        which.add_argument(
            "--expired",
            action="store_true",
            help="Every organization's activities older than "
            'VELT["ACTIVITY_RETENTION_DAYS"] (what MongoDB\'s TTL index deletes; '
            "run it on a schedule with the PostgreSQL backend).",
        )
        parser.add_argument("--document", help="Only activities of this document id.")
        parser.add_argument(
            "--older-than-days",
            type=_positive_int,
            help="Only activities created more than this many days ago.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be deleted; delete nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("expired"):
            self.purge_expired(options)
            return
        organization = options["organization"]
        if not organization:
            raise CommandError("--organization must not be empty")
        days = options["older_than_days"]
        older_than = None
        if days is not None:
            # Also validated here: call_command(..., older_than_days=0) skips argparse.
            days = _positive_int(str(days))
            now = datetime.datetime.now(datetime.timezone.utc)
            older_than = now - datetime.timedelta(days=days)
        dry_run = bool(options["dry_run"])
        try:
            count = resolve(ActivityRepository)().purge(
                organization, options["document"], older_than, dry_run=dry_run
            )
        except (VeltError, VeltConfigurationError) as err:
            raise CommandError(f"could not purge activities: {err}") from err
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {count} activit{'y' if count == 1 else 'ies'} "
                f"of organization {organization}."
            )
        )

    def purge_expired(self, options: dict[str, Any]) -> None:
        for option in ("organization", "document", "older_than_days"):
            if options.get(option) is not None:
                flag = "--" + option.replace("_", "-")
                raise CommandError(f"--expired cannot be combined with {flag}")
        days = velt_settings.ACTIVITY_RETENTION_DAYS
        if days is None:
            self.stdout.write(
                'No activity expires: VELT["ACTIVITY_RETENTION_DAYS"] is not set.'
            )
            return
        if not uses_postgresql():
            self.stdout.write(
                "Nothing to purge: on MongoDB the TTL index deletes activities older "
                f"than {days} days by itself (manage.py velt_ensure_indexes creates it)."
            )
            return
        from velt_django.repository.sql import SqlActivityRepository

        dry_run = bool(options["dry_run"])
        try:
            count = SqlActivityRepository().purge_expired(dry_run=dry_run)
        except (VeltError, VeltConfigurationError) as err:
            raise CommandError(f"could not purge activities: {err}") from err
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {count} expired activit{'y' if count == 1 else 'ies'} "
                f"(older than {days} days) in every organization."
            )
        )
