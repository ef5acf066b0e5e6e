"""velt_django's ``velt_ensure_indexes``, saying how to get a database when none runs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from velt_django.management.commands import velt_ensure_indexes


class Command(velt_ensure_indexes.Command):
    """Refuses early, with directions, when the example has no database to index.

    Listed before ``velt_django`` in ``INSTALLED_APPS`` so that Django picks this
    command over the original.
    """

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DEBUG and not settings.VELT.get("MONGODB_URI"):
            raise CommandError(
                "no database configured: VELT_MONGODB_URI is not set and no embedded "
                f"SecantusDB server is running for {settings.EXAMPLE_DATA_DIR}. Start "
                "`manage.py runserver` (other commands then use its database) or set "
                "VELT_MONGODB_URI."
            )
        super().handle(*args, **options)
