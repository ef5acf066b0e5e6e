"""``manage.py velt_resolver_token``: print a resolver token (last line of output)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...exceptions import VeltConfigurationError
from ...tokens.minting import issue_token


class Command(BaseCommand):
    help = (
        "Sign a resolver token (VELT['RESOLVER_TOKEN']) for a user and organizations; "
        "the token is the last line of the output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--user", required=True, help="Velt user id (the sub claim)."
        )
        parser.add_argument(
            "--organization",
            action="append",
            required=True,
            dest="organizations",
            help="An organization id the token opens; repeat for several.",
        )
        parser.add_argument(
            "--ttl",
            type=int,
            default=None,
            help="Lifetime in seconds (default RESOLVER_TOKEN['TTL'], at most "
            "RESOLVER_TOKEN['MAX_TTL'] when set).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The server refuses a token with an empty sub, and an empty organization id
        # would stand for "no organization" in access checks: refuse both here.
        user_id = options["user"].strip()
        organizations = [org.strip() for org in options["organizations"]]
        if not user_id:
            raise CommandError("--user must not be empty.")
        if not all(organizations):
            raise CommandError("--organization must not be empty.")
        ttl = options["ttl"]
        if ttl is not None and ttl <= 0:
            raise CommandError("--ttl must be a positive number of seconds.")
        try:
            minted = issue_token(user_id, organizations, ttl)
        except (VeltConfigurationError, ValueError) as err:
            raise CommandError(str(err)) from err
        expires = datetime.datetime.fromtimestamp(
            minted.expires_at, datetime.timezone.utc
        )
        self.stdout.write(
            f"Resolver token for user {user_id}, "
            f"{len(organizations)} organization(s), "
            f"expires {expires.isoformat()}:"
        )
        self.stdout.write(minted.token)
