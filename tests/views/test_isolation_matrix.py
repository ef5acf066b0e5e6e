"""Tenant isolation matrix over every endpoint family (CONTRACT §2.5, §16.5): a principal
of org B sends get, save and delete requests at org A's records, naming org A, naming
its own org, or naming none. Every request is refused or answers nothing of org A, and
every stored record is unchanged. Runs on mongomock, on the wire tier and on the
PostgreSQL backend (the families it implements; the others are skipped there).

(``test_isolation.py`` holds further annotation cases on the wire tier.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from velt_django import notifications, users
from velt_django.conf import velt_settings
from velt_django.repository import (
    ActivityRepository,
    CommentRepository,
    NotificationRepository,
    ReactionRepository,
    RecordingRepository,
    UserRepository,
    connection,
)
from velt_django.repository.backend import POSTGRESQL_TWINS

from ..families import (
    BACKENDS,
    FAMILIES,
    POSTGRES_ALIAS,
    POSTGRESQL,
    Family,
    storage_models,
)

ORG_A, ORG_B = "org-a", "org-b"
A = ("u_a", ORG_A)
B = ("u_b", ORG_B)
SECRET = "org-a-secret-Kx3"
EMAIL = "alice.kx3@a.example"
META_A = {"apiKey": "pk_test", "organizationId": ORG_A, "documentId": "doc-1"}
META_B = {"apiKey": "pk_test", "organizationId": ORG_B, "documentId": "doc-1"}


@dataclass(frozen=True)
class Attack:
    """One request of org B's principal and the status it must get."""

    name: str
    path: str
    body: dict[str, Any]
    status: int

    def __str__(self) -> str:
        return self.name


def annotation_attacks(f: Family) -> list[Attack]:
    own = f.record("a-1", org=ORG_A, secret="b's text")
    orgless = {k: v for k, v in own.items() if k != "metadata"}
    into_b = f.record("a-1", org=ORG_B, secret="b's text")
    client_a = f.record("a-1", org=ORG_B, secret="b's text")
    client_a["metadata"]["clientOrganizationId"] = ORG_A
    return [
        Attack(f"{f}-get-org-a", f.path("get"), f.get_body(ORG_A, ["a-1"]), 403),
        Attack(f"{f}-get-org-a-all", f.path("get"), {"organizationId": ORG_A}, 403),
        Attack(f"{f}-get-org-b", f.path("get"), f.get_body(ORG_B, ["a-1"]), 200),
        # The org-less get by id (§2.5) answers from B's organizations only: 200, empty.
        Attack(f"{f}-get-no-org", f.path("get"), {f.ids_field: ["a-1"]}, 200),
        Attack(
            f"{f}-get-no-org-document",
            f.path("get"),
            {f.ids_field: ["a-1"], "documentIds": ["doc-1"]},
            400,
        ),
        Attack(f"{f}-save-org-a", f.path("save"), f.save_body(own), 403),
        Attack(
            f"{f}-save-request-org-a",
            f.path("save"),
            f.save_body(orgless, metadata=META_A),
            403,
        ),
        Attack(f"{f}-save-client-org-a", f.path("save"), f.save_body(client_a), 403),
        Attack(f"{f}-save-no-org", f.path("save"), f.save_body(orgless), 400),
        Attack(f"{f}-save-org-b", f.path("save"), f.save_body(into_b), 200),
        Attack(f"{f}-delete-org-a", f.path("delete"), f.delete_body("a-1", ORG_A), 403),
        Attack(f"{f}-delete-org-b", f.path("delete"), f.delete_body("a-1", ORG_B), 200),
        Attack(f"{f}-delete-no-org", f.path("delete"), f.delete_body("a-1", None), 200),
    ]


def activity(org: str | None) -> dict[str, Any]:
    meta = {"apiKey": "pk_test", "documentId": "doc-1"}
    if org:
        meta["organizationId"] = org
    return {"id": "act-1", "metadata": meta, "changes": {"t": {"to": "b's text"}}}


