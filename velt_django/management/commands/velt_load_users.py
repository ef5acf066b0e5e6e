"""``manage.py velt_load_users FILE|- [--organization ORG]``: upsert Velt users into the
configured user directory (CONTRACT §14.3)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from velt_django import users
from velt_django.exceptions import VeltConfigurationError, VeltError


class Command(BaseCommand):
    help = (
        "Create or update users (a JSON array, or JSON Lines: one Velt User object per "
        'line) in the directory VELT["USER_DIRECTORY_CLASS"] names: the Django user '
        'model through VELT["USER_FIELDS"], or the velt_users collection. Safe to '
        "repeat."
    )
    # call_command(..., stdin=io.StringIO(...)) stands in for standard input.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", metavar="FILE", help="File to read, or - for standard input."
        )
        parser.add_argument(
            "--organization",
            metavar="ORG",
            default=None,
            help="Organization id every user is added to (besides the organizationId "
            "/ organizationIds of each user object).",
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
        organization = options["organization"] or None
        try:
            count = users.load(text, organization)
        except (VeltError, VeltConfigurationError) as err:
            # Messages name the line and the field, never the content (PII).
            raise CommandError(f"could not load users: {err}") from err
        where = f" (organization {organization})" if organization else ""
        self.stdout.write(self.style.SUCCESS(f"Stored {count} user(s){where}."))
