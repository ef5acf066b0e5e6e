"""Django's ``runserver``, applying the demo user database's migrations first."""

from __future__ import annotations

from django.core.management.commands import runserver

from ...apps import migrate_user_database


class Command(runserver.Command):
    """``runserver`` lists unapplied migrations (opening the SQLite file) before it
    loads the WSGI application: migrate here, in the serving process, so that a fresh
    checkout starts without a separate ``migrate`` and without that warning."""

    def check_migrations(self) -> None:
        migrate_user_database()
        super().check_migrations()
