"""Appendix A checks every declared family owes (wire tier): transport contracts, query
modes, round trips, the merge rule, organizations, deletes. Each test runs once per family
in ``tests.families.FAMILIES`` that has the endpoints it needs, and once per storage
backend (``backend``: MongoDB on the wire tier's server, PostgreSQL on ``velt_pg``); what
only one family does lives in that family's own module."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ..contracts import (
    FamilyEndpointContract,
    ReadEndpointContract,
    WriteEndpointContract,
    assert_failure,
    assert_json_equal,
    assert_success,
)
from ..families import (
    MONGODB,
    ORG,
    OTHER,
    THIRD,
    UNSAFE_KEYS,
    Family,
    for_families,
    other_family,
)
from ..wire import FamilyClient, PostJson
from .backends import family_client


@pytest.fixture
def api(family: Family, post_json: PostJson, backend: str) -> FamilyClient:
    """The family's client on each storage backend (tests/views/conftest.py)."""
    return family_client(family, post_json, backend)


#: For a test that reads how MongoDB stores a record, not what the wire answers.
mongodb_storage_only = pytest.mark.usefixtures("_mongodb_storage_only")


@pytest.fixture
def _mongodb_storage_only(backend: str) -> None:
    if backend != MONGODB:
        pytest.skip("checks MongoDB's stored form (§5.5 key escaping)")


# ---- transport contracts -------------------------------------------------------------


@for_families("get")
class TestGetContract(FamilyEndpointContract, ReadEndpointContract):
    operation = "get"


@for_families("save")
class TestSaveContract(FamilyEndpointContract, WriteEndpointContract):
    operation = "save"


@for_families("delete")
class TestDeleteContract(FamilyEndpointContract, WriteEndpointContract):
    operation = "delete"


# ---- get: query modes ----------------------------------------------------------------


@pytest.fixture
def four(api: FamilyClient) -> None:
    """r-1..r-4 in ``ORG`` on doc-a..doc-d, folders f-1..f-4; r-x in ``OTHER`` on doc-a/f-1."""
    record = api.family.record
    for n, letter in enumerate("abcd", start=1):
        api.save(record(f"r-{n}", doc=f"doc-{letter}", folder=f"f-{n}"))
    api.save(record("r-x", org=OTHER, doc="doc-a", folder="f-1"))


@for_families("get", "save", "ids")
class TestGetByIds:
    def test_get_unknown_ids_return_empty_data(
        self, api: FamilyClient, four: None
    ) -> None:
        assert api.get(ids=["nope-1", "nope-2"]) == {}

    def test_get_known_ids_keyed_by_record_id(
        self, api: FamilyClient, four: None
    ) -> None:
        data = api.get(ids=["r-2", "r-4", "unknown"])
        assert sorted(data) == ["r-2", "r-4"]
        assert data["r-2"][api.family.id_key] == "r-2"
        assert data["r-4"]["metadata"]["documentId"] == "doc-d"

    def test_get_empty_organization_returns_empty_data(self, api: FamilyClient) -> None:
        assert api.get(org=ORG) == {}

    def test_get_no_selector_returns_whole_organization(
        self, api: FamilyClient, four: None
    ) -> None:
        assert sorted(api.get()) == ["r-1", "r-2", "r-3", "r-4"]

    def test_get_for_another_organization_of_the_principal(
        self, api: FamilyClient, four: None
    ) -> None:
        data = api.get(org=OTHER, ids=["r-x", "r-1"])
        assert sorted(data) == ["r-x"]
        assert data["r-x"]["metadata"]["organizationId"] == OTHER

    def test_get_for_organization_not_allowed_is_403(
        self, api: FamilyClient, four: None
    ) -> None:
        response = api.post("get", {"organizationId": OTHER}, as_=("u_test", ORG))
        body = assert_failure(response, 403, "FORBIDDEN")
        assert "data" not in body

    def test_get_without_organization_by_documents_is_400(
        self, api: FamilyClient
    ) -> None:
        # By ids alone it is the org-less get (tests/views/test_orgless_gets.py).
        body = {api.family.ids_field: ["r-1"], "documentIds": ["doc-a"]}
        assert_failure(api.post("get", body), 400, "INVALID_INPUT")

    def test_get_non_array_ids_is_400(self, api: FamilyClient) -> None:
        body = {"organizationId": ORG, api.family.ids_field: "r-1"}
        assert_failure(api.post("get", body), 400, "INVALID_INPUT")

    def test_get_numeric_ids_are_coerced_to_strings(self, api: FamilyClient) -> None:
        api.save(api.family.record("12345"))
        assert sorted(api.get(ids=[12345])) == ["12345"]

    def test_get_ignores_metadata_object(self, api: FamilyClient, four: None) -> None:
        # gets are scoped by their top-level fields only.
        assert sorted(api.get(ids=["r-1"], metadata={"organizationId": OTHER})) == [
            "r-1"
        ]

    def test_get_ignores_another_familys_ids_field(
        self, api: FamilyClient, four: None
    ) -> None:
        # A family selects by its own ids field; another family's is an unknown field.
        foreign = other_family(api.family).ids_field
        selector: dict[str, Any] = {foreign: ["r-2"]}
        assert sorted(api.get(ids=["r-1"], **selector)) == ["r-1"]

    def test_get_response_holds_only_the_payload(self, api: FamilyClient) -> None:
        payload = api.family.record("r-1", internalTicketId="OPS-1")
        api.save(payload)
        assert_json_equal(api.get_one("r-1"), payload)