ACTIVITY_ATTACKS = [
    Attack("activities-get-org-a", "activities/get", {"organizationId": ORG_A}, 403),
    Attack(
        "activities-get-org-b",
        "activities/get",
        {"organizationId": ORG_B, "activityIds": ["act-1"]},
        200,
    ),
    Attack("activities-get-no-org", "activities/get", {"activityIds": ["act-1"]}, 200),
    Attack(
        "activities-get-no-org-document",
        "activities/get",
        {"documentIds": ["doc-1"]},
        200,
    ),
    Attack(
        "activities-save-org-a",
        "activities/save",
        {"activity": {"act-1": activity(ORG_A)}},
        403,
    ),
    Attack(
        "activities-save-top-level-org-a",
        "activities/save",
        {"activity": {"act-1": activity(None)}, "organizationId": ORG_A},
        403,
    ),
    Attack(
        "activities-save-request-org-a",
        "activities/save",
        {"activity": {"act-1": activity(None)}, "metadata": META_A},
        403,
    ),
    Attack(
        "activities-save-no-org",
        "activities/save",
        {"activity": {"act-1": activity(None)}},
        400,
    ),
    Attack(
        "activities-delete-org-a",
        "activities/delete",
        {"activityId": "act-1", "metadata": META_A},
        405,
    ),
    Attack(
        "activities-delete-no-org", "activities/delete", {"activityId": "act-1"}, 405
    ),
]

NOTIFICATION_ATTACKS = [
    Attack(
        "notifications-get-org-a",
        "notifications/get",
        {"organizationId": ORG_A, "notificationIds": ["n-1"]},
        403,
    ),
    Attack(
        "notifications-get-org-b",
        "notifications/get",
        {"organizationId": ORG_B, "notificationIds": ["n-1"]},
        200,
    ),
    Attack(
        "notifications-get-no-org",
        "notifications/get",
        {"notificationIds": ["n-1"]},
        200,
    ),
    Attack("notifications-get-no-org-no-ids", "notifications/get", {}, 400),
    Attack(
        "notifications-delete-org-a",
        "notifications/delete",
        {"organizationId": ORG_A, "notificationId": "n-1"},
        403,
    ),
    Attack(
        "notifications-delete-metadata-org-a",
        "notifications/delete",
        {"notificationId": "n-1", "metadata": META_A},
        403,
    ),
    Attack(
        "notifications-delete-org-b",
        "notifications/delete",
        {"organizationId": ORG_B, "notificationId": "n-1"},
        200,
    ),
    Attack(
        "notifications-delete-no-org",
        "notifications/delete",
        {"notificationId": "n-1"},
        200,
    ),
]

USER_ATTACKS = [
    Attack(
        "users-get-org-a",
        "users/get",
        {"organizationId": ORG_A, "userIds": ["u-a"]},
        403,
    ),
    Attack(
        "users-get-org-b",
        "users/get",
        {"organizationId": ORG_B, "userIds": ["u-a"]},
        200,
    ),
    Attack("users-get-no-org", "users/get", {"userIds": ["u-a"]}, 400),
    Attack(
        "anonymous-users-org-a",
        "anonymous-users/resolve",
        {"organizationId": ORG_A, "emails": [EMAIL]},
        403,
    ),
    Attack(
        "anonymous-users-org-b",
        "anonymous-users/resolve",
        {"organizationId": ORG_B, "emails": [EMAIL]},
        200,
    ),
    Attack(
        "anonymous-users-no-org", "anonymous-users/resolve", {"emails": [EMAIL]}, 400
    ),
]

ATTACKS = [a for f in FAMILIES for a in annotation_attacks(f)]
ATTACKS += ACTIVITY_ATTACKS + NOTIFICATION_ATTACKS + USER_ATTACKS


#: The repository behind each endpoint family (the first part of an attack's path).
REPOSITORIES: dict[str, type[Any]] = {
    "comments": CommentRepository,
    "reactions": ReactionRepository,
    "recordings": RecordingRepository,
    "activities": ActivityRepository,
    "notifications": NotificationRepository,
    "users": UserRepository,
    "anonymous-users": UserRepository,
}


def on_postgresql(endpoint_family: str) -> bool:
    """Whether the PostgreSQL backend implements ``endpoint_family`` yet (its repository
    has a twin, ``velt_django.repository.backend.POSTGRESQL_TWINS``)."""
    return REPOSITORIES[endpoint_family] in POSTGRESQL_TWINS


