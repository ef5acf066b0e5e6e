"""Private threads (CONTRACT §16.5): a comment thread whose stored ``visibilityConfig``
is not public reaches only the users it allows, on every kind of ``comments/get``;
threads without it, reactions and recordings are served as before. On mongomock, MongoDB
and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from .. import policies
from ..contracts import assert_success
from ..families import COMMENTS, ORG, OTHER, REACTIONS, on_backends

pytestmark = on_backends(mongomock=True)

AUTHOR = "u_8841"
LISTED = "u_1190"
OUTSIDER = "u_3307"  # same organization, not listed


def thread(record_id: str, visibility: Any = None, **extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"from": {"userId": AUTHOR}, **extra}
    if visibility is not None:
        fields["visibilityConfig"] = visibility
    return COMMENTS.record(record_id, org=ORG, doc="doc-1", **fields)


def save(post_json: Any, *threads: dict[str, Any]) -> None:
    assert_success(
        post_json("comments/save", COMMENTS.save_body(*threads), as_=(AUTHOR, ORG)),
        read=False,
    )


def visible_to(post_json: Any, user: str, *orgs: str, **query: Any) -> set[str]:
    body = {"organizationId": ORG, **query}
    response = post_json("comments/get", body, as_=(user, *(orgs or (ORG,))))
    return set(assert_success(response, read=True)["data"])


GETS = pytest.mark.parametrize(
    "query",
    [
        {"documentIds": ["doc-1"]},
        {"commentAnnotationIds": ["t-private", "t-open"]},
        {"organizationId": "", "commentAnnotationIds": ["t-private", "t-open"]},
        {},
    ],
    ids=["by-document", "by-id", "orgless-by-id", "whole-organization"],
)


@GETS
def test_restricted_thread_reaches_only_listed_users_and_author(
    backend: str, post_json: Any, query: dict[str, Any]
) -> None:
    restricted = {"type": "restricted", "userIds": [AUTHOR, LISTED]}
    save(post_json, thread("t-private", restricted), thread("t-open"))
    assert visible_to(post_json, LISTED, **query) == {"t-private", "t-open"}
    assert visible_to(post_json, AUTHOR, **query) == {"t-private", "t-open"}
    assert visible_to(post_json, OUTSIDER, **query) == {"t-open"}


def test_restricted_thread_without_the_author_listed_still_reaches_the_author(
    backend: str, post_json: Any
) -> None:
    save(post_json, thread("t-private", {"type": "restricted", "userIds": [LISTED]}))
    assert visible_to(post_json, AUTHOR) == {"t-private"}
    assert visible_to(post_json, OUTSIDER) == set()


@pytest.mark.parametrize(
    "visibility",
    [{"type": "private"}, {"type": "somethingNew", "userIds": [LISTED]}, {}],
    ids=["private", "unknown", "no-type"],
)
def test_unknown_non_public_types_fail_closed(
    backend: str, post_json: Any, visibility: dict[str, Any]
) -> None:
    save(post_json, thread("t-private", visibility))
    assert visible_to(post_json, OUTSIDER) == set()
    assert visible_to(post_json, AUTHOR) == {"t-private"}


@pytest.mark.parametrize(
    "visibility",
    [None, {"type": "public"}, "restricted", ["restricted"]],
    ids=["absent", "public", "string", "list"],
)
def test_threads_without_a_restriction_are_served_as_before(
    backend: str, post_json: Any, visibility: Any
) -> None:
    save(post_json, thread("t-1", visibility))
    assert visible_to(post_json, OUTSIDER) == {"t-1"}


def test_organization_private_follows_the_listed_organizations(
    backend: str, post_json: Any
) -> None:
    save(
        post_json,
        thread("t-org", {"type": "organizationPrivate", "organizationIds": [OTHER]}),
    )
    # Authorized for the record's organization only, and not listed: absent.
    assert visible_to(post_json, OUTSIDER, ORG) == set()
    # Authorized for the listed organization too: returned.
    assert visible_to(post_json, OUTSIDER, ORG, OTHER) == {"t-org"}


def test_organization_private_without_organizations_means_the_records_own(
    backend: str, post_json: Any
) -> None:
    save(post_json, thread("t-org", {"type": "organizationPrivate"}))
    assert visible_to(post_json, OUTSIDER, ORG) == {"t-org"}


def test_read_filter_never_sees_a_hidden_thread(
    backend: str, post_json: Any, settings: Any
) -> None:
    settings.VELT = {
        **settings.VELT,
        "READ_FILTER": "tests.policies.recording_read_filter",
    }
    policies.READ_FILTER_SAW.clear()
    save(post_json, thread("t-private", {"type": "restricted"}), thread("t-open"))
    assert visible_to(post_json, OUTSIDER) == {"t-open"}
    assert policies.READ_FILTER_SAW == [{"t-open"}]
    policies.READ_FILTER_SAW.clear()


def test_reactions_carry_no_visibility_of_their_own(
    backend: str, post_json: Any
) -> None:
    record = REACTIONS.record("r-1", org=ORG, visibilityConfig={"type": "restricted"})
    assert_success(
        post_json("reactions/save", REACTIONS.save_body(record), as_=(AUTHOR, ORG)),
        read=False,
    )
    response = post_json("reactions/get", {"organizationId": ORG}, as_=(OUTSIDER, ORG))
    assert set(assert_success(response, read=True)["data"]) == {"r-1"}


def test_shared_secret_principal_never_receives_a_private_thread(
    backend: str, post_json: Any, settings: Any
) -> None:
    save(post_json, thread("t-private", {"type": "restricted"}), thread("t-open"))
    settings.DEBUG = True
    settings.VELT = {
        **settings.VELT,
        "AUTHENTICATION_CLASSES": [
            "velt_django.shared_secret.InsecureSharedSecretAuthentication"
        ],
        "INSECURE_SHARED_SECRET": "dev-secret-for-tests",
        "ALLOW_INSECURE_SHARED_SECRET": True,
        "ORGANIZATION_ACCESS": "velt_django.access.allow_all",
    }
    response = post_json(
        "comments/get",
        {"organizationId": ORG},
        as_=None,
        HTTP_X_VELT_SHARED_SECRET="dev-secret-for-tests",
    )
    assert set(assert_success(response, read=True)["data"]) == {"t-open"}