@for_families("get", "save", "ids", "documents")
class TestGetByDocuments:
    def test_get_by_document_ids(self, api: FamilyClient, four: None) -> None:
        assert sorted(api.get(documentIds=["doc-b", "doc-c"])) == ["r-2", "r-3"]


@for_families("get", "save", "ids", "documents", "folder")
class TestGetByFolder:
    def test_get_by_folder_with_all_documents(
        self, api: FamilyClient, four: None
    ) -> None:
        assert sorted(api.get(folderId="f-3", allDocuments=True)) == ["r-3"]

    def test_get_never_returns_other_organizations_records(
        self, api: FamilyClient, four: None
    ) -> None:
        data = api.get(
            ids=["r-x"], documentIds=["doc-a"], folderId="f-1", allDocuments=True
        )
        assert sorted(data) == ["r-1"]

    def test_get_union_of_ids_documents_and_folder(
        self, api: FamilyClient, four: None
    ) -> None:
        data = api.get(
            ids=["r-1"], documentIds=["doc-b"], folderId="f-3", allDocuments=True
        )
        assert sorted(data) == ["r-1", "r-2", "r-3"]

    def test_get_folder_without_all_documents_returns_whole_organization(
        self, api: FamilyClient, four: None
    ) -> None:
        assert sorted(api.get(folderId="f-1")) == ["r-1", "r-2", "r-3", "r-4"]

    def test_get_folder_with_all_documents_false_does_not_select(
        self, api: FamilyClient, four: None
    ) -> None:
        data = api.get(ids=["r-2"], folderId="f-1", allDocuments=False)
        assert sorted(data) == ["r-2"]


# ---- save: round trips and the merge rule ----------------------------------------------


