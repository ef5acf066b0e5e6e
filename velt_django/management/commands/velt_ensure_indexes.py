"""``manage.py velt_ensure_indexes``: create every index velt_django's queries rely on.

On the PostgreSQL backend the tables and their indexes come from ``manage.py migrate``:
the command creates nothing and fails while a storage migration is unapplied."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from velt_django.exceptions import VeltConfigurationError, VeltError
from velt_django.repository import ensure_indexes
from velt_django.repository.backend import uses_postgresql


class Command(BaseCommand):
    help = (
        "Create the MongoDB indexes of every velt_django collection (safe to repeat). "
        'With STORAGE_BACKEND "postgresql", manage.py migrate creates the tables and '
        "indexes: this checks that its storage migrations are applied."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if uses_postgresql():
            self.report_migrations()
            return
        try:
            created = ensure_indexes()
        except (VeltError, VeltConfigurationError) as err:
            raise CommandError(f"could not create indexes: {err}") from err
        for collection, names in created.items():
            self.stdout.write(f"{collection}: {', '.join(names) or '(none)'}")
        self.stdout.write(self.style.SUCCESS("Indexes are in place."))

    def report_migrations(self) -> None:
        from velt_django.management import postgresql

        alias = postgresql.alias()
        self.stdout.write(
            f'STORAGE_BACKEND "postgresql": the tables and indexes on database '
            f'"{alias}" come from manage.py migrate; nothing to create here.'
        )
        try:
            pending = postgresql.unapplied_migrations()
        except VeltError as err:
            raise CommandError(f"could not read the applied migrations: {err}") from err
        if pending:
            raise CommandError(
                f"unapplied velt_django migrations on {alias}: {', '.join(pending)} "
                f"(run manage.py migrate --database {alias})"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Migrations are applied on {alias}; indexes are in place."
            )
        )
