"""What the policy decides, over HTTP: users of the example's groups across
organizations, folders and documents; roles and expiry; a policy that raises; unknown
types; context questions; the default ``velt_orgs_claim`` policy with the directory's
organizations."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from velt_django import users
from velt_django.permissions import django_user_for

from . import helpers
from .helpers import (
    ACME,
    GLOBEX,
    MODULE,
    answers,
    batch,
    configure,
    granted,
    post,
    question,
    user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def groups(settings: Any) -> None:
    configure(settings)
    user("ann", ACME)  # acme-corp only
    user("bob", GLOBEX)  # globex only
    user("cat", ACME, GLOBEX)  # both
    user("dan")  # no group
    helpers.CALLS.clear()


Ask = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def ask(groups: None, client: Client, settings: Any) -> Ask:
    """``ask(policy, *questions)``: the answers to ``questions``, asked in one batch,
    with ``policy`` (a function of tests.permissions.helpers) as
    ``ORGANIZATION_ACCESS``."""

    def answer(policy: str, *questions: dict[str, Any]) -> list[dict[str, Any]]:
        configure(settings, ORGANIZATION_ACCESS=f"{MODULE}.{policy}")
        return answers(post(client, batch(*questions)))

    return answer


def test_mixed_batch_follows_the_groups(groups: None, client: Client) -> None:
    questions = [
        question("ann", "organization", ACME, source="identify"),
        question("ann", "organization", GLOBEX, GLOBEX, source="identify"),
        question("ann", "folder", "reviews"),
        question("ann", "document", "spec-q3", parentFolderId="reviews"),
        question("ann", "document", "plan", GLOBEX),
        question("bob", "organization", ACME),
        question("bob", "folder", "ops", GLOBEX),
        question("bob", "document", "spec-q3"),
        question("cat", "document", "spec-q3"),
        question("cat", "document", "plan", GLOBEX, source="getNotifications"),
        question("dan", "organization", ACME),
        question("nobody", "organization", ACME),
        question("nobody", "document", "spec-q3"),
    ]
    assert granted(post(client, batch(*questions))) == [
        True,
        False,
        True,
        True,
        False,
        False,
        True,
        False,
        True,
        True,
        False,
        False,
        False,
    ]


def test_policy_is_asked_with_access_and_the_documents(
    groups: None, client: Client
) -> None:
    post(
        client,
        batch(
            question("ann", "organization", ACME),
            question("ann", "folder", "reviews"),
            question("ann", "document", "spec-q3", parentFolderId="reviews"),
            question(
                "ann", "context", "spec-q3", context={"access": {"entityId": "x"}}
            ),
        ),
    )
    assert helpers.CALLS == [
        ("access", ACME, [], "organization"),
        ("access", ACME, [], "folder"),
        ("access", ACME, ["spec-q3"], "document"),
        ("access", ACME, ["spec-q3"], "context"),
    ]


def test_unknown_types_are_refused_without_asking(groups: None, client: Client) -> None:
    response = post(
        client,
        batch(
            question("ann", "workspace", ACME),
            question("ann", "Organization", ACME),
            question("ann", "organization", ACME),
        ),
    )
    results = answers(response)
    assert [r["hasAccess"] for r in results] == [False, False, True]
    assert [r["type"] for r in results] == ["workspace", "Organization", "organization"]
    assert len(helpers.CALLS) == 1


def test_default_expiry_is_the_ttl(groups: None, client: Client) -> None:
    before = int(time.time() * 1000)
    results = answers(
        post(
            client,
            batch(
                question("ann", "organization", ACME), question("bob", "folder", "x")
            ),
        )
    )
    after = int(time.time() * 1000)
    assert before + 600_000 <= results[0]["expiresAt"] <= after + 600_000
    assert "accessRole" not in results[0]
    # A refusal carries neither an expiry nor a role.
    assert set(results[1]) == {
        "userId",
        "resourceId",
        "type",
        "organizationId",
        "hasAccess",
    }


def test_ttl_setting_and_none(groups: None, client: Client, settings: Any) -> None:
    settings.VELT = {**settings.VELT, "PERMISSION_PROVIDER_TTL": 30}
    before = int(time.time() * 1000)
    (result,) = answers(post(client, batch(question("ann", "organization", ACME))))
    assert before + 30_000 <= result["expiresAt"] <= before + 31_000
    settings.VELT = {**settings.VELT, "PERMISSION_PROVIDER_TTL": None}
    (result,) = answers(post(client, batch(question("ann", "organization", ACME))))
    assert result["hasAccess"] is True and "expiresAt" not in result


def test_roles_and_expiry_pass_through(ask: Ask) -> None:
    results = ask(
        "roles_and_expiry",
        question("ann", "document", "draft-1"),
        question("ann", "document", "spec-q3"),
        question("ann", "organization", ACME),
        question("bob", "document", "draft-1"),
        question("ann", "document", "as-mapping"),
    )
    assert results[0]["accessRole"] == "editor"
    assert results[0]["expiresAt"] == 1_900_000_000_000
    assert results[1]["accessRole"] == "viewer"
    assert results[1]["expiresAt"] == 1_900_000_000_000
    assert "accessRole" not in results[2] and results[2]["hasAccess"] is True
    assert results[3] == {
        "userId": "bob",
        "resourceId": "draft-1",
        "type": "document",
        "organizationId": ACME,
        "hasAccess": False,
    }
    assert results[4]["accessRole"] == "viewer" and results[4]["hasAccess"] is True


def test_invalid_role_and_expiry_are_dropped_and_logged(
    ask: Ask, caplog: pytest.LogCaptureFixture
) -> None:
    before = int(time.time() * 1000)
    bad_role, bad_expiry = ask(
        "roles_and_expiry",
        question("ann", "document", "bad-role"),
        question("ann", "document", "bad-expiry"),
    )
    assert bad_role["hasAccess"] is True and "accessRole" not in bad_role
    assert bad_expiry["accessRole"] == "viewer"
    assert bad_expiry["expiresAt"] >= before + 600_000  # the default instead
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "neither editor nor viewer" in text
    assert "owner" not in text and "ann" not in text and "bad-role" not in text


def test_a_policy_that_raises_refuses_that_question_only(
    ask: Ask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="velt_django")
    results = ask(
        "raises_on_secret",
        question("ann", "document", "spec-q3"),
        question("ann", "document", "secret-doc"),
        question("ann", "organization", ACME),
    )
    assert [r["hasAccess"] for r in results] == [True, False, True]
    infos = [r for r in caplog.records if "RuntimeError" in r.getMessage()]
    assert infos and infos[0].levelname == "INFO"
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "secret-doc" not in text and "ann" not in text and "example.com" not in text


def test_context_follows_the_document_unless_the_policy_has_a_rule(
    groups: None, client: Client, settings: Any
) -> None:
    public = {"access": {"entityId": "public"}}
    private = {"access": {"entityId": "numberOfVisitors"}}
    body = batch(
        question("ann", "context", "spec-q3", context=private),
        question("bob", "context", "spec-q3", context=public),
    )
    assert granted(post(client, body)) == [True, False]
    configure(settings, ORGANIZATION_ACCESS=f"{MODULE}.context_rules")
    body = batch(
        question("ann", "context", "spec-q3", context=private),
        question("ann", "context", "spec-q3", context=public),
        question("ann", "document", "spec-q3"),
    )
    assert granted(post(client, body)) == [False, True, True]


def test_default_policy_uses_the_directory_organizations(
    groups: None, client: Client, settings: Any
) -> None:
    settings.VELT = {
        **settings.VELT,
        "ORGANIZATION_ACCESS": "velt_django.access.velt_orgs_claim",
    }
    body = batch(
        question("cat", "organization", GLOBEX, GLOBEX),
        question("ann", "document", "plan", GLOBEX),
        question("dan", "organization", ACME),
        question("nobody", "organization", ACME),
    )
    assert granted(post(client, body)) == [True, False, False, False]


def test_default_policy_with_the_mongo_directory(
    mongo_db: Any, client: Client, settings: Any
) -> None:
    configure(
        settings,
        USER_DIRECTORY_CLASS="velt_django.directory.MongoUserDirectory",
        ORGANIZATION_ACCESS="velt_django.access.velt_orgs_claim",
    )
    users.upsert([{"userId": "u_8841", "name": "Priya"}], ACME)
    user("u_8841")  # a Django account with the same id, found as request.user
    body = batch(
        question("u_8841", "organization", ACME),
        question("u_8841", "organization", GLOBEX, GLOBEX),
        question("u_0000", "organization", ACME),
    )
    assert granted(post(client, body)) == [True, False, False]
    assert django_user_for("u_8841") is not None
    assert django_user_for("u_0000") is None


def test_django_user_for(groups: None) -> None:
    found = django_user_for("ann")
    assert found is not None and found.username == "ann"
    assert django_user_for("nobody") is None
    assert django_user_for("") is None