@for_families("get", "save")
class TestSaveRoundTrip:
    def test_save_round_trip_is_json_equal(self, api: FamilyClient) -> None:
        payload = api.family.record(
            "r-1",
            internalTicketId="OPS-2291",
            customNull=None,
            customZero=0,
            customFalse=False,
            customEmpty="",
            customInt=1,
            customFloat=1.0,
            customBig=184639,
            customNegative=-2.5,
            customList=[3, "b", None, {"k": True}],
            customNested={"a": {"b": {"c": [[]], "d": {}}}, "e": [1, {"f": None}]},
            targetTextRange={"text": "selected — ünïcode ✓"},
            resolvedByUserId=None,
        )
        api.save(payload)
        assert_json_equal(api.get_one("r-1"), payload)

    def test_save_keeps_integer_and_float_distinct(self, api: FamilyClient) -> None:
        api.save(api.family.record("r-1", one=1, onePointZero=1.0))
        returned = api.get_one("r-1")
        assert type(returned["one"]) is int
        assert type(returned["onePointZero"]) is float

    def test_save_stores_integers_as_integers_in_mongodb(
        self, api: FamilyClient
    ) -> None:
        api.save(
            api.family.record("r-1", customBig=184639, customFloat=2.0, tenantRef=0)
        )
        doc = api.stored("r-1")
        assert doc is not None
        assert type(doc["payload"]["customBig"]) is int
        assert type(doc["payload"]["tenantRef"]) is int
        assert type(doc["payload"]["customFloat"]) is float

    def test_save_falsy_values_keep_their_types(self, api: FamilyClient) -> None:
        api.save(api.family.record("r-1", tenantRef=0, f=False, n=None, e=""))
        returned = api.get_one("r-1")
        assert [returned[k] for k in ("tenantRef", "f", "n", "e")] == [
            0,
            False,
            None,
            "",
        ]
        assert type(returned["tenantRef"]) is int
        assert returned["f"] is False and returned["n"] is None

    def test_save_without_custom_key_keeps_stored_value(
        self, api: FamilyClient
    ) -> None:
        api.save(api.family.record("r-1", internalTicketId="OPS-2291"))
        api.save(api.family.record("r-1"))
        assert api.get_one("r-1")["internalTicketId"] == "OPS-2291"

    def test_save_with_null_custom_key_stores_null(self, api: FamilyClient) -> None:
        api.save(api.family.record("r-1", internalTicketId="OPS-2291"))
        api.save(api.family.record("r-1", internalTicketId=None))
        returned = api.get_one("r-1")
        assert "internalTicketId" in returned
        assert returned["internalTicketId"] is None

    def test_save_replaces_nested_objects_wholesale(self, api: FamilyClient) -> None:
        old = {"textEditorConfig": {"text": "old", "offset": 3}}
        api.save(api.family.record("r-1", context=old))
        api.save(
            api.family.record("r-1", context={"textEditorConfig": {"text": "new"}})
        )
        assert_json_equal(
            api.get_one("r-1")["context"], {"textEditorConfig": {"text": "new"}}
        )

    def test_save_is_idempotent(self, api: FamilyClient) -> None:
        payload = api.family.record("r-1", internalTicketId="OPS-1")
        api.save(payload)
        api.save(payload)
        assert api.count() == 1
        assert_json_equal(api.get_one("r-1"), payload)

    def test_save_envelope_fields_never_in_response(self, api: FamilyClient) -> None:
        api.save(api.family.record("r-1"))
        returned = api.get_one("r-1")
        for bookkeeping in (
            "_id",
            "rev",
            "createdAt",
            "updatedAt",
            "lastEvent",
            "payload",
            "esc",
        ):
            assert bookkeeping not in returned

    def test_save_records_event_in_envelope_not_payload(
        self, api: FamilyClient
    ) -> None:
        family = api.family
        api.save(family.record("r-1"), event=family.add_event, commentId="100")
        doc = api.stored("r-1")
        assert doc is not None
        assert doc["lastEvent"] == family.add_event
        assert "event" not in doc["payload"]
        assert "commentId" not in doc["payload"]

    def test_save_does_not_store_request_metadata_in_payload(
        self, api: FamilyClient
    ) -> None:
        metadata = {"organizationId": ORG, "documentId": "doc-1", "requestOnly": "x"}
        api.save(api.family.record("r-1"), metadata=metadata)
        assert "requestOnly" not in json.dumps(api.get_one("r-1"))


