"""The PostgreSQL tier's fixture: the ``velt_pg`` alias reaches a real PostgreSQL server
through the ORM, and the server can be stopped and started mid-test."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth.models import Group
from django.db import OperationalError, connections

from . import postgres

pytestmark = pytest.mark.postgres

BOTH = {"default", postgres.ALIAS}


@pytest.mark.django_db(databases=BOTH)
def test_orm_reads_and_writes_through_the_alias() -> None:
    Group.objects.using(postgres.ALIAS).create(name="pg-only")

    assert list(Group.objects.using(postgres.ALIAS).values_list("name", flat=True)) == [
        "pg-only"
    ]
    assert not Group.objects.using("default").exists()


@pytest.mark.django_db(databases=BOTH)
def test_the_alias_is_really_postgresql() -> None:
    connection = connections[postgres.ALIAS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), current_database()")
        version, database = cursor.fetchone()

    assert connection.vendor == "postgresql"
    assert connection.pg_version >= 120000  # type: ignore[attr-defined]
    assert version.startswith("PostgreSQL ")
    assert database == "test_velt"
    assert connections["default"].vendor == "sqlite"


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_the_cluster_stops_and_starts_mid_test(
    pg_cluster: postgres.PostgresCluster,
) -> None:
    Group.objects.using(postgres.ALIAS).create(name="before the outage")

    pg_cluster.stop()
    with pytest.raises(OperationalError):
        Group.objects.using(postgres.ALIAS).count()
    connections[postgres.ALIAS].close()
    with pytest.raises(OperationalError):
        Group.objects.using(postgres.ALIAS).count()

    pg_cluster.start()
    connections[postgres.ALIAS].close()
    assert list(Group.objects.using(postgres.ALIAS).values_list("name", flat=True)) == [
        "before the outage"
    ]


@pytest.mark.django_db(databases=BOTH)
def test_alias_binding_follows_the_environment() -> None:
    """``VELT_TEST_POSTGRES_SERVER_SIDE_BINDING=1`` (tests/test_server_side_binding.py)
    gives the alias psycopg's server-side binding; otherwise it has Django's default,
    client-side binding."""
    from psycopg import ClientCursor

    connection = connections[postgres.ALIAS]
    connection.ensure_connection()
    factory = connection.connection.cursor_factory
    if os.environ.get(postgres.SERVER_SIDE_BINDING_ENV) == "1":
        assert not issubclass(factory, ClientCursor)
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::int + 1", [41])
            assert cursor.fetchone() == (42,)
            assert not isinstance(cursor.cursor, ClientCursor)
    else:
        assert issubclass(factory, ClientCursor)
