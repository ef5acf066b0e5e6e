"""``notifications/get`` and ``notifications/delete`` over HTTP (CONTRACT §13, §2.5,
A-18, A-19, A-20, Appendix A): records are written with the server-side API, as an
integrator's backend does, and read and deleted through the endpoints, on mongomock,
MongoDB and PostgreSQL (the ``backend`` fixture)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar

import pytest
from django.urls import Resolver404, resolve

from velt_django import notifications
from velt_django.access import velt_orgs_claim
from velt_django.repository import connection

from ..contracts import (
    ReadEndpointContract,
    WriteEndpointContract,
    assert_failure,
    assert_json_equal,
    assert_success,
)
from ..families import BOTH, ORG, OTHER, THIRD, UNSAFE_KEYS, on_backends
from .backends import stored_documents

COLLECTION = "velt_notifications"
#: Stored text that a refused request must never return or echo.
CANARY = "pii-canary-N0t1f"

#: Every call of :func:`recording_policy`: (action, organization, document ids).
CALLS: list[tuple[str, str, list[str]]] = []


def recording_policy(
    request: Any, action: str, organization_id: str, document_ids: Sequence[str]
) -> bool:
    """The default policy (``velt_orgs`` claim), remembering every question asked."""
    CALLS.append((action, organization_id, list(document_ids)))
    return velt_orgs_claim(request, action, organization_id, document_ids)


def notification(notification_id: str, **fields: Any) -> dict[str, Any]:
    """A custom notification's PII as the integrator stores it (CONTRACT §13.2)."""
    return {
        "notificationId": notification_id,
        "displayHeadlineMessageTemplate": "{actionUser} flagged the Q3 spec",
        "displayHeadlineMessageTemplateData": {
            "actionUser": {"userId": "u_8841", "name": "Sam Reyes"},
            "recipientUser": {"userId": "u_1190", "name": "Priya Nair"},
        },
        "displayBodyMessage": "Legal sign-off needed by Friday.",
        "notificationSourceData": {"documentId": "spec-q3", "section": "onboarding"},
        **fields,
    }


def stored() -> list[tuple[str, str, Any]]:
    """(organization, notification id, payload) of every stored record, sorted."""
    docs = stored_documents(COLLECTION)
    return sorted(
        ((d["organizationId"], d["notificationId"], d["payload"]) for d in docs),
        key=lambda row: (row[0], row[1]),
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # The tests of stored notifications run on mongomock (unit tier) too.
    if "backend" in metafunc.fixturenames:
        metafunc.definition.add_marker(on_backends(mongomock=True))


@pytest.fixture
def tier(backend: str) -> None:
    """Run the test on mongomock, on a real MongoDB server and on PostgreSQL."""


@pytest.fixture
def seeded(tier: None) -> dict[str, Any]:
    """n-1 and n-2 in ``ORG``; n-1 (other text) in ``OTHER``; n-3 in ``THIRD``."""
    records = {
        "n-1": notification("n-1", displayBodyMessage=CANARY),
        "n-2": notification("n-2"),
    }
    notifications.store(ORG, records.values())
    notifications.store(OTHER, [notification("n-1", displayBodyMessage="of globex")])
    notifications.store(THIRD, [notification("n-3", displayBodyMessage=CANARY)])
    return records


def get(post_json: Any, body: Any, as_: tuple[str, ...] | None = BOTH) -> Any:
    return post_json("notifications/get", body, as_=as_)


def delete(post_json: Any, body: Any, as_: tuple[str, ...] | None = BOTH) -> Any:
    return post_json("notifications/delete", body, as_=as_)


def data_of(response: Any) -> dict[str, Any]:
    result: dict[str, Any] = assert_success(response, read=True)["data"]
    return result


# ---- transport contracts (wire tier) ---------------------------------------------------


@pytest.mark.mongo
class TestGetContract(ReadEndpointContract):
    path: ClassVar[str] = "notifications/get"
    collection: ClassVar[str] = COLLECTION

    def valid_body(self) -> dict[str, Any]:
        return {"organizationId": ORG, "notificationIds": ["n-1"]}


@pytest.mark.mongo
class TestDeleteContract(WriteEndpointContract):
    path: ClassVar[str] = "notifications/delete"
    collection: ClassVar[str] = COLLECTION

    def valid_body(self) -> dict[str, Any]:
        return {"notificationId": "n-1", "organizationId": ORG}

    def seed(self, post_json: Any) -> None:
        notifications.store(ORG, [notification("n-1")])

    def stored_ids(self) -> list[tuple[str, str]]:
        return [(org, nid) for org, nid, _payload in stored()]


def test_there_is_no_save_route() -> None:
    # A browser-reachable write would let any user forge notification text (§13.5).
    for path in ("/velt/notifications/save", "/velt/notifications/save/"):
        with pytest.raises(Resolver404):
            resolve(path)


def test_post_to_save_path_stores_nothing(post_json: Any, tier: None) -> None:
    body = {"notification": {"n-9": notification("n-9")}, "organizationId": ORG}
    response = post_json("notifications/save", body)
    assert response.status_code == 404
    assert stored() == []


# ---- get -------------------------------------------------------------------------------


def test_get_by_ids_returns_stored_payloads(
    post_json: Any, seeded: dict[str, Any]
) -> None:
    body = {"organizationId": ORG, "notificationIds": ["n-1", "n-2"]}
    assert_json_equal(data_of(get(post_json, body)), seeded)


def test_get_unknown_ids_are_absent(post_json: Any, seeded: dict[str, Any]) -> None:
    body = {"organizationId": ORG, "notificationIds": ["n-2", "nope", "n-3"]}
    assert list(data_of(get(post_json, body))) == ["n-2"]


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"notificationIds": None},
        {"notificationIds": []},
        {"documentIds": ["spec-q3"], "folderId": "f", "allDocuments": True},
    ],
    ids=["missing", "null", "empty", "other-selectors"],
)
def test_get_without_ids_returns_empty_data(
    post_json: Any, seeded: dict[str, Any], extra: dict[str, Any]
) -> None:
    # notifications are per recipient; never the organization's whole set.
    response = get(post_json, {"organizationId": ORG, **extra})
    assert data_of(response) == {}
    assert CANARY.encode() not in response.content