@for_families("get", "save")
class TestSaveUnsafeKeys:
    @pytest.mark.parametrize("key", UNSAFE_KEYS)
    def test_save_unsafe_key_round_trips_at_top_level(
        self, api: FamilyClient, key: str
    ) -> None:
        unsafe: dict[str, Any] = {key: {key: 1, "v": 1}}
        payload = api.family.record("r-1", **unsafe)
        api.save(payload)
        assert_json_equal(api.get_one("r-1"), payload)

    @pytest.mark.parametrize("key", UNSAFE_KEYS)
    def test_save_unsafe_key_round_trips_nested(
        self, api: FamilyClient, key: str
    ) -> None:
        nested = {"inner": {key: "v"}, "custom": {key: {key: [{key: 0}]}}}
        payload = api.family.record("r-1", nested=nested)
        api.save(payload)
        assert_json_equal(api.get_one("r-1"), payload)

    @pytest.mark.parametrize("key", UNSAFE_KEYS)
    def test_save_unsafe_key_updated_by_second_save(
        self, api: FamilyClient, key: str
    ) -> None:
        api.save(api.family.record("r-1", **{key: "old"}))
        api.save(api.family.record("r-1", **{key: "new"}))
        assert api.get_one("r-1")[key] == "new"

    @mongodb_storage_only
    def test_save_unsafe_key_stored_escaped(self, api: FamilyClient) -> None:
        unsafe: dict[str, Any] = {"a.b": 1, "plain": 2}
        api.save(api.family.record("r-1", **unsafe))
        doc = api.stored("r-1")
        assert doc is not None
        # CONTRACT §5.5: "~" + base64url("a.b") without padding; ordinary keys unchanged.
        assert doc["payload"]["~YS5i"] == 1
        assert doc["payload"]["plain"] == 2


@for_families("get", "save")
class TestSaveMetadata:
    def test_save_metadata_is_shallow_merged(self, api: FamilyClient) -> None:
        first = api.family.record("r-1", folder="f-1")
        first["metadata"].update(
            documentMetadata={"documentName": "Spec"}, sdkVersion="5.0.2", custom="keep"
        )
        api.save(first)
        second = api.family.record("r-1")
        second["metadata"] = {"organizationId": ORG, "sdkVersion": "5.0.3"}
        api.save(second)
        assert_json_equal(
            api.get_one("r-1")["metadata"],
            {
                "apiKey": "pk_test",
                "documentId": "doc-1",
                "organizationId": ORG,
                "folderId": "f-1",
                "documentMetadata": {"documentName": "Spec"},
                "sdkVersion": "5.0.3",
                "custom": "keep",
            },
        )

    def test_save_metadata_nested_objects_replaced(self, api: FamilyClient) -> None:
        first = api.family.record("r-1")
        first["metadata"]["documentMetadata"] = {"documentName": "Spec", "owner": "u_1"}
        api.save(first)
        second = api.family.record("r-1")
        second["metadata"]["documentMetadata"] = {"documentName": "Renamed"}
        api.save(second)
        assert_json_equal(
            api.get_one("r-1")["metadata"]["documentMetadata"],
            {"documentName": "Renamed"},
        )

    @pytest.mark.parametrize("stored_value", [None, "opaque"])
    def test_save_metadata_object_replaces_non_object_stored_metadata(
        self, api: FamilyClient, stored_value: Any
    ) -> None:
        # CONTRACT §5.3: metadata merges only when both sides are objects.
        first = {**api.family.record("r-1"), "metadata": stored_value}
        api.save(first, metadata={"organizationId": ORG})
        api.save(api.family.record("r-1"))
        assert_json_equal(
            api.get_one("r-1")["metadata"],
            {"apiKey": "pk_test", "documentId": "doc-1", "organizationId": ORG},
        )

    def test_save_derives_document_and_folder(self, api: FamilyClient) -> None:
        api.save(api.family.record("r-1", doc="doc-7", folder="f-7"))
        doc = api.stored("r-1")
        assert doc is not None
        assert (doc["organizationId"], doc["documentId"], doc["folderId"]) == (
            ORG,
            "doc-7",
            "f-7",
        )

    def test_save_document_change_is_refreshed(self, api: FamilyClient) -> None:
        api.save(api.family.record("r-1", doc="doc-old"))
        api.save(api.family.record("r-1", doc="doc-new"))
        assert sorted(api.get(documentIds=["doc-new"])) == ["r-1"]
        assert api.get(documentIds=["doc-old"]) == {}

    def test_save_prefers_client_document_id(self, api: FamilyClient) -> None:
        payload = api.family.record("r-1", doc="hashed-doc")
        payload["metadata"]["clientDocumentId"] = "doc-real"
        api.save(payload)
        assert sorted(api.get(documentIds=["doc-real"])) == ["r-1"]

    def test_save_uses_request_metadata_when_payload_has_none(
        self, api: FamilyClient
    ) -> None:
        payload = {api.family.id_key: "r-1", **api.family.fields()}
        api.save(payload, metadata={"organizationId": OTHER, "documentId": "doc-r"})
        assert sorted(api.get(org=OTHER, documentIds=["doc-r"])) == ["r-1"]

    def test_save_payload_metadata_wins_over_request_metadata(
        self, api: FamilyClient
    ) -> None:
        api.save(api.family.record("r-1", org=ORG), metadata={"organizationId": OTHER})
        assert sorted(api.get(org=ORG)) == ["r-1"]
        assert api.get(org=OTHER) == {}


