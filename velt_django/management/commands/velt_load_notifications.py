"""``manage.py velt_load_notifications FILE|- --organization ORG``: store custom
notification PII from a JSON array or JSON Lines file (CONTRACT §13.5)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from velt_django import notifications
from velt_django.exceptions import VeltConfigurationError, VeltError


class Command(BaseCommand):
    help = (
        "Store the PII of custom notifications (a JSON array, or JSON Lines: one Velt "
        "notification object per line) for one organization. Safe to repeat: records "
        "are upserted by (organization, notificationId) with the merge rule."
    )
    # call_command(..., stdin=io.StringIO(...)) stands in for standard input.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", metavar="FILE", help="File to read, or - for standard input."
        )
        parser.add_argument(
            "--organization",
            required=True,
            metavar="ORG",
            help="Organization id the notifications belong to.",
        )

    def read(self, name: str, stdin: Any) -> str:
        if name == "-":
            source = stdin if stdin is not None else sys.stdin
            data = getattr(source, "buffer", source).read()
            where = "standard input"
        else:
            try:
                with open(name, "rb") as handle:
                    data = handle.read()
            except OSError as err:
                raise CommandError(
                    f"cannot read {name}: {err.strerror or type(err).__name__}"
                ) from err
            where = name
        if isinstance(data, str):
            return data
        try:
            text: str = data.decode("utf-8")
        except UnicodeDecodeError:
            raise CommandError(f"{where} is not UTF-8 text") from None
        return text

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
