"""Tenant isolation over the wire: one organization's principal never reads, overwrites
or deletes another organization's records (CONTRACT §2.5, §16.5); on MongoDB and
PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from ..contracts import assert_failure, assert_success
from ..families import Family, for_families
from ..wire import FamilyClient, PostJson
from .backends import family_client

pytestmark = for_families("get", "save", "delete")

ORG_A = ("u_a", "org-a")
ORG_B = ("u_b", "org-b")
SECRET = "secret text of org a"


@pytest.fixture
def api(family: Family, backend: str, post_json: PostJson) -> FamilyClient:
    return family_client(family, post_json, backend)


def payload(api: FamilyClient, record_id: str, org: str, text: str) -> dict[str, Any]:
    return api.family.record(record_id, org=org, secret=text)


@pytest.fixture
def seeded(api: FamilyClient) -> dict[str, Any]:
    """``ann-a1`` of ``org-a``, saved by org a's principal; returns its payload."""
    record = payload(api, "ann-a1", "org-a", SECRET)
    api.save(record, as_=ORG_A)
    return record


def assert_refused(api: FamilyClient, operation: str, body: dict[str, Any]) -> None:
    """Org b's principal gets 403 without data, and the store is as it was."""
    before = api.documents()
    response = api.post(operation, body, as_=ORG_B)
    body = assert_failure(response, 403, "FORBIDDEN")
    assert "data" not in body
    assert SECRET.encode() not in response.content
    assert api.documents() == before


def test_get_other_organization_is_forbidden(api: FamilyClient, seeded: Any) -> None:
    body = api.family.get_body("org-a", ["ann-a1"], documentIds=["doc-1"])
    response = api.post("get", body, as_=ORG_B)
    assert "data" not in assert_failure(response, 403, "FORBIDDEN")
    assert SECRET.encode() not in response.content
    assert b"ann-a1" not in response.content


def test_get_own_organization_does_not_see_other_organization(
    api: FamilyClient, seeded: Any
) -> None:
    assert api.get("org-b", ["ann-a1"], as_=ORG_B) == {}


def test_save_into_other_organization_is_forbidden_and_leaves_record(
    api: FamilyClient, seeded: Any
) -> None:
    attack = payload(api, "ann-a1", "org-a", "overwritten by org b")
    assert_refused(api, "save", api.family.save_body(attack))


def test_save_with_request_metadata_of_other_organization_is_forbidden(
    api: FamilyClient, seeded: Any
) -> None:
    attack = payload(api, "ann-a1", "org-a", "overwritten by org b")
    del attack["metadata"]
    body = api.family.save_body(attack, metadata={"organizationId": "org-a"})
    assert_refused(api, "save", body)


def test_save_client_organization_id_of_other_organization_is_forbidden(
    api: FamilyClient, seeded: Any
) -> None:
    # clientOrganizationId wins over organizationId (§2.5): naming B's org in the
    # weaker field must not open A's record.
    attack = payload(api, "ann-a1", "org-b", "overwritten by org b")
    attack["metadata"]["clientOrganizationId"] = "org-a"
    assert_refused(api, "save", api.family.save_body(attack))


def test_delete_in_other_organization_is_forbidden_and_keeps_record(
    api: FamilyClient, seeded: Any
) -> None:
    body = {
        api.family.id_field: "ann-a1",
        "metadata": {"apiKey": "pk_test", "organizationId": "org-a"},
    }
    assert_refused(api, "delete", body)


def test_orgless_delete_by_other_organization_keeps_record(
    api: FamilyClient, seeded: dict[str, Any]
) -> None:
    before = api.documents()
    api.delete({api.family.id_field: "ann-a1"}, as_=ORG_B)
    assert api.documents() == before
    assert api.get("org-a", ["ann-a1"], as_=ORG_A) == {"ann-a1": seeded}


def test_orgless_delete_removes_only_callers_organization(
    api: FamilyClient, seeded: Any
) -> None:
    api.save(payload(api, "ann-a1", "org-b", "org b text"), as_=ORG_B)
    api.delete({api.family.id_field: "ann-a1"}, as_=ORG_B)
    remaining = [(d["organizationId"], d["annotationId"]) for d in api.documents()]
    assert remaining == [("org-a", "ann-a1")]


@pytest.mark.parametrize("forbidden_first", [False, True], ids=["last", "first"])
def test_save_mixing_allowed_and_forbidden_organizations_writes_nothing(
    api: FamilyClient, seeded: Any, forbidden_first: bool
) -> None:
    records = [
        payload(api, "ann-b-new", "org-b", "org b's own record"),
        payload(api, "ann-a1", "org-a", "overwritten by org b"),
    ]
    if forbidden_first:
        records.reverse()
    assert_refused(api, "save", api.family.save_body(*records))


def test_principal_of_both_organizations_may_save_both(api: FamilyClient) -> None:
    # The positive control for the mixed-organization test: the same body succeeds when
    # the principal belongs to both organizations.
    body = api.family.save_body(
        payload(api, "ann-b-new", "org-b", "b"), payload(api, "ann-a-new", "org-a", "a")
    )
    assert_success(api.post("save", body, as_=("u_ab", "org-a", "org-b")), read=False)
    keys = [(d["organizationId"], d["annotationId"]) for d in api.documents()]
    assert keys == [("org-a", "ann-a-new"), ("org-b", "ann-b-new")]
