"""``manage.py velt_load_users FILE|- [--organization ORG]``: upsert Velt users into the
configured user directory (docs/users.md, "Loading users")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from velt_django import users
from velt_django.exceptions import VeltConfigurationError, VeltError
from velt_django.management.base import LoadRecordsCommand


class Command(LoadRecordsCommand):
    help = (
        "Create or update users (a JSON array, or JSON Lines: one Velt User object per "
        'line) in the directory VELT["USER_DIRECTORY_CLASS"] names: the Django user '
        'model through VELT["USER_FIELDS"], or the velt_users collection. Safe to '
        "repeat."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--organization",
            metavar="ORG",
            default=None,
            help="Organization id every user is added to (besides the organizationId "
            "/ organizationIds of each user object).",
        )

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
