"""``activities/get|save`` over HTTP (CONTRACT §12, A-16, A-17, Appendix A "Activity") on
mongomock, MongoDB and PostgreSQL, plus the transport contracts on the wire tier and the
405 of ``activities/delete``. Activity saves are append-only: a later save of a stored id only
adds keys it lacks (see ``ActivityRepository.save_many``)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from django.test import Client

from velt_django.access import velt_orgs_claim
from velt_django.repository import connection

from ..auth import principal
from ..contracts import (
    ALLOWED_ORIGIN,
    ReadEndpointContract,
    WriteEndpointContract,
    assert_failure,
    assert_json_equal,
    assert_success,
)
from ..families import BOTH, ORG, OTHER, THIRD, UNSAFE_KEYS, on_backends
from .backends import stored_documents

COLLECTION = "velt_activities"
CANARY = "pii-canary-Act7Qw"


def activity(
    record_id: str, *, org: str | None = ORG, doc: str | None = "doc-1", **extra: Any
) -> dict[str, Any]:
    """An activity payload as Velt sends it (CONTRACT §12.2)."""
    metadata: dict[str, Any] = {"apiKey": "pk_test"}
    if org is not None:
        metadata["organizationId"] = org
    if doc is not None:
        metadata["documentId"] = doc
    return {
        "id": record_id,
        "metadata": metadata,
        "changes": {"commentText": {"from": "old text", "to": "new text"}},
        **extra,
    }


def save_body(*payloads: dict[str, Any], **request: Any) -> dict[str, Any]:
    return {
        "activity": {p["id"]: p for p in payloads},
        "event": "activity.save",
        **request,
    }


def stored(record_id: str, org: str = ORG) -> dict[str, Any] | None:
    """The stored envelope of one activity (``backends.stored_documents``)."""
    found = stored_documents(COLLECTION, organizationId=org, activityId=record_id)
    return found[0] if found else None


def snapshot() -> list[dict[str, Any]]:
    return stored_documents(COLLECTION)


class Api:
    """The activity endpoints over HTTP; helpers assert the success envelope."""

    def __init__(self, post_json: Any) -> None:
        self.post_json = post_json

    def post(
        self, operation: str, body: Any, as_: tuple[str, ...] | None = BOTH, **kw: Any
    ) -> Any:
        return self.post_json(f"activities/{operation}", body, as_=as_, **kw)

    def save(
        self, *payloads: dict[str, Any], as_: tuple[str, ...] = BOTH, **request: Any
    ) -> None:
        body = save_body(*payloads, **request)
        assert_success(self.post("save", body, as_), read=False)

    def get(self, body: dict[str, Any], as_: tuple[str, ...] = BOTH) -> dict[str, Any]:
        response = self.post("get", body, as_)
        data: dict[str, Any] = assert_success(response, read=True)["data"]
        return data

    def get_one(self, record_id: str, org: str = ORG) -> dict[str, Any]:
        data = self.get({"organizationId": org, "activityIds": [record_id]})
        assert record_id in data, data
        payload: dict[str, Any] = data[record_id]
        return payload


@pytest.fixture
def api(backend: str, post_json: Any) -> Api:
    """The endpoints against mongomock, the wire tier's server and PostgreSQL."""
    return Api(post_json)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # The tests on stored activities run on mongomock (unit tier) too.
    if "backend" in metafunc.fixturenames:
        metafunc.definition.add_marker(on_backends(mongomock=True))


# ---- transport contracts (wire tier) -------------------------------------------------


@pytest.mark.mongo
class TestActivitiesGetContract(ReadEndpointContract):
    path = "activities/get"
    collection = COLLECTION

    def valid_body(self) -> dict[str, Any]:
        return {"organizationId": ORG, "activityIds": ["act-1"]}


@pytest.mark.mongo
class TestActivitiesSaveContract(WriteEndpointContract):
    path = "activities/save"
    collection = COLLECTION

    def valid_body(self) -> dict[str, Any]:
        return save_body(activity("act-1"))

    def stored_ids(self) -> list[tuple[str, str]]:
        docs = self.db[self.collection].find({}, {"organizationId": 1, "activityId": 1})
        return sorted((d["organizationId"], d["activityId"]) for d in docs)


# ---- activities/delete does not exist --------------------------------------------------


