"""Tenant isolation over the wire: one organization's principal never reads, overwrites
or deletes another organization's records (CONTRACT §2.5, §16.5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

pytestmark = pytest.mark.mongo

ORG_A = ("u_a", "org-a")
ORG_B = ("u_b", "org-b")


@dataclass(frozen=True)
class Family:
    name: str
    collection: str
    ids_field: str
    save_field: str
    delete_field: str

    def payload(self, record_id: str, org: str, text: str) -> dict[str, Any]:
        metadata = {"apiKey": "pk_test", "documentId": "doc-1", "organizationId": org}
        if self.name == "comments":
            return {
                "annotationId": record_id,
                "metadata": metadata,
                "from": {"userId": "u_a"},
                "comments": {"101": {"commentId": 101, "commentText": text}},
            }
        return {
            "annotationId": record_id,
            "metadata": metadata,
            "icon": text,
            "from": {"userId": "u_a"},
        }


COMMENTS = Family(
    "comments",
    "velt_comment_annotations",
    "commentAnnotationIds",
    "commentAnnotation",
    "commentAnnotationId",
)
REACTIONS = Family(
    "reactions",
    "velt_reaction_annotations",
    "reactionAnnotationIds",
    "reactionAnnotation",
    "reactionAnnotationId",
)


@pytest.fixture(params=[COMMENTS, REACTIONS], ids=lambda f: f.name)
def family(request: pytest.FixtureRequest) -> Family:
    return request.param


def seed(
    post_json: Any,
    family: Family,
    record_id: str = "ann-a1",
    org: str = "org-a",
    text: str = "secret text of org a",
    as_: tuple[str, ...] = ORG_A,
) -> dict[str, Any]:
    payload = family.payload(record_id, org, text)
    response = post_json(
        f"{family.name}/save", {family.save_field: {record_id: payload}}, as_=as_
    )
    assert response.status_code == 200, response.content
    return payload


def stored(db: Any, family: Family) -> list[dict[str, Any]]:
    return list(
        db[family.collection].find(
            {}, sort=[("organizationId", 1), ("annotationId", 1)]
        )
    )


def assert_forbidden(response: Any) -> dict[str, Any]:
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["success"] is False
    assert body["statusCode"] == 403
    assert body["errorCode"] == "FORBIDDEN"
    assert "data" not in body
    return body


def test_get_other_organization_is_forbidden(
    wire_db: Any, post_json: Any, family: Family
) -> None:
    seed(post_json, family)
    response = post_json(
        f"{family.name}/get",
        {
            "organizationId": "org-a",
            family.ids_field: ["ann-a1"],
            "documentIds": ["doc-1"],
        },
        as_=ORG_B,
    )
    assert_forbidden(response)
    assert b"secret text of org a" not in response.content
    assert b"ann-a1" not in response.content


def test_get_own_organization_does_not_see_other_organization(
    wire_db: Any, post_json: Any, family: Family
) -> None:
    seed(post_json, family)
    response = post_json(
        f"{family.name}/get",
        {"organizationId": "org-b", family.ids_field: ["ann-a1"]},
        as_=ORG_B,
    )
    assert response.status_code == 200
    assert response.json()["data"] == {}


def test_save_into_other_organization_is_forbidden_and_leaves_record(
    wire_db: Any, post_json: Any, family: Family
) -> None:
    seed(post_json, family)
    before = stored(wire_db, family)
    attack = family.payload("ann-a1", "org-a", "overwritten by org b")
    response = post_json(
        f"{family.name}/save", {family.save_field: {"ann-a1": attack}}, as_=ORG_B
    )
    assert_forbidden(response)
    assert stored(wire_db, family) == before


def test_save_with_request_metadata_of_other_organization_is_forbidden(
    wire_db: Any, post_json: Any, family: Family
) -> None:
    seed(post_json, family)
    before = stored(wire_db, family)
    attack = family.payload("ann-a1", "org-a", "overwritten by org b")
    del attack["metadata"]
    body = {
        family.save_field: {"ann-a1": attack},
        "metadata": {"organizationId": "org-a"},
    }
    response = post_json(f"{family.name}/save", body, as_=ORG_B)
    assert_forbidden(response)
    assert stored(wire_db, family) == before


def test_save_client_organization_id_of_other_organization_is_forbidden(
    wire_db: Any, post_json: Any, family: Family
) -> None:
    # clientOrganizationId wins over organizationId (§2.5): naming B's org in the
    # weaker field must not open A's record.
    seed(post_json, family)
    before = stored(wire_db, family)
    attack = family.payload("ann-a1", "org-b", "overwritten by org b")
    attack["metadata"]["clientOrganizationId"] = "org-a"
    response = post_json(
        f"{family.name}/save", {family.save_field: {"ann-a1": attack}}, as_=ORG_B
    )
    assert_forbidden(response)
    assert stored(wire_db, family) == before


def test_delete_in_other_organization_is_forbidden_and_keeps_record(
    wire_db: Any, post_json: Any, family: Family
) -> None:
    seed(post_json, family)
    before = stored(wire_db, family)
    body = {
        family.delete_field: "ann-a1",
        "metadata": {"apiKey": "pk_test", "organizationId": "org-a"},
    }
    response = post_json(f"{family.name}/delete", body, as_=ORG_B)
    assert_forbidden(response)
    assert stored(wire_db, family) == before


def test_orgless_delete_by_other_organization_keeps_record(
    wire_db: Any, post_json: Any, family: Family
) -> None:
    payload = seed(post_json, family)
    before = stored(wire_db, family)
    response = post_json(
        f"{family.name}/delete", {family.delete_field: "ann-a1"}, as_=ORG_B
    )
    assert response.status_code == 200, response.content
    assert response.json()["success"] is True
    assert stored(wire_db, family) == before
    check = post_json(
        f"{family.name}/get",
        {"organizationId": "org-a", family.ids_field: ["ann-a1"]},
        as_=ORG_A,
    )
    assert check.json()["data"] == {"ann-a1": payload}


def test_orgless_delete_removes_only_callers_organization(
    wire_db: Any, post_json: Any, family: Family
) -> None:
    seed(post_json, family)
    seed(post_json, family, org="org-b", text="org b text", as_=ORG_B)
    response = post_json(
        f"{family.name}/delete", {family.delete_field: "ann-a1"}, as_=ORG_B
    )
    assert response.status_code == 200, response.content
    remaining = [
        (d["organizationId"], d["annotationId"]) for d in stored(wire_db, family)
    ]
    assert remaining == [("org-a", "ann-a1")]


def test_save_mixing_allowed_and_forbidden_organizations_writes_nothing(
    wire_db: Any, post_json: Any, family: Family
) -> None:
    seed(post_json, family)
    before = stored(wire_db, family)
    body = {
        family.save_field: {
            "ann-b-new": family.payload("ann-b-new", "org-b", "org b's own record"),
            "ann-a1": family.payload("ann-a1", "org-a", "overwritten by org b"),
        }
    }
    response = post_json(f"{family.name}/save", body, as_=ORG_B)
    assert_forbidden(response)
    assert stored(wire_db, family) == before


def test_save_forbidden_record_listed_first_writes_nothing(
    wire_db: Any, post_json: Any, family: Family
) -> None:
    seed(post_json, family)
    before = stored(wire_db, family)
    body = {
        family.save_field: {
            "ann-a1": family.payload("ann-a1", "org-a", "overwritten by org b"),
            "ann-b-new": family.payload("ann-b-new", "org-b", "org b's own record"),
        }
    }
    response = post_json(f"{family.name}/save", body, as_=ORG_B)
    assert_forbidden(response)
    assert stored(wire_db, family) == before


def test_principal_of_both_organizations_may_save_both(
    wire_db: Any, post_json: Any, family: Family
) -> None:
    # The positive control for the mixed-organization test: the same body succeeds when
    # the principal belongs to both organizations.
    body = {
        family.save_field: {
            "ann-b-new": family.payload("ann-b-new", "org-b", "b"),
            "ann-a-new": family.payload("ann-a-new", "org-a", "a"),
        }
    }
    response = post_json(f"{family.name}/save", body, as_=("u_ab", "org-a", "org-b"))
    assert response.status_code == 200, response.content
    keys = [(d["organizationId"], d["annotationId"]) for d in stored(wire_db, family)]
    assert keys == [("org-a", "ann-a-new"), ("org-b", "ann-b-new")]