@for_families("get", "save", "folder")
class TestSaveMovedDocument:
    def test_save_moved_document_found_by_new_folder(self, api: FamilyClient) -> None:
        api.save(api.family.record("r-1", doc="doc-7", folder="f-old"))
        api.save(api.family.record("r-1", doc="doc-7", folder="f-new"))
        assert sorted(api.get(folderId="f-new", allDocuments=True)) == ["r-1"]

    def test_save_moved_document_not_found_by_old_folder(
        self, api: FamilyClient
    ) -> None:
        api.save(api.family.record("r-1", doc="doc-7", folder="f-old"))
        api.save(api.family.record("r-1", doc="doc-7", folder="f-new"))
        assert api.get(folderId="f-old", allDocuments=True) == {}


# ---- save: the request map -----------------------------------------------------------


@for_families("get", "save")
class TestSaveMap:
    def test_save_empty_map_answers_200_and_writes_nothing(
        self, api: FamilyClient
    ) -> None:
        body = {api.family.map_field: {}, "metadata": {"organizationId": ORG}}
        assert_success(api.post("save", body), read=False)
        assert api.count() == 0

    @pytest.mark.parametrize("body", ["empty", "null-map", "event-only"])
    def test_save_missing_map_is_400(self, api: FamilyClient, body: str) -> None:
        sent = {
            "empty": {},
            "null-map": {api.family.map_field: None},
            "event-only": {"event": api.family.add_event},
        }[body]
        assert_failure(api.post("save", sent), 400, "INVALID_INPUT")

    @pytest.mark.parametrize("value", [[], "x", 3, True])
    def test_save_non_object_map_is_400(self, api: FamilyClient, value: Any) -> None:
        response = api.post("save", {api.family.map_field: value})
        assert_failure(response, 400, "INVALID_INPUT")

    def test_save_another_familys_map_is_400(self, api: FamilyClient) -> None:
        foreign = other_family(api.family).map_field
        body = {foreign: {"r-1": api.family.record("r-1")}}
        assert_failure(api.post("save", body), 400, "INVALID_INPUT")
        assert api.count() == 0

    def test_save_record_without_organization_is_400_without_pii(
        self, api: FamilyClient
    ) -> None:
        payload = {api.family.id_key: "r-1", "secret": "SECRET-PII-TEXT"}
        response = api.post("save", api.family.save_body(payload))
        body = assert_failure(response, 400, "INVALID_INPUT")
        assert "SECRET-PII-TEXT" not in body["message"]
        assert api.count() == 0

    def test_save_map_key_wins_over_payload_record_id(self, api: FamilyClient) -> None:
        body = {api.family.map_field: {"key-id": api.family.record("payload-id")}}
        assert_success(api.post("save", body), read=False)
        data = api.get(ids=["key-id", "payload-id"])
        assert sorted(data) == ["key-id"]
        assert data["key-id"][api.family.id_key] == "key-id"

    def test_save_fills_missing_record_id_from_key(self, api: FamilyClient) -> None:
        payload = api.family.record("r-1")
        del payload[api.family.id_key]
        assert_success(
            api.post("save", {api.family.map_field: {"r-1": payload}}), read=False
        )
        assert api.get_one("r-1")[api.family.id_key] == "r-1"

    def test_save_annotations_alias_with_context_metadata(
        self, api: FamilyClient
    ) -> None:
        payload = {api.family.id_key: "r-1", **api.family.fields()}
        body = {
            "annotations": {"r-1": payload},
            "context": {"organizationId": OTHER, "documentId": "doc-ctx"},
        }
        assert_success(api.post("save", body), read=False)
        assert_json_equal(api.get(org=OTHER, documentIds=["doc-ctx"]), {"r-1": payload})

    def test_save_canonical_map_wins_over_annotations_alias(
        self, api: FamilyClient
    ) -> None:
        body = {
            **api.family.save_body(api.family.record("r-1")),
            "annotations": {"r-2": api.family.record("r-2")},
        }
        assert_success(api.post("save", body), read=False)
        assert sorted(api.get()) == ["r-1"]


