"""``manage.py velt_purge_activities``: delete stored activities of one organization
(docs/activities.md, "Retention and purge"), optionally only of one document and/or
older than N days."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from velt_django.exceptions import VeltConfigurationError, VeltError
from velt_django.repository.activities import ActivityRepository
from velt_django.repository.backend import resolve


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
        "itself."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", required=True, help="Organization id.")
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