def seed_org_a(post_json: Callable[..., Any], has: Callable[[str], bool]) -> None:
    """Org A's records in every family ``has`` accepts, written as org A's backend and
    browser do."""
    for f in FAMILIES:
        body = f.save_body(f.record("a-1", org=ORG_A, secret=SECRET))
        assert post_json(f.path("save"), body, as_=A).status_code == 200
    if has("activities"):
        act = {**activity(ORG_A), "secret": SECRET}
        body = {"activity": {"act-1": act}, "event": "activity.save"}
        assert post_json("activities/save", body, as_=A).status_code == 200
    if has("notifications"):
        notifications.store(
            ORG_A, [{"notificationId": "n-1", "displayBodyMessage": SECRET}]
        )
    if has("users"):
        users.upsert([{"userId": "u-a", "name": SECRET, "email": EMAIL}], ORG_A)


def snapshot() -> dict[str, list[Any]]:
    if velt_settings.STORAGE_BACKEND == POSTGRESQL:
        return {
            model._meta.db_table: list(
                model._default_manager.using(POSTGRES_ALIAS).order_by("pk").values()
            )
            for model in storage_models()
        }
    db = connection.get_database()
    return {
        name: list(db[name].find({}, sort=[("_id", 1)]))
        for name in sorted(db.list_collection_names())
    }


@pytest.fixture(
    params=[
        "mongo_db",
        pytest.param("wire_db", marks=pytest.mark.mongo),
        # The PostgreSQL backend (BACKENDS' marks: the velt_pg alias).
        pytest.param(POSTGRESQL, marks=BACKENDS[1].marks),
    ]
)
def seeded(
    request: pytest.FixtureRequest, settings: Any, post_json: Callable[..., Any]
) -> dict[str, list[Any]]:
    has: Callable[[str], bool] = lambda endpoint_family: True  # noqa: E731
    backend: dict[str, str] = {}
    if request.param == POSTGRESQL:
        attack: Attack = request.node.callspec.params["attack"]
        endpoint_family = attack.path.split("/")[0]
        if not on_postgresql(endpoint_family):
            pytest.skip(f"{endpoint_family} has no PostgreSQL twin yet")
        backend = {"STORAGE_BACKEND": POSTGRESQL, "DATABASE_ALIAS": POSTGRES_ALIAS}
        has = on_postgresql
    else:
        # Before VELT is read below: wire_db sets its MONGODB_URI there.
        request.getfixturevalue(request.param)
    settings.VELT = {
        **settings.VELT,
        **backend,
        "USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory",
        "USER_ORGANIZATION_SCOPED": True,
    }
    seed_org_a(post_json, has)
    before = snapshot()
    # Guards the comparisons below: the snapshot does hold org A's records.
    assert SECRET in json.dumps(before, default=str)
    return before


def org_a_records(before: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {
        name: [d for d in docs if ORG_A in json.dumps(d, default=str)]
        for name, docs in before.items()
    }


@pytest.mark.parametrize("attack", ATTACKS, ids=str)
def test_org_b_principal_cannot_reach_org_a(
    seeded: dict[str, list[Any]], post_json: Callable[..., Any], attack: Attack
) -> None:
    response = post_json(attack.path, attack.body, as_=B)
    assert response.status_code == attack.status, response.content
    body = json.loads(response.content)
    if attack.status != 200:
        assert "data" not in body
    else:
        assert body.get("data") in ({}, None), body
    assert SECRET.encode() not in response.content
    assert EMAIL.encode() not in response.content
    after = snapshot()
    # Org A's records are exactly as they were (org B may have written its own).
    assert org_a_records(after) == org_a_records(seeded)


@pytest.mark.parametrize("attack", [a for a in ATTACKS if a.status == 403], ids=str)
def test_org_a_principal_positive_control(
    seeded: dict[str, list[Any]], post_json: Callable[..., Any], attack: Attack
) -> None:
    # The same request, sent by org A's principal, succeeds: the 403s above come from
    # the organization check, not from a malformed body.
    response = post_json(attack.path, attack.body, as_=A)
    assert response.status_code == 200, response.content
