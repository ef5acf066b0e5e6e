"""A batch of 100 questions for 100 users reads the users in one query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from velt_django import users
from velt_django.directory import MongoUserDirectory, UserDirectory
from velt_django.permissions import load_principals

from .helpers import ACME, GLOBEX, MODULE, batch, configure, granted, post, question

pytestmark = pytest.mark.django_db


def _seed(count: int) -> None:
    acme, _ = Group.objects.get_or_create(name=ACME)
    globex, _ = Group.objects.get_or_create(name=GLOBEX)
    accounts = User.objects.bulk_create(User(username=f"u{i}") for i in range(count))
    for i, account in enumerate(accounts):
        account.groups.add(acme if i % 2 == 0 else globex)
        if i % 10 == 0:
            account.groups.add(globex)


def test_hundred_users_in_one_query(
    client: Client, settings: Any, django_assert_num_queries: Any
) -> None:
    configure(settings, ORGANIZATION_ACCESS=f"{MODULE}.claim_access")
    _seed(100)
    body = batch(*[question(f"u{i}", "document", f"doc-{i}") for i in range(100)])
    with django_assert_num_queries(1):
        response = post(client, body)
    assert granted(response) == [i % 2 == 0 for i in range(100)]


def test_more_questions_per_user_still_one_query(client: Client, settings: Any) -> None:
    configure(settings, ORGANIZATION_ACCESS=f"{MODULE}.claim_access")
    _seed(100)
    questions = []
    for i in range(100):
        questions.append(question(f"u{i}", "organization", GLOBEX, GLOBEX))
        questions.append(question(f"u{i}", "folder", "f", GLOBEX))
    questions.append(question("unknown", "organization", ACME))
    with CaptureQueriesContext(connection) as queries:
        response = post(client, batch(*questions))
    assert len(queries) == 1
    expected = [i % 2 == 1 or i % 10 == 0 for i in range(100) for _ in (0, 1)]
    assert granted(response) == [*expected, False]


def test_mongo_directory_reads_django_users_in_one_sql_query(
    mongo_db: Any, client: Client, settings: Any
) -> None:
    configure(
        settings,
        USER_DIRECTORY_CLASS="velt_django.directory.MongoUserDirectory",
        ORGANIZATION_ACCESS=f"{MODULE}.claim_access",
    )
    users.upsert([{"userId": f"u{i}"} for i in range(100)], ACME)
    User.objects.bulk_create(User(username=f"u{i}") for i in range(50))
    body = batch(*[question(f"u{i}", "organization", ACME) for i in range(100)])
    with CaptureQueriesContext(connection) as queries:
        response = post(client, body)
    assert len(queries) == 1
    assert granted(response) == [True] * 100


class ListedDirectory(MongoUserDirectory):
    """A directory of its own: only ``get_users``, whose users list their
    organizations, so the base class's ``members`` applies."""

    members = UserDirectory.members

    def get_users(
        self,
        user_ids: Sequence[str],
        organization_id: str | None,
        requested_organization: str | None = None,
    ) -> dict[str, Any]:
        known = {
            "u1": {"userId": "u1", "organizationIds": [ACME, GLOBEX]},
            "u2": {"userId": "u2", "organizationId": GLOBEX},
        }
        return {i: known[i] for i in user_ids if i in known}


def test_a_custom_directory_uses_its_users_organizations(
    client: Client, settings: Any
) -> None:
    configure(
        settings,
        USER_DIRECTORY_CLASS=f"{__name__}.ListedDirectory",
        ORGANIZATION_ACCESS=f"{MODULE}.claim_access",
    )
    User.objects.create(username="u1")
    body = batch(
        question("u1", "organization", GLOBEX, GLOBEX),
        question("u2", "organization", GLOBEX, GLOBEX),
        question("u2", "organization", ACME),
        question("u3", "organization", ACME),
    )
    assert granted(post(client, body)) == [True, True, False, False]
    principals = load_principals(["u1", "u2"])
    assert principals["u1"].user.username == "u1"
    assert not principals["u2"].user.is_authenticated
