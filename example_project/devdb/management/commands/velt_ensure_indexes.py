"""velt_django's ``velt_ensure_indexes``, saying how to get a database when none runs."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from velt_django.management.commands import velt_ensure_indexes

from ...apps import no_database, no_database_help


class Command(velt_ensure_indexes.Command):
    """Refuses early, with directions, when the example has no database to index.

    Listed before ``velt_django`` in ``INSTALLED_APPS`` so that Django picks this
    command over the original.
    """

    def handle(self, *args: Any, **options: Any) -> None:
        if no_database():
            raise CommandError(no_database_help())
        super().handle(*args, **options)