@pytest.fixture
def seeded(api: Api) -> dict[str, Any]:
    record = activity("act-1", secret=CANARY)
    api.save(record)
    return record


@pytest.mark.parametrize("path", ["activities/delete", "activities/delete/"])
def test_delete_route_answers_405_envelope(
    api: Api, seeded: dict[str, Any], post_json: Any, path: str
) -> None:
    before = snapshot()
    body = {"activityId": "act-1", "metadata": {"organizationId": ORG}}
    response = post_json(path, body, as_=BOTH)
    failure = assert_failure(response, 405, "METHOD_NOT_ALLOWED")
    # A POST is refused: the message must say why, not "Only POST is allowed."
    assert "append-only" in failure["message"]
    assert "Only POST" not in failure["message"]
    assert CANARY.encode() not in response.content
    assert snapshot() == before


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_delete_route_other_methods_answer_405(
    api: Api, seeded: dict[str, Any], client: Client, method: str
) -> None:
    response = getattr(client, method)(
        "/velt/activities/delete", **principal("u_test", ORG)
    )
    assert_failure(response, 405, "METHOD_NOT_ALLOWED")
    assert len(snapshot()) == 1


def test_delete_route_answers_405_without_credential(
    api: Api, seeded: dict[str, Any], post_json: Any
) -> None:
    response = post_json("activities/delete", {"activityId": "act-1"}, as_=None)
    assert_failure(response, 405, "METHOD_NOT_ALLOWED")
    assert len(snapshot()) == 1