def test_get_numeric_ids_are_coerced(post_json: Any, tier: None) -> None:
    notifications.store(ORG, [notification("4471")])
    body = {"organizationId": ORG, "notificationIds": [4471, 4471.0, "4471"]}
    assert list(data_of(get(post_json, body))) == ["4471"]


def test_get_response_holds_only_the_payload(post_json: Any, tier: None) -> None:
    payload = {
        "notificationId": "n-1",
        "kept": {"zero": 0, "no": False, "empty": "", "none": None, "list": [1, 1.5]},
        **{key: key for key in UNSAFE_KEYS},
    }
    notifications.store(ORG, [payload])
    body = {"organizationId": ORG, "notificationIds": ["n-1"]}
    assert_json_equal(data_of(get(post_json, body)), {"n-1": payload})


def test_get_ignores_metadata_object(post_json: Any, seeded: dict[str, Any]) -> None:
    body = {
        "organizationId": ORG,
        "notificationIds": ["n-2"],
        "metadata": {"organizationId": OTHER},
    }
    assert list(data_of(get(post_json, body))) == ["n-2"]


def test_server_side_update_is_what_get_returns(
    post_json: Any, seeded: dict[str, Any]
) -> None:
    notifications.store_one(ORG, {"notificationId": "n-2", "displayBodyMessage": "v2"})
    body = {"organizationId": ORG, "notificationIds": ["n-2"]}
    payload = data_of(get(post_json, body))["n-2"]
    assert payload["displayBodyMessage"] == "v2"
    assert payload["notificationSourceData"] == seeded["n-2"]["notificationSourceData"]


def test_get_read_filter_applies(
    post_json: Any, seeded: dict[str, Any], settings: Any
) -> None:
    settings.VELT = {
        **settings.VELT,
        "READ_FILTER": "tests.policies.hide_private_threads",
    }
    notifications.store(ORG, [notification("n-p", visibility="private")])
    body = {"organizationId": ORG, "notificationIds": ["n-1", "n-p"]}
    assert list(data_of(get(post_json, body))) == ["n-1"]


# ---- organizations ("For You" reads several organizations, §13.3) ---------------------


def test_get_for_each_organization_returns_that_organizations_record(
    post_json: Any, seeded: dict[str, Any]
) -> None:
    for org, text in ((ORG, CANARY), (OTHER, "of globex")):
        body = {"organizationId": org, "notificationIds": ["n-1"]}
        assert data_of(get(post_json, body))["n-1"]["displayBodyMessage"] == text


