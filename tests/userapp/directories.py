"""The user directories the users tests run against: the Django model adapter on the
test SQLite database and on PostgreSQL (``userapp`` routed to the ``velt_pg`` alias),
and the stored directory (``velt_users``, read by
``MongoUserDirectory`` through the storage backend's repository) on each backend of the
view suites: mongomock, MongoDB (the wire tier) and PostgreSQL (the ``velt_pg`` alias)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from velt_django import users

from ..families import MONGODB, MONGOMOCK, POSTGRES_ALIAS, POSTGRESQL, backend_params

#: The Django model adapter with ``userapp`` on PostgreSQL (``routers.UserappOnPostgres``).
DJANGO_PG = "django-pg"

#: A mapping that points the Django adapter at ``userapp.Member``.
MEMBER_FIELDS = {
    "userId": "member_id",
    "name": "display_name",
    "email": "email",
    "photoUrl": "avatar",
    "organizations": "teams__slug",
}
SECRET = "s3cr3t-hash-never-returned"


@dataclass
class Directory:
    """One configured directory: ``kind`` is ``django`` or ``django-pg`` (the model
    adapter on SQLite or PostgreSQL) or the backend storing ``velt_users``:
    ``mongomock``, ``mongodb`` or ``postgresql``."""

    kind: str
    settings: Any

    def load(self, *records: dict[str, Any], org: str | None = None) -> None:
        users.upsert(list(records), organization_id=org)
        if self.kind in ("django", DJANGO_PG):
            # The column the adapter is never pointed at.
            from .models import Member

            Member.objects.update(secret=SECRET)

    def scope(self, on: bool = True) -> None:
        self.settings.VELT = {**self.settings.VELT, "USER_ORGANIZATION_SCOPED": on}

    def set(self, **values: Any) -> None:
        self.settings.VELT = {**self.settings.VELT, **values}


#: The kinds of directory: the Django model adapter, then the stored directory on each
#: backend, with the marks of the ``backend`` fixture's params (``tests.families``).
KINDS = [
    pytest.param("django", marks=pytest.mark.django_db),
    pytest.param(
        DJANGO_PG,
        marks=[
            pytest.mark.postgres,
            pytest.mark.django_db(databases={"default", POSTGRES_ALIAS}),
        ],
    ),
    *(
        pytest.param(param) if isinstance(param, str) else param
        for param in backend_params(mongomock=True)
    ),
]


def configure(kind: str, settings: Any) -> Directory:
    """Point ``VELT`` at the directory of ``kind`` (the databases are the caller's)."""
    if kind in ("django", DJANGO_PG):
        if kind == DJANGO_PG:
            settings.DATABASE_ROUTERS = ["tests.userapp.routers.UserappOnPostgres"]
        settings.VELT = {
            **settings.VELT,
            "USER_DIRECTORY_CLASS": "velt_django.directory.DjangoUserDirectory",
            "USER_MODEL": "userapp.Member",
            "USER_FIELDS": MEMBER_FIELDS,
        }
        return Directory(kind, settings)
    settings.VELT = {
        **settings.VELT,
        "USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory",
    }
    if kind == POSTGRESQL:
        settings.VELT = {
            **settings.VELT,
            "STORAGE_BACKEND": POSTGRESQL,
            "DATABASE_ALIAS": POSTGRES_ALIAS,
        }
    return Directory(kind, settings)


def on_directories(*kinds: str) -> pytest.MarkDecorator:
    """Run the test on the directories of ``kinds`` only (of ``KINDS``, with their
    marks), through the ``directory`` fixture."""
    chosen = [param for param in KINDS if param.values[0] in kinds]
    assert len(chosen) == len(kinds), f"unknown directory kinds in {kinds}"
    return pytest.mark.parametrize("directory", chosen, indirect=True)


@pytest.fixture(params=KINDS)
def directory(request: pytest.FixtureRequest, settings: Any) -> Directory:
    """Each directory in turn, empty and configured through ``VELT``: the stored one
    on a fresh mongomock or wire-tier database, or on the ``velt_pg`` alias (rolled
    back after the test), as the view suites' ``backend`` fixture gives them."""
    kind = str(request.param)
    if kind in (MONGOMOCK, MONGODB):
        request.getfixturevalue("mongo_db" if kind == MONGOMOCK else "wire_db")
    return configure(kind, settings)