def test_delete_route_preflight_lets_the_browser_read_the_405(
    api: Api, client: Client, post_json: Any, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "CORS_ALLOWED_ORIGINS": [ALLOWED_ORIGIN]}
    preflight = client.options(
        "/velt/activities/delete",
        HTTP_ORIGIN=ALLOWED_ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    response = post_json(
        "activities/delete", {"activityId": "x"}, HTTP_ORIGIN=ALLOWED_ORIGIN
    )
    assert_failure(response, 405, "METHOD_NOT_ALLOWED")
    assert response["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


@pytest.mark.parametrize("path", ["activities/get", "activities/save"])
@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_get_and_save_other_methods_answer_405(
    api: Api, client: Client, path: str, method: str
) -> None:
    response = getattr(client, method)(f"/velt/{path}", **principal("u_test", ORG))
    assert_failure(response, 405, "METHOD_NOT_ALLOWED")


# ---- save: round trip and append-only ------------------------------------------------


def test_save_round_trip_is_json_equal(api: Api) -> None:
    payload = activity(
        "act-1",
        entityData={"releaseName": "v2.4.0", "deployKey": "dk-7f3a"},
        displayMessageTemplateData={"actor": {"userId": "u_8841"}, "env": "prod"},
        displayMessageTemplate="{{actor.name}} shipped {{releaseName}}",
        customNull=None,
        customZero=0,
        customFalse=False,
        customEmpty="",
        customInt=184639,
        customFloat=1.0,
        customList=[3, "b", None, {"k": True}],
        nested={"a": {"b": [[]], "c": {}}},
    )
    api.save(payload)
    returned = api.get_one("act-1")
    assert_json_equal(returned, payload)
    assert type(returned["customInt"]) is int
    assert type(returned["customFloat"]) is float


@pytest.mark.parametrize("key", UNSAFE_KEYS)
def test_save_unsafe_keys_round_trip(api: Api, key: str) -> None:
    custom: dict[str, Any] = {key: {key: [{key: 0}]}}
    payload = activity("act-1", **custom)
    payload["metadata"][key] = "m"
    api.save(payload)
    assert_json_equal(api.get_one("act-1"), payload)


def test_save_second_save_with_changed_text_keeps_stored_text(api: Api) -> None:
    first = activity("act-1")
    api.save(first)
    changed = activity("act-1")
    changed["changes"] = {"commentText": {"from": "old text", "to": "rewritten"}}
    api.save(changed)
    assert_json_equal(api.get_one("act-1")["changes"], first["changes"])
    doc = stored("act-1")
    assert doc is not None
    assert doc["payload"]["changes"]["commentText"]["to"] == "new text"


def test_save_second_save_adds_missing_keys(api: Api) -> None:
    api.save(activity("act-1"))
    api.save(activity("act-1", entityData={"releaseName": "v2"}, extra=0))
    returned = api.get_one("act-1")
    assert returned["entityData"] == {"releaseName": "v2"}
    assert returned["extra"] == 0
    assert returned["changes"]["commentText"]["to"] == "new text"


def test_save_second_save_adds_missing_metadata_keys_only(api: Api) -> None:
    api.save(activity("act-1"))
    later = activity("act-1", org=ORG, doc="doc-moved")
    later["metadata"].update(apiKey="pk_other", sdkVersion="5.0.3")
    api.save(later)
    assert_json_equal(
        api.get_one("act-1")["metadata"],
        {
            "apiKey": "pk_test",
            "organizationId": ORG,
            "documentId": "doc-1",
            "sdkVersion": "5.0.3",
        },
    )


def test_save_stored_null_is_never_replaced(api: Api) -> None:
    api.save(activity("act-1", entityData=None))
    api.save(activity("act-1", entityData={"now": "set"}))
    returned = api.get_one("act-1")
    assert "entityData" in returned and returned["entityData"] is None


def test_save_stored_non_object_metadata_is_kept(api: Api) -> None:
    first = {**activity("act-1"), "metadata": "opaque"}
    api.save(first, metadata={"organizationId": ORG})
    api.save(activity("act-1"))
    assert api.get_one("act-1")["metadata"] == "opaque"


def test_save_does_not_move_the_stored_document(api: Api) -> None:
    api.save(activity("act-1", doc="doc-1"))
    api.save(activity("act-1", doc="doc-2"))
    assert sorted(api.get({"organizationId": ORG, "documentIds": ["doc-1"]})) == [
        "act-1"
    ]
    assert api.get({"organizationId": ORG, "documentIds": ["doc-2"]}) == {}


def test_save_later_document_fills_a_missing_document(api: Api) -> None:
    api.save(activity("act-1", doc=None))
    api.save(activity("act-1", doc="doc-late"))
    assert sorted(api.get({"organizationId": ORG, "documentIds": ["doc-late"]})) == [
        "act-1"
    ]


def test_save_is_idempotent(api: Api) -> None:
    payload = activity("act-1", entityData={"k": 1})
    api.save(payload)
    api.save(payload)
    assert len(snapshot()) == 1
    assert_json_equal(api.get_one("act-1"), payload)


def test_save_envelope_fields_never_in_response(api: Api) -> None:
    api.save(activity("act-1"))
    returned = api.get_one("act-1")
    for bookkeeping in ("_id", "createdAt", "updatedAt", "lastEvent", "payload", "esc"):
        assert bookkeeping not in returned
    doc = stored("act-1")
    assert doc is not None
    assert doc["lastEvent"] == "activity.save"
    assert doc["documentId"] == "doc-1"
    assert "event" not in doc["payload"]


def test_save_map_key_wins_over_payload_id(api: Api) -> None:
    body = {"activity": {"key-id": activity("payload-id")}}
    assert_success(api.post("save", body), read=False)
    data = api.get({"organizationId": ORG, "activityIds": ["key-id", "payload-id"]})
    assert sorted(data) == ["key-id"]
    assert data["key-id"]["id"] == "key-id"


def test_save_fills_missing_id_from_key(api: Api) -> None:
    payload = activity("act-1")
    del payload["id"]
    assert_success(api.post("save", {"activity": {"act-1": payload}}), read=False)
    assert api.get_one("act-1")["id"] == "act-1"


def test_save_empty_map_answers_200_and_writes_nothing(api: Api) -> None:
    body = {"activity": {}, "organizationId": ORG}
    assert_success(api.post("save", body), read=False)
    assert snapshot() == []


def test_save_does_not_store_request_metadata_in_payload(api: Api) -> None:
    md = {"organizationId": ORG, "documentId": "doc-1", "requestOnly": "x"}
    api.save(activity("act-1"), metadata=md)
    assert "requestOnly" not in json.dumps(api.get_one("act-1"))


# ---- save: organizations (§2.5, A-17) ------------------------------------------------


def test_save_uses_request_metadata_organization(api: Api) -> None:
    payload = activity("act-1", org=None, doc=None)
    api.save(payload, metadata={"organizationId": OTHER, "documentId": "doc-r"})
    data = api.get({"organizationId": OTHER, "documentIds": ["doc-r"]})
    assert sorted(data) == ["act-1"]


def test_save_top_level_organization_is_last_fallback(api: Api) -> None:
    api.save(activity("act-1", org=None), organizationId=OTHER)
    assert sorted(api.get({"organizationId": OTHER})) == ["act-1"]


def test_save_request_metadata_wins_over_top_level_organization(api: Api) -> None:
    api.save(
        activity("act-1", org=None),
        metadata={"organizationId": OTHER},
        organizationId=ORG,
    )
    assert sorted(api.get({"organizationId": OTHER})) == ["act-1"]
    assert api.get({"organizationId": ORG}) == {}


def test_save_payload_metadata_wins_over_request_and_top_level(api: Api) -> None:
    api.save(activity("act-1", org=ORG), metadata={"organizationId": OTHER})
    assert sorted(api.get({"organizationId": ORG})) == ["act-1"]


def test_save_prefers_client_organization_id(api: Api) -> None:
    payload = activity("act-1", org="hashed-org")
    payload["metadata"]["clientOrganizationId"] = ORG
    api.save(payload, as_=("u_test", ORG))
    assert sorted(api.get({"organizationId": ORG})) == ["act-1"]
    assert stored("act-1", "hashed-org") is None


def test_save_record_without_organization_is_400_without_pii(api: Api) -> None:
    response = api.post("save", {"activity": {"act-1": {"secret": CANARY}}})
    body = assert_failure(response, 400, "INVALID_INPUT")
    assert CANARY not in body["message"]
    assert snapshot() == []


# ---- get --------------------------------------------------------------------------------


@pytest.fixture
def four(api: Api) -> Api:
    """act-1..act-4 of ``ORG`` on doc-a..doc-d; act-x of ``OTHER`` on doc-a; act-t of
    ``THIRD`` on doc-a (saved by a principal of ``THIRD``)."""
    for n, letter in enumerate("abcd", start=1):
        api.save(activity(f"act-{n}", doc=f"doc-{letter}"))
    api.save(activity("act-x", org=OTHER, doc="doc-a"))
    api.save(activity("act-t", org=THIRD, doc="doc-a"), as_=("u_3", THIRD))
    return api


def test_get_by_ids(four: Api) -> None:
    data = four.get({"organizationId": ORG, "activityIds": ["act-2", "unknown"]})
    assert sorted(data) == ["act-2"]
    assert data["act-2"]["id"] == "act-2"


def test_get_unknown_ids_return_empty_data(four: Api) -> None:
    assert four.get({"organizationId": ORG, "activityIds": ["nope"]}) == {}


def test_get_by_documents(four: Api) -> None:
    data = four.get({"organizationId": ORG, "documentIds": ["doc-b", "doc-c"]})
    assert sorted(data) == ["act-2", "act-3"]


def test_get_union_of_ids_and_documents(four: Api) -> None:
    body = {"organizationId": ORG, "activityIds": ["act-1"], "documentIds": ["doc-d"]}
    assert sorted(four.get(body)) == ["act-1", "act-4"]


def test_get_no_selector_returns_whole_organization(four: Api) -> None:
    assert sorted(four.get({"organizationId": ORG})) == [
        f"act-{n}" for n in (1, 2, 3, 4)
    ]


def test_get_never_returns_other_organizations_records(four: Api) -> None:
    body = {"organizationId": ORG, "activityIds": ["act-x"], "documentIds": ["doc-a"]}
    assert sorted(four.get(body)) == ["act-1"]


def test_get_for_organization_not_allowed_is_403(four: Api) -> None:
    response = four.post("get", {"organizationId": OTHER}, as_=("u_test", ORG))
    assert "data" not in assert_failure(response, 403, "FORBIDDEN")


def test_get_numeric_ids_are_coerced(api: Api) -> None:
    api.save(activity("12345"))
    assert sorted(api.get({"organizationId": ORG, "activityIds": [12345]})) == ["12345"]


# ---- get without organizationId (A-16) -------------------------------------------------


@pytest.mark.parametrize("body", [{}, {"activityIds": []}, {"documentIds": None}])
def test_get_without_organization_and_selector_is_empty(
    four: Api, body: dict[str, Any]
) -> None:
    assert four.get(body) == {}


def test_get_without_organization_by_ids_only_authorized_organizations(
    four: Api,
) -> None:
    data = four.get({"activityIds": ["act-1", "act-x", "act-t"]}, as_=("u", ORG))
    assert sorted(data) == ["act-1"]
    data = four.get({"activityIds": ["act-1", "act-x", "act-t"]}, as_=BOTH)
    assert sorted(data) == ["act-1", "act-x"]


def test_get_without_organization_by_documents_only_authorized_organizations(
    four: Api,
) -> None:
    data = four.get({"documentIds": ["doc-a"]}, as_=("u", OTHER, THIRD))
    assert sorted(data) == ["act-t", "act-x"]


def test_get_without_organization_for_unauthorized_principal_is_empty(
    four: Api,
) -> None:
    assert four.get({"documentIds": ["doc-a"]}, as_=("u", "nobody-org")) == {}


#: Every call of :func:`recording_policy`: (action, organization, documents).
POLICY_CALLS: list[tuple[str, str, list[str]]] = []


def recording_policy(
    request: Any, action: str, organization_id: str, document_ids: Sequence[str]
) -> bool:
    """``velt_orgs_claim`` that records each call (organization-level)."""
    POLICY_CALLS.append((action, organization_id, list(document_ids)))
    return velt_orgs_claim(request, action, organization_id, document_ids)


recording_policy.velt_document_scoped = False  # type: ignore[attr-defined]


@pytest.fixture
def recorded(settings: Any) -> Iterator[list[tuple[str, str, list[str]]]]:
    settings.VELT = {
        **settings.VELT,
        "ORGANIZATION_ACCESS": "tests.views.test_activities.recording_policy",
    }
    POLICY_CALLS.clear()
    yield POLICY_CALLS
    POLICY_CALLS.clear()


def test_get_without_organization_asks_policy_once_per_organization_found(
    four: Api, recorded: list[tuple[str, str, list[str]]]
) -> None:
    four.get({"documentIds": ["doc-a"], "activityIds": ["act-2"]}, as_=("u", ORG))
    assert sorted(org for _, org, _ in recorded) == [ORG, OTHER, THIRD]
    assert {action for action, _, _ in recorded} == {"get"}


def test_get_without_organization_and_selector_asks_no_policy(
    four: Api, recorded: list[tuple[str, str, list[str]]]
) -> None:
    assert four.get({}) == {}
    assert recorded == []


def test_save_asks_policy_for_every_organization(
    api: Api, recorded: list[tuple[str, str, list[str]]]
) -> None:
    api.save(activity("a", org=ORG, doc="d1"), activity("b", org=OTHER, doc="d2"))
    assert sorted(recorded) == [("save", ORG, ["d1"]), ("save", OTHER, ["d2"])]


def test_read_filter_sees_each_organization(four: Api, settings: Any) -> None:
    settings.VELT = {
        **settings.VELT,
        "READ_FILTER": "tests.policies.hide_private_threads",
    }
    four.save(activity("act-p", org=OTHER, doc="doc-a", visibility="private"))
    data = four.get({"documentIds": ["doc-a"]})
    assert sorted(data) == ["act-1", "act-x"]


# ---- document-scoped policies ------------------------------------------------------------


@pytest.fixture
def scoped(api: Api, settings: Any) -> Api:
    """open-1 (open-doc), secret-1 (secret-doc), loose-1 (no document) in ``ORG``, then
    ``tests.policies.open_documents_only`` switched on."""
    api.save(
        activity("open-1", doc="open-doc"),
        activity("secret-1", doc="secret-doc"),
        activity("loose-1", doc=None),
    )
    settings.VELT = {
        **settings.VELT,
        "ORGANIZATION_ACCESS": "tests.policies.open_documents_only",
    }
    return api


def test_scoped_organization_wide_get_drops_refused_documents(scoped: Api) -> None:
    assert sorted(scoped.get({"organizationId": ORG})) == ["loose-1", "open-1"]


def test_scoped_orgless_get_drops_refused_documents(scoped: Api) -> None:
    data = scoped.get({"activityIds": ["open-1", "secret-1", "loose-1"]})
    assert sorted(data) == ["loose-1", "open-1"]


def test_scoped_get_naming_refused_document_is_403(scoped: Api) -> None:
    body = {"organizationId": ORG, "documentIds": ["secret-doc"]}
    assert_failure(scoped.post("get", body), 403, "FORBIDDEN")


def test_scoped_save_into_record_of_refused_document_is_403(scoped: Api) -> None:
    before = snapshot()
    # The payload names an open document; the stored record is under a secret one.
    attack = activity("secret-1", doc="open-doc", added="by someone")
    assert_failure(scoped.post("save", save_body(attack)), 403, "FORBIDDEN")
    assert snapshot() == before


def test_scoped_save_in_open_document_is_accepted(scoped: Api) -> None:
    scoped.save(activity("open-2", doc="open-doc"))
    assert stored("open-2") is not None


# ---- isolation between organizations ---------------------------------------------------

ORG_A = ("u_a", "org-a")
ORG_B = ("u_b", "org-b")


@pytest.fixture
def org_a(api: Api) -> dict[str, Any]:
    record = activity("act-a1", org="org-a", secret=CANARY)
    api.save(record, as_=ORG_A)
    return record


def assert_refused_for_b(api: Api, operation: str, body: dict[str, Any]) -> None:
    before = snapshot()
    response = api.post(operation, body, as_=ORG_B)
    assert "data" not in assert_failure(response, 403, "FORBIDDEN")
    assert CANARY.encode() not in response.content
    assert snapshot() == before


def test_isolation_get_other_organization_is_forbidden(
    api: Api, org_a: dict[str, Any]
) -> None:
    body = {"organizationId": "org-a", "activityIds": ["act-a1"]}
    assert_refused_for_b(api, "get", body)


def test_isolation_orgless_get_hides_other_organization(
    api: Api, org_a: dict[str, Any]
) -> None:
    response = api.post("get", {"activityIds": ["act-a1"]}, as_=ORG_B)
    assert assert_success(response, read=True)["data"] == {}
    assert CANARY.encode() not in response.content
    response = api.post("get", {"documentIds": ["doc-1"]}, as_=ORG_B)
    assert assert_success(response, read=True)["data"] == {}


def test_isolation_own_organization_does_not_see_other(
    api: Api, org_a: dict[str, Any]
) -> None:
    assert api.get({"organizationId": "org-b", "activityIds": ["act-a1"]}, ORG_B) == {}


@pytest.mark.parametrize(
    "where", ["payload", "request-metadata", "top-level", "client"]
)
def test_isolation_save_into_other_organization_is_forbidden(
    api: Api, org_a: dict[str, Any], where: str
) -> None:
    attack = activity("act-a1", org="org-a", injected="by b")
    request: dict[str, Any] = {}
    if where != "payload":
        attack["metadata"] = {"organizationId": "org-b"} if where == "client" else {}
    if where == "request-metadata":
        request["metadata"] = {"organizationId": "org-a"}
    elif where == "top-level":
        request["organizationId"] = "org-a"
    elif where == "client":
        attack["metadata"]["clientOrganizationId"] = "org-a"
    assert_refused_for_b(api, "save", save_body(attack, **request))


@pytest.mark.parametrize("forbidden_first", [False, True], ids=["last", "first"])
def test_isolation_save_mixing_organizations_writes_nothing(
    api: Api, org_a: dict[str, Any], forbidden_first: bool
) -> None:
    records = [
        activity("act-b-new", org="org-b"),
        activity("act-a-new", org="org-a"),
    ]
    if forbidden_first:
        records.reverse()
    assert_refused_for_b(api, "save", save_body(*records))


def test_isolation_same_id_in_two_organizations_is_two_records(
    api: Api, org_a: dict[str, Any]
) -> None:
    api.save(activity("act-a1", org="org-b", own="b"), as_=ORG_B)
    assert api.get({"organizationId": "org-a"}, as_=ORG_A) == {"act-a1": org_a}
    assert api.get({"organizationId": "org-b"}, as_=ORG_B)["act-a1"]["own"] == "b"


# ---- outage ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("activities/get", {"organizationId": ORG}),
        ("activities/get", {"activityIds": ["act-1"]}),
        ("activities/save", save_body(activity("act-1"))),
    ],
    ids=["get", "get-orgless", "save"],
)
def test_database_unreachable_is_503(
    post_json: Any, settings: Any, path: str, body: dict[str, Any]
) -> None:
    connection.close_client()
    settings.VELT = {
        **settings.VELT,
        "MONGODB_URI": "mongodb://127.0.0.1:1/?directConnection=true",
        "SERVER_SELECTION_TIMEOUT_MS": 200,
    }
    try:
        assert_failure(post_json(path, body, as_=BOTH), 503, "DATABASE_ERROR")
    finally:
        connection.close_client()
