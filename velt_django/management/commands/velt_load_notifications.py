"""``manage.py velt_load_notifications FILE|- --organization ORG``: store custom
notification PII from a JSON array or JSON Lines file (docs/notifications.md,
"Loading in bulk")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from velt_django import notifications
from velt_django.exceptions import VeltConfigurationError, VeltError
from velt_django.management.base import LoadRecordsCommand


class Command(LoadRecordsCommand):
    help = (
        "Store the PII of custom notifications (a JSON array, or JSON Lines: one Velt "
        "notification object per line) for one organization. Safe to repeat: records "
        "are upserted by (organization, notificationId) with the merge rule."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--organization",
            required=True,
            metavar="ORG",
            help="Organization id the notifications belong to.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        text = self.read(options["file"], options.get("stdin"))
        organization = options["organization"]
        try:
            count = notifications.load(organization, text)
        except (VeltError, VeltConfigurationError) as err:
            # Messages name the line and the field, never the content (PII).
            raise CommandError(f"could not load notifications: {err}") from err
        self.stdout.write(
            self.style.SUCCESS(
                f"Stored {count} notification(s) for organization {organization}."
            )
        )