def test_get_asks_the_policy_for_the_organization_before_reading(
    post_json: Any, seeded: dict[str, Any], settings: Any
) -> None:
    settings.VELT = {
        **settings.VELT,
        "ORGANIZATION_ACCESS": "tests.views.test_notifications.recording_policy",
    }
    CALLS.clear()
    body = {"organizationId": OTHER, "notificationIds": ["n-1"]}
    assert list(data_of(get(post_json, body))) == ["n-1"]
    assert CALLS == [("get", OTHER, [])]


@pytest.mark.parametrize("ids", [["n-3"], [], None], ids=["ids", "empty", "missing"])
def test_get_for_organization_not_allowed_is_403(
    post_json: Any, seeded: dict[str, Any], ids: Any
) -> None:
    body = {"organizationId": THIRD, "notificationIds": ids}
    response = get(post_json, body)  # BOTH: ORG and OTHER, not THIRD
    assert "data" not in assert_failure(response, 403, "FORBIDDEN")
    assert CANARY.encode() not in response.content


def test_get_refused_by_policy_raising_permission_denied(
    post_json: Any, seeded: dict[str, Any], settings: Any
) -> None:
    settings.VELT = {
        **settings.VELT,
        "ORGANIZATION_ACCESS": "tests.policies.raises_permission_denied",
    }
    body = {"organizationId": ORG, "notificationIds": ["n-1"]}
    response = get(post_json, body)
    assert_failure(response, 403, "FORBIDDEN")
    assert CANARY.encode() not in response.content


def test_get_without_credential_is_401(post_json: Any, seeded: dict[str, Any]) -> None:
    body = {"organizationId": ORG, "notificationIds": ["n-1"]}
    response = get(post_json, body, as_=None)
    assert_failure(response, 401, "UNAUTHENTICATED")
    assert CANARY.encode() not in response.content


# ---- delete ----------------------------------------------------------------------------


def test_delete_removes_the_record(post_json: Any, seeded: dict[str, Any]) -> None:
    response = delete(post_json, {"notificationId": "n-1", "organizationId": ORG})
    assert_success(response, read=False)
    assert notifications.get(ORG, ["n-1", "n-2"]).keys() == {"n-2"}
    assert notifications.get(OTHER, ["n-1"]) != {}


def test_delete_repeated_and_unknown_answer_200(
    post_json: Any, seeded: dict[str, Any]
) -> None:
    for notification_id in ("n-1", "n-1", "never-stored"):
        body = {"notificationId": notification_id, "organizationId": ORG}
        assert_success(delete(post_json, body), read=False)
    assert [(o, n) for o, n, _ in stored()] == [
        (ORG, "n-2"),
        (OTHER, "n-1"),
        (THIRD, "n-3"),
    ]


@pytest.mark.parametrize(
    "metadata",
    [{"organizationId": OTHER}, {"clientOrganizationId": OTHER, "organizationId": "x"}],
    ids=["organizationId", "clientOrganizationId"],
)
def test_delete_falls_back_to_metadata_organization(
    post_json: Any, seeded: dict[str, Any], metadata: dict[str, Any]
) -> None:
    body = {"notificationId": "n-1", "metadata": metadata}
    assert_success(delete(post_json, body), read=False)
    assert notifications.get(OTHER, ["n-1"]) == {}
    assert notifications.get(ORG, ["n-1"]) != {}


def test_delete_top_level_organization_wins_over_metadata(
    post_json: Any, seeded: dict[str, Any]
) -> None:
    body = {
        "notificationId": "n-1",
        "organizationId": OTHER,
        "metadata": {"organizationId": ORG},
    }
    assert_success(delete(post_json, body), read=False)
    assert notifications.get(OTHER, ["n-1"]) == {}
    assert notifications.get(ORG, ["n-1"]) != {}


@pytest.mark.parametrize("event", ["notification.delete", 7, {"x": 1}, None, "a b$c"])
def test_delete_event_is_ignored(
    post_json: Any, seeded: dict[str, Any], event: Any
) -> None:
    body = {"notificationId": "n-2", "organizationId": ORG, "event": event}
    assert_success(delete(post_json, body), read=False)
    assert notifications.get(ORG, ["n-2"]) == {}


