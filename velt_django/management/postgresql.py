"""What ``velt_check`` and ``velt_ensure_indexes`` ask of the PostgreSQL backend's schema
(``VELT["STORAGE_BACKEND"] = "postgresql"``): its tables and indexes are made by
``manage.py migrate`` from the storage models, so the commands check that the storage
migrations are applied on ``VELT["DATABASE_ALIAS"]`` and that every index and unique
constraint the models declare exists there. Everything goes through Django's migration
loader and schema introspection; nothing here is written by hand in SQL but the
connection probe.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connections
from django.db.migrations.loader import MigrationLoader

from ..conf import velt_settings
from ..repository.sql.errors import translate_errors
from ..routers import APP_LABEL, is_storage_model

#: The first migration of the storage tables; those before it hold only models that
#: are not the storage backend's (``VeltUserProfile``, which stays beside the user model).
FIRST_STORAGE_MIGRATION = "0002"


def alias() -> str:
    return velt_settings.DATABASE_ALIAS


def ping() -> None:
    """One ``SELECT 1`` on the alias. Raises ``DatabaseUnavailableError`` (or another
    ``RepositoryError``) without the server's text or the connection settings."""
    with translate_errors("ping", alias()):
        with connections[alias()].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()


def storage_migrations() -> list[str]:
    """The names of velt_django's storage migrations, in the order they apply."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    names = [
        name
        for app_label, name in loader.graph.nodes
        if app_label == APP_LABEL and name >= FIRST_STORAGE_MIGRATION
    ]
    return sorted(names)


def unapplied_migrations() -> list[str]:
    """The storage migrations not recorded as applied on the alias (reads its
    ``django_migrations`` table; raises the repository errors of :func:`ping`)."""
    with translate_errors("migrations", alias()):
        loader = MigrationLoader(connections[alias()], ignore_no_migrations=True)
        applied = {name for app, name in loader.applied_migrations if app == APP_LABEL}
    return [name for name in storage_migrations() if name not in applied]


def expected_indexes() -> dict[str, list[str]]:
    """Table → the names of the indexes and unique constraints its model declares
    (``Meta.indexes`` and ``Meta.constraints``), for every storage model."""
    expected: dict[str, list[str]] = {}
    for model in apps.get_app_config(APP_LABEL).get_models():
        meta = model._meta
        if not is_storage_model(meta.app_label, meta.model_name):
            continue
        names = [index.name for index in meta.indexes]
        names += [constraint.name for constraint in meta.constraints]
        expected[meta.db_table] = names
    return expected


def missing_indexes() -> tuple[list[str], int]:
    """``table.index`` of every expected index the alias lacks (a missing table
    lacks them all), and how many indexes are expected."""
    expected = expected_indexes()
    missing: list[str] = []
    connection = connections[alias()]
    with translate_errors("indexes", alias()):
        with connection.cursor() as cursor:
            tables = set(connection.introspection.table_names(cursor))
            for table, names in expected.items():
                present = (
                    connection.introspection.get_constraints(cursor, table)
                    if table in tables
                    else {}
                )
                missing += [f"{table}.{name}" for name in names if name not in present]
    return missing, sum(len(names) for names in expected.values())
