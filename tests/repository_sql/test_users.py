"""SqlUserRepository on PostgreSQL: the tests of tests/repository/test_users.py run
unchanged against the SQL twin (imported, not copied), those that read the MongoDB
collection in their SQL form, concurrent upserts of one user, and ``users/get`` and
``anonymous-users/resolve`` over HTTP with ``STORAGE_BACKEND = "postgresql"``."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from velt_django import users
from velt_django.exceptions import DatabaseUnavailableError
from velt_django.models import VeltUserRecord
from velt_django.repository.sql import SqlUserRepository

from ..postgres import ALIAS
from ..repository import test_users as shared
from .conftest import DATABASES
from .test_comments import _concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(databases=DATABASES)]

ORG, OTHER = shared.ORG, shared.OTHER
user = shared._user

#: Shared tests that read the MongoDB collection or point MONGODB_URI at no server.
MONGO_ONLY = {
    "test_users_upsert_is_idempotent_and_adds_organizations",
    "test_users_indexes_declared",
    "test_users_unique_user_id_enforced",
    "test_users_outage_is_database_unavailable",
}

for _name, _test in vars(shared).items():
    if _name.startswith("test_") and _name not in MONGO_ONLY:
        globals()[_name] = _test


@pytest.fixture
def repo() -> SqlUserRepository:
    return SqlUserRepository(ALIAS)


def rows() -> Any:
    return VeltUserRecord.objects.using(ALIAS)


# ---- the MONGO_ONLY tests, on the table ----------------------------------------------


def test_users_upsert_is_idempotent_and_adds_organizations(
    repo: SqlUserRepository,
) -> None:
    repo.upsert_many([user("u1", "a@x.example", ORG, name="Ann")])
    repo.upsert_many([user("u1", "a@x.example", ORG, name="Ann")])
    repo.upsert_many([user("u1", "b@x.example", OTHER, name="Anne")])
    assert rows().count() == 1
    (stored,) = repo.get_many(["u1"])
    assert stored.fields["name"] == "Anne"
    assert stored.organization_ids == [ORG, OTHER]
    assert repo.find_by_emails(["a@x.example"]) == []
    assert repo.find_by_emails(["b@x.example"]) == [("b@x.example", "u1")]


def test_users_indexes_declared(repo: SqlUserRepository) -> None:
    with connections[ALIAS].cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s", ["velt_users"]
        )
        definitions = [row[0] for row in cursor.fetchall()]
    assert any("UNIQUE" in d and "(user_id)" in d for d in definitions)
    assert any("(email_lower)" in d for d in definitions)
    assert any("USING gin (organization_ids jsonb_path_ops)" in d for d in definitions)


def test_users_unique_user_id_enforced(repo: SqlUserRepository) -> None:
    assert repo.upsert_many([user("u1", None, ORG), user("u1", "a@x.example", OTHER)])
    assert rows().count() == 1
    (stored,) = repo.get_many(["u1"])
    assert stored.organization_ids == [ORG, OTHER]
    assert repo.find_by_emails(["a@x.example"]) == [("a@x.example", "u1")]


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_users_outage_is_database_unavailable_and_recovers(pg_cluster: Any) -> None:
    repo = SqlUserRepository(ALIAS)
    repo.upsert_many([user("u1")])
    pg_cluster.stop()
    with pytest.raises(DatabaseUnavailableError):
        repo.get_many(["u1"])
    pg_cluster.start()
    assert [u.user_id for u in repo.get_many(["u1"])] == ["u1"]


# ---- what only the SQL backend does ---------------------------------------------------


def test_organization_scope_is_exact_membership(repo: SqlUserRepository) -> None:
    repo.upsert_many([user("u1", "a@x.example", "acme"), user("u2", None, "acme-corp")])
    assert [u.user_id for u in repo.get_many(["u1", "u2"], "acme")] == ["u1"]
    assert repo.find_by_emails(["a@x.example"], "acme-corp") == []


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_upsert_of_many_users_is_one_statement(repo: SqlUserRepository) -> None:
    with CaptureQueriesContext(connections[ALIAS]) as queries:
        assert repo.upsert_many([user(f"u{i}", None, ORG) for i in range(50)]) == 50
    assert len(queries) == 1


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_concurrent_upserts_of_one_user_keep_every_organization() -> None:
    repo = SqlUserRepository(ALIAS)

    def upsert(i: int) -> None:
        repo.upsert_many([user("u1", None, f"org-{i}", n=i)])

    _concurrently(8, upsert)
    (stored,) = repo.get_many(["u1"])
    assert sorted(stored.organization_ids) == sorted(f"org-{i}" for i in range(8))
    assert stored.fields["n"] in range(8)


# ---- over HTTP -------------------------------------------------------------------------


@pytest.fixture
def on_postgresql(on_postgresql: None, settings: Any) -> None:
    settings.VELT = {
        **settings.VELT,
        "USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory",
    }


@pytest.mark.usefixtures("on_postgresql")
def test_user_views_on_postgresql(post_json: Any) -> None:
    users.upsert([{"userId": "u1", "name": "Ann", "email": "Ann@x.example"}], ORG)
    assert rows().get().email_lower == "ann@x.example"

    response = post_json("users/get", {"organizationId": ORG, "userIds": ["u1", "x"]})
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {
        "u1": {
            "userId": "u1",
            "name": "Ann",
            "email": "Ann@x.example",
            "organizationId": ORG,
        }
    }

    response = post_json(
        "anonymous-users/resolve",
        {"organizationId": ORG, "emails": ["ANN@x.example", "no@x.example"]},
    )
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {"ANN@x.example": "u1"}
