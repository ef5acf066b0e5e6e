"""``manage.py velt_replay_permissions [FILE|-] [--user ID] [--organization ID]``: put a
batch of Velt permission questions to this project's permission provider and show the
answers."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.test import RequestFactory
from django.urls import NoReverseMatch, resolve, reverse

from velt_django.conf import velt_settings
from velt_django.management.base import LoadRecordsCommand

URL_NAME = "velt:permissions-check"


def sample_batch(user_id: str, organization_id: str) -> dict[str, Any]:
    """What Velt sends when ``user_id`` identifies in ``organization_id`` and opens a
    document of a folder there, plus a question about another organization."""

    def ask(kind: str, resource_id: str, source: str, org: str, **extra: Any) -> Any:
        resource = {"id": resource_id, "type": kind, "source": source}
        return {
            "userId": user_id,
            "resource": {**resource, "organizationId": org, **extra},
        }

    return {
        "data": {
            "requests": [
                ask("organization", organization_id, "identify", organization_id),
                ask(
                    "document",
                    "spec-2024-q3",
                    "setDocuments",
                    organization_id,
                    parentFolderId="design-reviews",
                ),
                ask("folder", "design-reviews", "setDocuments", organization_id),
                ask("organization", "globex", "getNotifications", "globex"),
            ]
        }
    }


def describe(result: dict[str, Any]) -> str:
    """One line per answer: the ids asked about and the decision."""
    line = (
        f"{result.get('userId')} {result.get('type')} {result.get('resourceId')} "
        f"(organization {result.get('organizationId')}): "
        f"{'allowed' if result.get('hasAccess') else 'refused'}"
    )
    if result.get("accessRole"):
        line += f", role {result['accessRole']}"
    expires = result.get("expiresAt")
    if isinstance(expires, int):
        when = datetime.datetime.fromtimestamp(expires / 1000, datetime.timezone.utc)
        line += f", expires {when.isoformat(timespec='seconds')}"
    return line


class Command(LoadRecordsCommand):
    help = (
        "Replay a batch of Velt permission questions ({data: {requests: [...]}} from "
        "FILE, - for standard input, or a built-in sample for --user in "
        "--organization) against this project's permission provider "
        "(velt:permissions-check), in process, with VELT['PERMISSION_PROVIDER_TOKEN'] "
        "as Velt sends it. Prints the answer and one line per decision."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            metavar="FILE",
            nargs="?",
            help="Batch to send, or - for standard input (default: a built-in sample).",
        )
        parser.add_argument(
            "--user", default="u1", help="Velt user id of the built-in sample (u1)."
        )
        parser.add_argument(
            "--organization",
            default="acme-corp",
            help="Organization of the built-in sample (acme-corp).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["file"] is None:
            raw = json.dumps(sample_batch(options["user"], options["organization"]))
        else:
            raw = self.read(options["file"], options.get("stdin"))
        token = velt_settings.PERMISSION_PROVIDER_TOKEN
        if token is None:
            raise CommandError(
                "set VELT['PERMISSION_PROVIDER_TOKEN']: the permission provider "
                "answers 404 until it is set"
            )
        try:
            path = reverse(URL_NAME)
        except NoReverseMatch:
            raise CommandError(
                f"{URL_NAME} is not mounted: include velt_django.urls (or "
                "permission_patterns) under the velt namespace"
            ) from None
        request = RequestFactory().post(
            path,
            raw,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        match = resolve(path)
        response = match.func(request, *match.args, **match.kwargs)
        answer = response.content.decode("utf-8", "replace")
        self.stdout.write(f"POST {path} -> {response.status_code} {answer}")
        if response.status_code >= 400:
            raise CommandError(f"the permission provider refused the batch ({answer})")
        for result in json.loads(answer).get("data") or []:
            self.stdout.write(describe(result))
