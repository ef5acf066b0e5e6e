"""``manage.py velt_replay_webhook FILE|- [--encode] [--svix]``: send a sample Velt
webhook delivery through this project's receiver and show what it produced."""

from __future__ import annotations

import base64
import datetime
import json
import uuid
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.test import RequestFactory
from django.urls import NoReverseMatch, resolve, reverse

from velt_django.conf import velt_settings
from velt_django.management.base import LoadRecordsCommand
from velt_django.signals import webhook_received
from velt_django.webhooks import VeltWebhookEvent

URL_NAME = "velt:webhooks-velt"


def _ids(users: Any) -> str:
    return ",".join(u.user_id for u in users) or "-"


class Command(LoadRecordsCommand):
    help = (
        "Replay a Velt webhook delivery (a JSON object from FILE, or - for standard "
        "input) against this project's receiver (velt:webhooks-velt), in process, "
        "authenticated like Velt would: with VELT['WEBHOOK_AUTH_TOKEN'], or signed with "
        "VELT['WEBHOOK_SIGNING_SECRET']. Prints the answer and each webhook_received "
        "event; notification e-mails go through EMAIL_BACKEND (the console backend "
        "prints them). Replaying the same delivery id again is skipped as a retry."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--encode",
            action="store_true",
            help="Send the payload Base64-encoded, as with Velt's payload encoding on.",
        )
        parser.add_argument(
            "--svix",
            action="store_true",
            help="Sign the delivery like an advanced (Svix) webhook even when an auth "
            "token is configured.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        text = self.read(options["file"], options.get("stdin"))
        try:
            payload = json.loads(text)
        except ValueError:
            raise CommandError("the delivery is not valid JSON") from None
        if not isinstance(payload, dict):
            raise CommandError("the delivery must be a JSON object")
        raw = json.dumps(payload)
        if options["encode"]:
            encoded = base64.b64encode(raw.encode("utf-8")).decode("ascii")
            raw = json.dumps({"encodedPayload": encoded})
        try:
            path = reverse(URL_NAME)
        except NoReverseMatch:
            raise CommandError(
                f"{URL_NAME} is not mounted: include velt_django.urls (or "
                "webhook_patterns) under the velt namespace"
            ) from None
        headers: dict[str, Any] = self.credentials(raw, svix=options["svix"])
        request = RequestFactory().post(
            path, raw, content_type="application/json", **headers
        )
        events: list[VeltWebhookEvent] = []

        def collect(sender: Any, event: VeltWebhookEvent, **kwargs: Any) -> None:
            events.append(event)

        webhook_received.connect(collect, weak=False)
        try:
            match = resolve(path)
            # The receiver processes the delivery before it answers.
            response = match.func(request, *match.args, **match.kwargs)
        finally:
            webhook_received.disconnect(collect)
        answer = response.content.decode("utf-8", "replace")
        self.stdout.write(f"POST {path} -> {response.status_code} {answer}")
        if response.status_code >= 400:
            raise CommandError(f"the receiver refused the delivery ({answer})")
        for event in events:
            self.stdout.write(self.describe(event))
        if not events:
            self.stdout.write(
                "No webhook_received signal: this delivery id was processed before "
                "(a retry is skipped). Change webhookId to replay it."
            )

    def credentials(self, raw: str, *, svix: bool) -> dict[str, str]:
        """Request headers that authenticate ``raw`` with the configured secret."""
        token = velt_settings.WEBHOOK_AUTH_TOKEN
        secret = velt_settings.WEBHOOK_SIGNING_SECRET
        if secret is not None and (svix or token is None):
            from svix.webhooks import Webhook

            msg_id = f"msg_{uuid.uuid4().hex}"
            now = datetime.datetime.now(datetime.timezone.utc)
            return {
                "HTTP_SVIX_ID": msg_id,
                "HTTP_SVIX_TIMESTAMP": str(int(now.timestamp())),
                "HTTP_SVIX_SIGNATURE": Webhook(secret).sign(msg_id, now, raw),
            }
        if token is not None and not svix:
            return {"HTTP_AUTHORIZATION": f"Basic {token}"}
        raise CommandError(
            "set VELT['WEBHOOK_AUTH_TOKEN'] (or, with --svix, "
            "VELT['WEBHOOK_SIGNING_SECRET']) so the receiver accepts the delivery"
        )

    def describe(self, event: VeltWebhookEvent) -> str:
        """One line of ids (no text, no e-mail addresses) for an event."""
        author = event.author.user_id if event.author else "-"
        return (
            f"webhook_received: event={event.event_type} "
            f"org={event.organization_id or '-'} document={event.document_id or '-'} "
            f"annotation={event.annotation_id or '-'} comment={event.comment_id or '-'} "
            f"thread={'found' if event.thread_found else 'missing'} author={author} "
            f"mentioned={_ids(event.mentioned_users)} "
            f"assigned={_ids(event.assigned_users)}"
        )
