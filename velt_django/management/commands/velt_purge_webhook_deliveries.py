"""``manage.py velt_purge_webhook_deliveries [--dry-run]``: delete the webhook delivery
ids received more than ``VELT["WEBHOOK_DEDUP_DAYS"]`` ago (PostgreSQL, which has no TTL
index; on MongoDB the TTL index of ``velt_webhook_deliveries`` deletes them itself).
Expired ids are already treated as absent; this only frees their rows."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from velt_django.conf import velt_settings
from velt_django.exceptions import VeltConfigurationError, VeltError
from velt_django.repository.backend import uses_postgresql


class Command(BaseCommand):
    help = (
        "Delete the webhook delivery ids older than WEBHOOK_DEDUP_DAYS "
        '(STORAGE_BACKEND "postgresql"; run it on a schedule). On MongoDB the TTL '
        "index deletes them by itself and this command deletes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be deleted; delete nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = velt_settings.WEBHOOK_DEDUP_DAYS
        if not uses_postgresql():
            self.stdout.write(
                "Nothing to purge: on MongoDB the TTL index deletes webhook delivery "
                f"ids older than {days} days by itself (manage.py velt_ensure_indexes "
                "creates it)."
            )
            return
        from velt_django.repository.sql import SqlWebhookDeliveryRepository

        dry_run = bool(options["dry_run"])
        try:
            count = SqlWebhookDeliveryRepository().purge_expired(dry_run=dry_run)
        except (VeltError, VeltConfigurationError) as err:
            raise CommandError(f"could not purge webhook deliveries: {err}") from err
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {count} expired webhook delivery id{'' if count == 1 else 's'} "
                f"(received more than {days} days ago)."
            )
        )