def test_delete_for_organization_not_allowed_is_403_and_keeps_record(
    post_json: Any, seeded: dict[str, Any]
) -> None:
    before = stored()
    body = {"notificationId": "n-3", "organizationId": THIRD}
    assert_failure(delete(post_json, body), 403, "FORBIDDEN")
    assert stored() == before


def test_delete_metadata_organization_not_allowed_is_403(
    post_json: Any, seeded: dict[str, Any]
) -> None:
    before = stored()
    body = {"notificationId": "n-1", "metadata": {"organizationId": OTHER}}
    response = delete(post_json, body, as_=("u_a", ORG))
    assert_failure(response, 403, "FORBIDDEN")
    assert stored() == before


def test_delete_without_organization_deletes_only_in_allowed_organizations(
    post_json: Any, tier: None
) -> None:
    for org in (ORG, OTHER, THIRD):
        notifications.store(org, [notification("n-1")])
    response = delete(post_json, {"notificationId": "n-1"}, as_=("u_a", ORG, THIRD))
    assert_success(response, read=False)
    assert [(o, n) for o, n, _ in stored()] == [(OTHER, "n-1")]


def test_delete_without_organization_and_no_allowed_match_answers_200(
    post_json: Any, seeded: dict[str, Any]
) -> None:
    before = stored()
    response = delete(post_json, {"notificationId": "n-3"}, as_=("u_a", ORG))
    assert_success(response, read=False)
    assert stored() == before


def test_delete_without_credential_is_401_and_keeps_record(
    post_json: Any, seeded: dict[str, Any]
) -> None:
    before = stored()
    body = {"notificationId": "n-1", "organizationId": ORG}
    assert_failure(delete(post_json, body, as_=None), 401, "UNAUTHENTICATED")
    assert stored() == before


# ---- bad input: 400 envelope, nothing echoed, nothing changed ---------------------------

OPERATOR = {"$ne": None}

BAD_GETS: list[tuple[str, dict[str, Any]]] = [
    ("org-operator", {"organizationId": OPERATOR, "notificationIds": ["n-1"]}),
    ("org-gt", {"organizationId": {"$gt": ""}, "notificationIds": ["n-1"]}),
    ("id-operator", {"organizationId": ORG, "notificationIds": [OPERATOR]}),
    ("ids-operator", {"organizationId": ORG, "notificationIds": {"$in": ["n-1"]}}),
    ("ids-regex", {"organizationId": ORG, "notificationIds": [{"$regex": ".*"}]}),
    # With ids these are the org-less get (§2.5); without ids they select nothing.
    ("org-missing", {}),
    ("org-null", {"organizationId": None}),
    ("org-empty", {"organizationId": ""}),
    ("org-bool", {"organizationId": True, "notificationIds": ["n-1"]}),
    ("org-list", {"organizationId": [ORG], "notificationIds": ["n-1"]}),
    ("org-float", {"organizationId": 1.5, "notificationIds": ["n-1"]}),
    ("ids-string", {"organizationId": ORG, "notificationIds": "n-1"}),
    ("ids-number", {"organizationId": ORG, "notificationIds": 5}),
    ("ids-bool", {"organizationId": ORG, "notificationIds": True}),
    ("id-bool", {"organizationId": ORG, "notificationIds": [True]}),
    ("id-list", {"organizationId": ORG, "notificationIds": [["n-1"]]}),
    ("id-float", {"organizationId": ORG, "notificationIds": [1.5]}),
]

BAD_DELETES: list[tuple[str, dict[str, Any]]] = [
    ("id-operator", {"notificationId": OPERATOR, "organizationId": ORG}),
    ("org-operator", {"notificationId": "n-1", "organizationId": OPERATOR}),
    (
        "metadata-org-operator",
        {"notificationId": "n-1", "metadata": {"organizationId": OPERATOR}},
    ),
    (
        "metadata-client-org-operator",
        {"notificationId": "n-1", "metadata": {"clientOrganizationId": OPERATOR}},
    ),
    ("id-missing", {"organizationId": ORG}),
    ("id-null", {"notificationId": None, "organizationId": ORG}),
    ("id-empty", {"notificationId": "", "organizationId": ORG}),
    ("id-bool", {"notificationId": True, "organizationId": ORG}),
    ("id-list", {"notificationId": ["n-1"], "organizationId": ORG}),
    ("org-bool", {"notificationId": "n-1", "organizationId": False}),
    ("metadata-string", {"notificationId": "n-1", "metadata": "acme-corp"}),
    ("metadata-list", {"notificationId": "n-1", "metadata": [ORG]}),
]