# ---- save: organizations -------------------------------------------------------------


@for_families("get", "save")
class TestSaveOrganizations:
    def test_save_prefers_client_organization_id(self, api: FamilyClient) -> None:
        payload = api.family.record("r-1", org="hashed-internal-org")
        payload["metadata"]["clientOrganizationId"] = ORG
        api.save(payload, as_=("u_test", ORG))
        assert sorted(api.get(ids=["r-1"])) == ["r-1"]
        assert api.count(organizationId="hashed-internal-org") == 0

    @pytest.mark.parametrize("allowed_too", [False, True], ids=["alone", "mixed"])
    def test_save_for_organization_not_allowed_is_403_and_writes_nothing(
        self, api: FamilyClient, allowed_too: bool
    ) -> None:
        records = [api.family.record("r-2", org=OTHER)]
        if allowed_too:
            records.insert(0, api.family.record("r-1", org=ORG))
        response = api.post("save", api.family.save_body(*records), as_=("u_test", ORG))
        assert_failure(response, 403, "FORBIDDEN")
        assert api.count() == 0

    def test_save_two_organizations_in_one_request(self, api: FamilyClient) -> None:
        record = api.family.record
        api.save(record("r-1", org=ORG), record("r-2", org=OTHER))
        assert sorted(api.get(org=ORG)) == ["r-1"]
        assert sorted(api.get(org=OTHER)) == ["r-2"]


# ---- delete --------------------------------------------------------------------------


