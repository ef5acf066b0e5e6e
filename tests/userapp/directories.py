"""The user directories the users tests run against: the Django model adapter on the
test SQLite database, and the MongoDB collection on both tiers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from velt_django import users

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
    """One configured directory: ``kind`` is ``django``, ``mongo`` or ``wire``."""

    kind: str
    settings: Any

    def load(self, *records: dict[str, Any], org: str | None = None) -> None:
        users.upsert(list(records), organization_id=org)
        if self.kind == "django":
            # The column the adapter is never pointed at.
            from .models import Member

            Member.objects.update(secret=SECRET)

    def scope(self, on: bool = True) -> None:
        self.settings.VELT = {**self.settings.VELT, "USER_ORGANIZATION_SCOPED": on}

    def set(self, **values: Any) -> None:
        self.settings.VELT = {**self.settings.VELT, **values}


def configure(kind: str, settings: Any) -> Directory:
    if kind == "django":
        settings.VELT = {
            **settings.VELT,
            "USER_DIRECTORY_CLASS": "velt_django.directory.DjangoUserDirectory",
            "USER_MODEL": "userapp.Member",
            "USER_FIELDS": MEMBER_FIELDS,
        }
    else:
        settings.VELT = {
            **settings.VELT,
            "USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory",
        }
    return Directory(kind, settings)


@pytest.fixture(
    params=[
        pytest.param("django", marks=pytest.mark.django_db),
        "mongo",
        pytest.param("wire", marks=pytest.mark.mongo),
    ]
)
def directory(request: pytest.FixtureRequest, settings: Any) -> Directory:
    """Each directory in turn, empty and configured through ``VELT``."""
    kind = str(request.param)
    if kind == "mongo":
        request.getfixturevalue("mongo_db")
    elif kind == "wire":
        request.getfixturevalue("wire_db")
    return configure(kind, settings)
