"""The org-less get by id (CONTRACT §2.5): a get whose ``organizationId`` is missing,
``null`` or blank is answered from the organizations the caller may read, for comments,
reactions, recordings and notifications; on mongomock, MongoDB and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from velt_django import notifications

from .. import policies
from ..contracts import assert_failure, assert_success
from ..families import FAMILIES, ORG, OTHER, THIRD, Family, on_backends

pytestmark = on_backends(mongomock=True)

ALICE = ("u_alice", ORG)  # reads acme-corp only
BOB = ("u_bob", OTHER)  # reads globex only
BLANKS = pytest.mark.parametrize(
    "blank", ["missing", None, "", "   "], ids=["missing", "null", "empty", "blank"]
)


def body(ids_field: str, ids: list[str], blank: Any, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {ids_field: ids, **extra}
    if blank != "missing":
        out["organizationId"] = blank
    return out


def get(post_json: Any, path: str, payload: dict[str, Any], as_: Any) -> Any:
    data: dict[str, Any] = assert_success(post_json(path, payload, as_=as_), read=True)[
        "data"
    ]
    return data


@pytest.fixture
def seeded(backend: str, post_json: Any) -> None:
    """For every annotation family: ``a-1`` in acme-corp, ``g-1`` in globex, and ``dup``
    in both, saved by a principal of both."""
    for family in FAMILIES:
        for org, record_id in (
            (ORG, "a-1"),
            (OTHER, "g-1"),
            (ORG, "dup"),
            (OTHER, "dup"),
        ):
            save = family.save_body(family.record(record_id, org=org))
            assert_success(
                post_json(family.path("save"), save, as_=("u_seed", ORG, OTHER)),
                read=False,
            )


@pytest.mark.parametrize("family", FAMILIES, ids=str)
@BLANKS
def test_orgless_get_answers_from_the_callers_organizations_only(
    seeded: None, post_json: Any, family: Family, blank: Any
) -> None:
    ids = ["a-1", "g-1", "unknown"]
    alice = get(
        post_json, family.path("get"), body(family.ids_field, ids, blank), ALICE
    )
    assert sorted(alice) == ["a-1"]
    assert alice["a-1"]["metadata"]["organizationId"] == ORG
    bob = get(post_json, family.path("get"), body(family.ids_field, ids, blank), BOB)
    assert sorted(bob) == ["g-1"]
    assert bob["g-1"]["metadata"]["organizationId"] == OTHER


@pytest.mark.parametrize("family", FAMILIES, ids=str)
def test_orgless_get_of_an_outsider_is_empty_not_403(
    seeded: None, post_json: Any, family: Family
) -> None:
    data = get(
        post_json,
        family.path("get"),
        body(family.ids_field, ["a-1", "g-1"], ""),
        ("u_eve", THIRD),
    )
    assert data == {}


@pytest.mark.parametrize("family", FAMILIES, ids=str)
def test_orgless_get_leaves_out_an_id_readable_in_two_organizations(
    seeded: None, post_json: Any, family: Family, caplog: Any
) -> None:
    both = ("u_both", ORG, OTHER)
    data = get(
        post_json, family.path("get"), body(family.ids_field, ["dup", "a-1"], ""), both
    )
    assert sorted(data) == ["a-1"]
    assert "id dup is in 2 readable organizations" in caplog.text
    # A caller who reads only one of them gets that one.
    data = get(post_json, family.path("get"), body(family.ids_field, ["dup"], ""), BOB)
    assert data["dup"]["metadata"]["organizationId"] == OTHER


@pytest.mark.parametrize("family", FAMILIES, ids=str)
@pytest.mark.parametrize(
    "selector",
    [
        {"documentIds": ["doc-1"]},
        {"folderId": "f-1", "allDocuments": True},
        {},
    ],
    ids=["documents", "folder", "nothing"],
)
def test_orgless_get_selecting_more_than_ids_is_400(
    seeded: None, post_json: Any, family: Family, selector: dict[str, Any]
) -> None:
    ids = ["a-1"] if selector else []
    response = post_json(
        family.path("get"), body(family.ids_field, ids, "", **selector), as_=ALICE
    )
    assert_failure(response, 400, "INVALID_INPUT")


@pytest.mark.parametrize("family", FAMILIES, ids=str)
def test_orgless_get_asks_the_policy_per_organization_and_document(
    seeded: None, post_json: Any, family: Family, settings: Any
) -> None:
    """A document-scoped policy decides by the stored documents (tests.policies:
    only documents named ``open-…``)."""
    assert_success(
        post_json(
            family.path("save"),
            family.save_body(family.record("open-one", org=ORG, doc="open-doc")),
            as_=ALICE,
        ),
        read=False,
    )
    settings.VELT = {
        **settings.VELT,
        "ORGANIZATION_ACCESS": "tests.policies.open_documents_only",
    }
    policies.CALLS.clear()
    data = get(
        post_json,
        family.path("get"),
        body(family.ids_field, ["open-one", "a-1", "g-1"], None),
        ALICE,
    )
    assert sorted(data) == ["open-one"]  # a-1 is under doc-1, g-1 in another org
    assert ("get", ORG, ["doc-1"]) in policies.CALLS
    assert ("get", ORG, ["open-doc"]) in policies.CALLS
    policies.CALLS.clear()


def test_orgless_notification_get_answers_from_the_callers_organizations(
    backend: str, post_json: Any
) -> None:
    notifications.store(
        ORG, [{"notificationId": "n-a", "displayHeadlineMessageTemplate": "a"}]
    )
    notifications.store(
        OTHER, [{"notificationId": "n-g", "displayHeadlineMessageTemplate": "g"}]
    )
    request = {"notificationIds": ["n-a", "n-g"], "organizationId": ""}
    assert sorted(get(post_json, "notifications/get", request, ALICE)) == ["n-a"]
    assert sorted(get(post_json, "notifications/get", request, BOB)) == ["n-g"]
    empty = {"organizationId": ""}
    assert_failure(
        post_json("notifications/get", empty, as_=ALICE), 400, "INVALID_INPUT"
    )