def assert_rejected_unchanged(response: Any, sent: Any, before: Any) -> None:
    body = assert_failure(response, 400, "INVALID_INPUT")
    assert "data" not in body
    assert CANARY.encode() not in response.content
    assert json.dumps(sent).encode() not in response.content
    assert stored() == before


@pytest.mark.parametrize("body", [b for _, b in BAD_GETS], ids=[i for i, _ in BAD_GETS])
def test_get_bad_input_is_400(
    post_json: Any, seeded: dict[str, Any], body: dict[str, Any]
) -> None:
    before = stored()
    assert_rejected_unchanged(get(post_json, body), body, before)


@pytest.mark.parametrize(
    "body", [b for _, b in BAD_DELETES], ids=[i for i, _ in BAD_DELETES]
)
def test_delete_bad_input_is_400(
    post_json: Any, seeded: dict[str, Any], body: dict[str, Any]
) -> None:
    before = stored()
    assert_rejected_unchanged(delete(post_json, body), body, before)


@pytest.mark.parametrize("path", ["notifications/get", "notifications/delete"])
@pytest.mark.parametrize("raw", ["[]", '"n-1"', "null", "{bad json", "", '{"a": NaN}'])
def test_body_not_a_json_object_is_400(
    post_json: Any, seeded: dict[str, Any], path: str, raw: str
) -> None:
    before = stored()
    assert_failure(post_json(path, raw, as_=BOTH), 400, "INVALID_INPUT")
    assert stored() == before


def test_get_more_ids_than_limit_is_400(
    post_json: Any, seeded: dict[str, Any], settings: Any
) -> None:
    limit = settings.VELT.get("MAX_ID_LIST_LENGTH", 2000)
    ids = ["n-1"] + [f"x-{i}" for i in range(limit)]
    response = get(post_json, {"organizationId": ORG, "notificationIds": ids})
    assert_failure(response, 400, "INVALID_INPUT")
    assert CANARY.encode() not in response.content


def test_get_ids_at_the_limit_are_accepted(
    post_json: Any, seeded: dict[str, Any], settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "MAX_ID_LIST_LENGTH": 50}
    ids = ["n-2"] + [f"x-{i}" for i in range(49)]
    body = {"organizationId": ORG, "notificationIds": ids}
    assert list(data_of(get(post_json, body))) == ["n-2"]
    body["notificationIds"] = ids + ["one-more"]
    assert_failure(get(post_json, body), 400, "INVALID_INPUT")


@pytest.mark.parametrize("path", ["notifications/get", "notifications/delete"])
def test_id_longer_than_limit_is_400(
    post_json: Any, seeded: dict[str, Any], settings: Any, path: str
) -> None:
    settings.VELT = {**settings.VELT, "MAX_ID_LENGTH": 16}
    long_id = "n" * 17
    body: dict[str, Any] = (
        {"organizationId": ORG, "notificationIds": [long_id]}
        if path.endswith("get")
        else {"notificationId": long_id, "organizationId": ORG}
    )
    before = stored()
    response = post_json(path, body, as_=BOTH)
    assert_failure(response, 400, "INVALID_INPUT")
    assert long_id.encode() not in response.content
    assert stored() == before


@pytest.mark.mongo
@pytest.mark.parametrize(
    "body",
    [
        {"organizationId": ORG, "notificationIds": ["n-1"]},
        {"notificationId": "n-1", "organizationId": ORG},
    ],
    ids=["get", "delete"],
)
def test_database_unreachable_is_503(
    post_json: Any, settings: Any, body: dict[str, Any]
) -> None:
    settings.VELT = {
        **settings.VELT,
        "MONGODB_URI": "mongodb://127.0.0.1:1/?directConnection=true",
        "SERVER_SELECTION_TIMEOUT_MS": 200,
    }
    path = "notifications/get" if "notificationIds" in body else "notifications/delete"
    try:
        assert_failure(post_json(path, body, as_=BOTH), 503, "DATABASE_ERROR")
    finally:
        connection.close_client()
