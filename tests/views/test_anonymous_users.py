"""``anonymous-users/resolve`` over HTTP, against the Django model directory and the
MongoDB one (CONTRACT §15, A-21, Appendix A)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contracts import ReadEndpointContract, assert_failure, assert_success
from tests.families import ORG, OTHER
from tests.userapp import directories
from tests.userapp.directories import Directory

directory = directories.directory  # the fixture, parametrized over the directories

PATH = "anonymous-users/resolve"
PRIYA = {"userId": "u_1190", "name": "Priya Nair", "email": "Priya.Nair@acme.example"}
SAM = {"userId": "u_8841", "name": "Sam Reyes", "email": "  sam@acme.example "}
# Two users sharing one address (differently cased): ambiguous, never resolved.
TWIN_A = {"userId": "u_twin_a", "email": "shared@acme.example"}
TWIN_B = {"userId": "u_twin_b", "email": "SHARED@acme.example"}
GLOBEX = {"userId": "u_g1", "email": "gloria@globex.example"}


def _seed(directory: Directory) -> None:
    directory.load(PRIYA, SAM, TWIN_A, TWIN_B, org=ORG)
    directory.load(GLOBEX, org=OTHER)


def _resolve(
    post_json: Any, emails: Any, org: str = ORG, as_: tuple[str, ...] = ("u", ORG)
) -> Any:
    body = {"organizationId": org, "documentId": "spec-2024-q3", "emails": emails}
    return assert_success(post_json(PATH, body, as_=as_), read=True)["data"]


def test_resolve_contract_example(directory: Directory, post_json: Any) -> None:
    _seed(directory)
    emails = [
        "Priya.Nair@acme.example",
        "ghost@nowhere.example",
        "",
        "Priya.Nair@acme.example",
    ]
    assert _resolve(post_json, emails) == {"Priya.Nair@acme.example": "u_1190"}


def test_resolve_mixed_case_keys_echo_each_string_sent(
    directory: Directory, post_json: Any
) -> None:
    _seed(directory)
    emails = ["priya.nair@ACME.example", "PRIYA.NAIR@acme.example", "Sam@Acme.Example"]
    assert _resolve(post_json, emails) == {
        "priya.nair@ACME.example": "u_1190",
        "PRIYA.NAIR@acme.example": "u_1190",
        "Sam@Acme.Example": "u_8841",  # the stored address had surrounding spaces
    }


def test_resolve_surrounding_spaces_are_trimmed_for_matching_only(
    directory: Directory, post_json: Any
) -> None:
    _seed(directory)
    assert _resolve(post_json, [" priya.nair@acme.example\t"]) == {
        " priya.nair@acme.example\t": "u_1190"
    }


def test_resolve_blank_duplicate_unknown_and_non_strings_dropped(
    directory: Directory, post_json: Any
) -> None:
    _seed(directory)
    emails = ["", "   ", None, 42, {"$ne": None}, ["x"], "ghost@nowhere.example"]
    emails += ["Priya.Nair@acme.example", "Priya.Nair@acme.example"]
    assert _resolve(post_json, emails) == {"Priya.Nair@acme.example": "u_1190"}


def test_resolve_ambiguous_email_left_unresolved(
    directory: Directory, post_json: Any
) -> None:
    _seed(directory)
    data = _resolve(post_json, ["shared@acme.example", "Priya.Nair@acme.example"])
    assert data == {"Priya.Nair@acme.example": "u_1190"}


@pytest.mark.parametrize("emails", [[], None])
def test_resolve_empty_or_missing_emails_is_empty_map(
    directory: Directory, post_json: Any, emails: Any
) -> None:
    _seed(directory)
    assert _resolve(post_json, emails) == {}


def test_resolve_unscoped_matches_users_of_any_organization(
    directory: Directory, post_json: Any
) -> None:
    _seed(directory)
    assert _resolve(post_json, ["gloria@globex.example"]) == {
        "gloria@globex.example": "u_g1"
    }


def test_resolve_scoped_matches_only_members(
    directory: Directory, post_json: Any
) -> None:
    _seed(directory)
    directory.scope()
    emails = ["gloria@globex.example", "Priya.Nair@acme.example"]
    assert _resolve(post_json, emails) == {"Priya.Nair@acme.example": "u_1190"}
    assert _resolve(post_json, emails, org=OTHER, as_=("u", OTHER)) == {
        "gloria@globex.example": "u_g1"
    }


def test_resolve_scoping_removes_ambiguity_outside_the_organization(
    directory: Directory, post_json: Any
) -> None:
    directory.load(TWIN_A, org=ORG)
    directory.load(TWIN_B, org=OTHER)
    assert _resolve(post_json, ["shared@acme.example"]) == {}
    directory.scope()
    assert _resolve(post_json, ["shared@acme.example"]) == {
        "shared@acme.example": "u_twin_a"
    }


def test_resolve_other_organization_refused(
    directory: Directory, post_json: Any
) -> None:
    _seed(directory)
    response = post_json(
        PATH,
        {"organizationId": OTHER, "emails": ["gloria@globex.example"]},
        as_=("u", ORG),
    )
    body = assert_failure(response, 403, "FORBIDDEN")
    assert "u_g1" not in str(body) and "gloria" not in str(body)


CALLS: list[tuple[str, str, list[str]]] = []


def recording_policy(
    request: Any, action: str, organization_id: str, document_ids: list[str]
) -> bool:
    CALLS.append((action, organization_id, list(document_ids)))
    return True


def test_resolve_asks_policy_with_resolve_action_and_document(
    directory: Directory, post_json: Any
) -> None:
    CALLS.clear()
    directory.set(ORGANIZATION_ACCESS=f"{__name__}.recording_policy")
    _resolve(post_json, ["a@b.example"])
    assert CALLS == [("resolve", ORG, ["spec-2024-q3"])]


@pytest.mark.parametrize(
    "body",
    [
        {"emails": ["Priya.Nair@acme.example"]},
        {"organizationId": None, "emails": ["Priya.Nair@acme.example"]},
        {"organizationId": "", "emails": ["Priya.Nair@acme.example"]},
        {"organizationId": {"$ne": None}, "emails": ["Priya.Nair@acme.example"]},
        {"organizationId": ORG, "emails": "Priya.Nair@acme.example"},
        {"organizationId": ORG, "emails": {"$in": ["Priya.Nair@acme.example"]}},
        {"organizationId": ORG, "documentId": {"$ne": None}, "emails": []},
        {"organizationId": ORG, "documentId": [1], "emails": []},
    ],
)
def test_resolve_bad_input_is_400(
    directory: Directory, post_json: Any, body: dict[str, Any]
) -> None:
    _seed(directory)
    response = post_json(PATH, body, as_=("u", ORG, OTHER))
    out = assert_failure(response, 400, "INVALID_INPUT")
    assert "u_1190" not in str(out) and "Priya" not in str(out)


def test_resolve_oversized_email_list_is_400(
    directory: Directory, post_json: Any
) -> None:
    directory.set(MAX_ID_LIST_LENGTH=3)
    response = post_json(
        PATH, {"organizationId": ORG, "emails": [f"a{i}@x.example" for i in range(4)]}
    )
    assert_failure(response, 400, "INVALID_INPUT")


def test_resolve_overlong_email_never_matches(
    directory: Directory, post_json: Any
) -> None:
    long_email = "a" * 150 + "@acme.example"
    directory.load({"userId": "u_long", "email": long_email}, org=ORG)
    assert _resolve(post_json, [long_email]) == {long_email: "u_long"}
    directory.set(MAX_ID_LENGTH=100)
    assert _resolve(post_json, [long_email]) == {}


@pytest.mark.django_db
class TestResolveContract(ReadEndpointContract):
    path = PATH
    collection = "velt_users"

    def valid_body(self) -> dict[str, Any]:
        return {"organizationId": ORG, "emails": ["a@acme.example"]}


def test_resolve_emails_and_organization_holding_nul_match_nothing(
    directory: Directory, post_json: Any
) -> None:
    # PostgreSQL text cannot hold a NUL character, so no stored address or membership
    # has one: such an e-mail is unmatched, such an organization has no members.
    _seed(directory)
    emails = ["priya.nair@acme.example\x00", "Priya.Nair@acme.example"]
    assert _resolve(post_json, emails) == {"Priya.Nair@acme.example": "u_1190"}
    org = f"{ORG}\x00"
    assert _resolve(post_json, emails, org=org, as_=("u", org)) == {
        "Priya.Nair@acme.example": "u_1190"
    }
    directory.scope()
    assert _resolve(post_json, emails, org=org, as_=("u", org)) == {}
    assert _resolve(post_json, emails) == {"Priya.Nair@acme.example": "u_1190"}
