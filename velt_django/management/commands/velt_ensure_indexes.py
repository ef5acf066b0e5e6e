"""``manage.py velt_ensure_indexes``: create every index velt_django's queries rely on."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from velt_django.exceptions import VeltConfigurationError, VeltError
from velt_django.repository import ensure_indexes


class Command(BaseCommand):
    help = (
        "Create the MongoDB indexes of every velt_django collection (safe to repeat)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = ensure_indexes()
        except (VeltError, VeltConfigurationError) as err:
            raise CommandError(f"could not create indexes: {err}") from err
        for collection, names in created.items():
            self.stdout.write(f"{collection}: {', '.join(names) or '(none)'}")
        self.stdout.write(self.style.SUCCESS("Indexes are in place."))