@for_families("get", "save", "delete")
class TestDelete:
    def test_delete_removes_the_record(self, api: FamilyClient) -> None:
        api.save(api.family.record("r-1"), api.family.record("r-2"))
        api.delete(api.family.delete_body("r-1"))
        assert sorted(api.get()) == ["r-2"]
        assert api.stored("r-1") is None

    def test_delete_does_not_touch_other_records_of_the_document(
        self, api: FamilyClient
    ) -> None:
        record = api.family.record
        api.save(record("r-1", doc="doc-1"), record("r-2", doc="doc-1"))
        api.delete(api.family.delete_body("r-1"))
        assert sorted(api.get(documentIds=["doc-1"])) == ["r-2"]

    def test_delete_repeated_answers_200(self, api: FamilyClient) -> None:
        api.save(api.family.record("r-1"))
        api.delete(api.family.delete_body("r-1"))
        api.delete(api.family.delete_body("r-1"))
        assert api.get() == {}

    def test_delete_unknown_id_answers_200(self, api: FamilyClient) -> None:
        api.delete(api.family.delete_body("never-stored"))

    def test_delete_leaves_same_id_in_other_organization(
        self, api: FamilyClient
    ) -> None:
        api.save(api.family.record("r-1", org=ORG))
        api.save(api.family.record("r-1", org=OTHER))
        api.delete(api.family.delete_body("r-1", org=ORG))
        assert api.get(org=ORG) == {}
        assert sorted(api.get(org=OTHER)) == ["r-1"]
        assert api.stored("r-1", org=OTHER) is not None

    def test_delete_with_annotation_id_alias(self, api: FamilyClient) -> None:
        api.save(api.family.record("r-1"), api.family.record("r-2"))
        body = api.family.delete_body("unused")
        del body[api.family.id_field]
        api.delete({**body, "annotationId": "r-1"})
        assert sorted(api.get()) == ["r-2"]

    def test_delete_canonical_id_wins_over_alias(self, api: FamilyClient) -> None:
        api.save(api.family.record("r-1"), api.family.record("r-2"))
        api.delete(api.family.delete_body("r-1", annotationId="r-2"))
        assert sorted(api.get()) == ["r-2"]

    def test_delete_without_any_id_is_400(self, api: FamilyClient) -> None:
        body = api.family.delete_body("unused")
        del body[api.family.id_field]
        assert_failure(api.post("delete", body), 400, "INVALID_INPUT")

    def test_delete_prefers_client_organization_id(self, api: FamilyClient) -> None:
        api.save(api.family.record("r-1", org=ORG))
        api.save(api.family.record("r-1", org=OTHER))
        body = api.family.delete_body("r-1", org=OTHER)
        body["metadata"]["clientOrganizationId"] = ORG
        api.delete(body)
        assert api.get(org=ORG) == {}
        assert sorted(api.get(org=OTHER)) == ["r-1"]

    def test_delete_for_organization_not_allowed_is_403_and_keeps_record(
        self, api: FamilyClient
    ) -> None:
        api.save(api.family.record("r-1", org=OTHER))
        body = api.family.delete_body("r-1", org=OTHER)
        response = api.post("delete", body, as_=("u_test", ORG))
        assert_failure(response, 403, "FORBIDDEN")
        assert api.stored("r-1", org=OTHER) is not None

    def test_delete_ignores_extra_metadata_keys(self, api: FamilyClient) -> None:
        api.save(api.family.record("r-1"))
        body = api.family.delete_body("r-1")
        body["metadata"].update(attachmentId=284117, annotationId="r-1", sdkVersion="4")
        api.delete(body)
        assert api.get() == {}


@for_families("get", "save", "delete")
class TestDeleteWithoutOrganization:
    """The org-less rule (§2.5): the record goes in every organization of the principal
    that holds it, and nowhere else."""

    @pytest.fixture
    def in_both(self, api: FamilyClient) -> None:
        api.save(api.family.record("r-1", org=ORG))
        api.save(api.family.record("r-1", org=OTHER))

    def test_delete_without_metadata_deletes_in_principals_organization(
        self, api: FamilyClient, in_both: None
    ) -> None:
        api.delete(api.family.delete_body("r-1", org=None), as_=("u_test", ORG))
        assert api.stored("r-1", org=ORG) is None
        assert api.stored("r-1", org=OTHER) is not None

    def test_delete_with_null_metadata_uses_org_less_rule(
        self, api: FamilyClient, in_both: None
    ) -> None:
        body = {api.family.id_field: "r-1", "metadata": None}
        api.delete(body, as_=("u_test", ORG))
        assert api.stored("r-1", org=ORG) is None
        assert api.stored("r-1", org=OTHER) is not None

    def test_delete_without_metadata_deletes_in_every_principal_organization(
        self, api: FamilyClient
    ) -> None:
        for org in (ORG, OTHER, THIRD):
            api.save(api.family.record("r-1", org=org), as_=("u_test", org))
        body = api.family.delete_body("r-1", org=None)
        api.delete(body, as_=("u_test", ORG, THIRD))
        assert [d["organizationId"] for d in api.documents("r-1")] == [OTHER]

    def test_delete_without_metadata_and_no_match_answers_200(
        self, api: FamilyClient
    ) -> None:
        api.save(api.family.record("r-1", org=OTHER))
        api.delete(api.family.delete_body("r-1", org=None), as_=("u_test", ORG))
        assert api.stored("r-1", org=OTHER) is not None
