"""``manage.py velt_token``: print a Velt user JWT from the REST API (last line)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...client import PermissionResource, VeltClient
from ...exceptions import VeltAPIError, VeltConfigurationError


class Command(BaseCommand):
    help = (
        "Ask Velt's REST API (v2/auth/generate_token) for the JWT a user's browser "
        "passes to Velt's identify(); the token is the last line of the output. "
        "Credentials: VELT['API_KEY'] and VELT['AUTH_TOKEN'], or the VELT_API_KEY and "
        "VELT_AUTH_TOKEN environment variables."
    )

    # Only the REST API settings matter here: an unrelated system check error (say, no
    # MONGODB_URI on an operator's machine) must not block a token.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user-id", required=True, help="Velt user id.")
        parser.add_argument(
            "--organization",
            required=True,
            help="Organization id the token opens (as in identify's organizationId).",
        )
        parser.add_argument(
            "--document",
            action="append",
            default=[],
            dest="documents",
            help="A document id of the organization to grant as well; repeat for several.",
        )
        parser.add_argument(
            "--access-role",
            choices=("viewer", "editor"),
            help="Access role on every resource (default: the app's role mapping).",
        )
        parser.add_argument(
            "--admin", action="store_true", help="Mark the user as an admin."
        )
        parser.add_argument("--email", help="The user's e-mail address.")
        parser.add_argument("--name", help="The user's display name.")
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print one JSON object (token, userId, organizationId) instead.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user_id = options["user_id"].strip()
        organization = options["organization"].strip()
        if not user_id or not organization:
            raise CommandError("--user-id and --organization must not be empty.")
        email = options["email"]
        if email is not None and "@" not in email:
            raise CommandError("--email must be an e-mail address.")
        role = options["access_role"]
        resources: list[PermissionResource] = [
            {"type": "organization", "id": organization}
        ]
        for document in options["documents"]:
            if not document.strip():
                raise CommandError("--document must not be empty.")
            resources.append(
                {"type": "document", "id": document, "organizationId": organization}
            )
        if role is not None:
            for resource in resources:
                resource["accessRole"] = role

        client = VeltClient()
        try:
            token = client.user_token(
                user_id=user_id,
                resources=resources,
                is_admin=True if options["admin"] else None,
                name=options["name"],
                email=email,
            )
        except VeltConfigurationError as err:
            raise CommandError(str(err)) from err
        except VeltAPIError as err:
            raise CommandError(f"the Velt token request failed: {err}") from err
        finally:
            client.close()

        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"token": token, "userId": user_id, "organizationId": organization}
                )
            )
            return
        self.stdout.write(
            f"Velt token for user {user_id} in organization {organization} "
            f"({len(resources)} resource(s), valid 48 hours):"
        )
        self.stdout.write(token)
