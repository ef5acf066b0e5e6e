"""Appendix A conformance tests for ``reactions/get|save|delete`` (wire tier)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ..contracts import (
    ReadEndpointContract,
    WriteEndpointContract,
    assert_failure,
    assert_json_equal,
    assert_success,
)

pytestmark = pytest.mark.mongo

ORG = "acme-corp"
OTHER = "globex"
THIRD = "initech"
BOTH = ("u_test", ORG, OTHER)
COLLECTION = "velt_reaction_annotations"


def reaction(
    annotation_id: str,
    *,
    org: str = ORG,
    doc: str = "doc-1",
    folder: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``PartialReactionAnnotation`` as Velt sends it."""
    metadata: dict[str, Any] = {
        "apiKey": "pk_test",
        "documentId": doc,
        "organizationId": org,
    }
    if folder is not None:
        metadata["folderId"] = folder
    fields: dict[str, Any] = {"icon": "1f680", "from": {"userId": "u_1"}, **extra}
    return {"annotationId": annotation_id, "metadata": metadata, **fields}


def save(
    post_json: Any,
    *payloads: dict[str, Any],
    as_: tuple[str, ...] = BOTH,
    **request: Any,
) -> None:
    records = {p["annotationId"]: p for p in payloads}
    assert len(records) == len(payloads), (
        "one request cannot hold one id twice; save separately"
    )
    body = {"reactionAnnotation": records, **request}
    assert_success(post_json("reactions/save", body, as_=as_), read=False)


def get(
    post_json: Any, org: str = ORG, as_: tuple[str, ...] = BOTH, **selectors: Any
) -> dict[str, Any]:
    response = post_json("reactions/get", {"organizationId": org, **selectors}, as_=as_)
    data: dict[str, Any] = assert_success(response, read=True)["data"]
    return data


def delete(post_json: Any, body: dict[str, Any], as_: tuple[str, ...] = BOTH) -> None:
    assert_success(post_json("reactions/delete", body, as_=as_), read=False)


def stored(db: Any, annotation_id: str, org: str = ORG) -> dict[str, Any] | None:
    doc: dict[str, Any] | None = db[COLLECTION].find_one(
        {"organizationId": org, "annotationId": annotation_id}
    )
    return doc


def delete_body(
    annotation_id: str, org: str | None = ORG, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reactionAnnotationId": annotation_id,
        "event": "reaction.delete",
        **extra,
    }
    if org is not None:
        body["metadata"] = {
            "apiKey": "pk_test",
            "documentId": "doc-1",
            "organizationId": org,
        }
    return body


EXAMPLE_GET_REQUEST = r"""
{ "organizationId": "acme-corp", "reactionAnnotationIds": ["rxT0aQ83LmZp", "rxUnknown00"] }
"""

EXAMPLE_GET_RESPONSE = r"""
{
  "data": {
    "rxT0aQ83LmZp": {
      "annotationId": "rxT0aQ83LmZp",
      "metadata": { "apiKey": "pk_live_3bT9xQ", "documentId": "spec-2024-q3", "organizationId": "acme-corp" },
      "icon": "1f680",
      "from": { "userId": "u_3307" },
      "tenantRef": 0
    }
  },
  "success": true,
  "statusCode": 200,
  "timestamp": 1767225603000
}
"""

EXAMPLE_SAVE = r"""
{
  "reactionAnnotation": {
    "rxT0aQ83LmZp": {
      "annotationId": "rxT0aQ83LmZp",
      "metadata": { "apiKey": "pk_live_3bT9xQ", "documentId": "spec-2024-q3", "organizationId": "acme-corp" },
      "icon": "1f680",
      "from": { "userId": "u_3307" },
      "tenantRef": 0
    }
  },
  "event": "reaction.add",
  "metadata": { "apiKey": "pk_live_3bT9xQ", "documentId": "spec-2024-q3", "organizationId": "acme-corp" }
}
"""

EXAMPLE_DELETE = r"""
{
  "reactionAnnotationId": "rxT0aQ83LmZp",
  "metadata": { "apiKey": "pk_live_3bT9xQ", "documentId": "spec-2024-q3", "organizationId": "acme-corp" },
  "event": "reaction.delete"
}
"""

# ---- transport contracts -------------------------------------------------------------


class TestReactionsGetContract(ReadEndpointContract):
    path = "reactions/get"
    collection = COLLECTION

    def valid_body(self) -> dict[str, Any]:
        return {"organizationId": ORG, "reactionAnnotationIds": ["rx-1"]}


class TestReactionsSaveContract(WriteEndpointContract):
    path = "reactions/save"
    collection = COLLECTION

    def valid_body(self) -> dict[str, Any]:
        return {
            "reactionAnnotation": {"rx-1": reaction("rx-1")},
            "event": "reaction.add",
        }


class TestReactionsDeleteContract(WriteEndpointContract):
    path = "reactions/delete"
    collection = COLLECTION

    def valid_body(self) -> dict[str, Any]:
        return delete_body("rx-1")

    def seed(self, post_json: Any) -> None:
        save(post_json, reaction("rx-1"))


# ---- reactions/get -------------------------------------------------------------------


class TestReactionsGet:
    @pytest.fixture(autouse=True)
    def _wire(self, wire_db: Any) -> None:
        self.db = wire_db

    @pytest.fixture
    def four_reactions(self, post_json: Any) -> None:
        save(post_json, reaction("rx-1", doc="doc-a", folder="f-1"))
        save(post_json, reaction("rx-2", doc="doc-b", folder="f-2"))
        save(post_json, reaction("rx-3", doc="doc-c", folder="f-3"))
        save(post_json, reaction("rx-4", doc="doc-d", folder="f-4"))
        save(post_json, reaction("rx-x", org=OTHER, doc="doc-a", folder="f-1"))

    def test_get_unknown_ids_return_empty_data(
        self, post_json: Any, four_reactions: None
    ) -> None:
        assert get(post_json, reactionAnnotationIds=["nope"]) == {}

    def test_get_known_ids_keyed_by_annotation_id(
        self, post_json: Any, four_reactions: None
    ) -> None:
        data = get(post_json, reactionAnnotationIds=["rx-2", "rx-4", "nope"])
        assert sorted(data) == ["rx-2", "rx-4"]
        assert data["rx-4"]["annotationId"] == "rx-4"

    def test_get_ignores_comment_id_field(
        self, post_json: Any, four_reactions: None
    ) -> None:
        # Reactions select by `reactionAnnotationIds`; the comment field is unknown here.
        data = get(
            post_json, reactionAnnotationIds=["rx-1"], commentAnnotationIds=["rx-2"]
        )
        assert sorted(data) == ["rx-1"]

    def test_get_by_document_ids(self, post_json: Any, four_reactions: None) -> None:
        assert sorted(get(post_json, documentIds=["doc-b", "doc-c"])) == [
            "rx-2",
            "rx-3",
        ]

    def test_get_by_folder_with_all_documents(
        self, post_json: Any, four_reactions: None
    ) -> None:
        assert sorted(get(post_json, folderId="f-3", allDocuments=True)) == ["rx-3"]

    def test_get_union_of_ids_documents_and_folder(
        self, post_json: Any, four_reactions: None
    ) -> None:
        data = get(
            post_json,
            reactionAnnotationIds=["rx-1"],
            documentIds=["doc-b"],
            folderId="f-3",
            allDocuments=True,
        )
        assert sorted(data) == ["rx-1", "rx-2", "rx-3"]

    def test_get_folder_without_all_documents_returns_whole_organization(
        self, post_json: Any, four_reactions: None
    ) -> None:
        assert sorted(get(post_json, folderId="f-1")) == [
            "rx-1",
            "rx-2",
            "rx-3",
            "rx-4",
        ]

    def test_get_no_selector_returns_whole_organization(
        self, post_json: Any, four_reactions: None
    ) -> None:
        assert sorted(get(post_json)) == ["rx-1", "rx-2", "rx-3", "rx-4"]

    def test_get_never_returns_other_organizations_records(
        self, post_json: Any, four_reactions: None
    ) -> None:
        data = get(post_json, reactionAnnotationIds=["rx-x"], documentIds=["doc-a"])
        assert sorted(data) == ["rx-1"]

    def test_get_for_another_organization_of_the_principal(
        self, post_json: Any, four_reactions: None
    ) -> None:
        assert sorted(
            get(post_json, org=OTHER, reactionAnnotationIds=["rx-x", "rx-1"])
        ) == ["rx-x"]

    def test_get_for_organization_not_allowed_is_403(
        self, post_json: Any, four_reactions: None
    ) -> None:
        response = post_json(
            "reactions/get", {"organizationId": OTHER}, as_=("u_test", ORG)
        )
        assert_failure(response, 403, "FORBIDDEN")

    def test_get_without_organization_is_400(self, post_json: Any) -> None:
        assert_failure(
            post_json("reactions/get", {"reactionAnnotationIds": ["rx-1"]}),
            400,
            "INVALID_INPUT",
        )

    def test_get_contract_example_verbatim(self, post_json: Any) -> None:
        post_json("reactions/save", EXAMPLE_SAVE)
        data = assert_success(
            post_json("reactions/get", EXAMPLE_GET_REQUEST), read=True
        )["data"]
        assert_json_equal(data, json.loads(EXAMPLE_GET_RESPONSE)["data"])


# ---- reactions/save ------------------------------------------------------------------


class TestReactionsSave:
    @pytest.fixture(autouse=True)
    def _wire(self, wire_db: Any) -> None:
        self.db = wire_db

    def test_save_round_trip_is_json_equal(self, post_json: Any) -> None:
        payload = reaction(
            "rx-1",
            tenantRef=0,
            flag=False,
            note="",
            nothing=None,
            one=1,
            oneFloat=1.0,
            nested={"a": [1, {"b": None}]},
        )
        save(post_json, payload)
        assert_json_equal(
            get(post_json, reactionAnnotationIds=["rx-1"])["rx-1"], payload
        )

    def test_save_without_icon_keeps_stored_icon(self, post_json: Any) -> None:
        save(post_json, reaction("rx-1", icon="HEART_FACE"))
        without_icon = reaction("rx-1")
        del without_icon["icon"]
        save(post_json, without_icon, event="reaction.add")
        assert (
            get(post_json, reactionAnnotationIds=["rx-1"])["rx-1"]["icon"]
            == "HEART_FACE"
        )

    def test_save_with_icon_replaces_stored_icon(self, post_json: Any) -> None:
        save(post_json, reaction("rx-1", icon="HEART_FACE"))
        save(post_json, reaction("rx-1", icon="1f680"))
        assert get(post_json, reactionAnnotationIds=["rx-1"])["rx-1"]["icon"] == "1f680"

    def test_save_tenant_ref_zero_round_trips_as_zero(self, post_json: Any) -> None:
        save(post_json, reaction("rx-1", tenantRef=0))
        value = get(post_json, reactionAnnotationIds=["rx-1"])["rx-1"]["tenantRef"]
        assert type(value) is int and value == 0

    def test_save_tenant_ref_zero_stored_as_integer(self, post_json: Any) -> None:
        save(post_json, reaction("rx-1", tenantRef=0))
        doc = stored(self.db, "rx-1")
        assert doc is not None
        assert type(doc["payload"]["tenantRef"]) is int

    def test_save_legacy_user_key_returned_unchanged(self, post_json: Any) -> None:
        payload = reaction("rx-1", user={"userId": "u_legacy", "name": "Old Backend"})
        del payload["from"]
        save(post_json, payload)
        returned = get(post_json, reactionAnnotationIds=["rx-1"])["rx-1"]
        assert_json_equal(
            returned["user"], {"userId": "u_legacy", "name": "Old Backend"}
        )
        assert "from" not in returned

    def test_save_user_and_from_kept_side_by_side(self, post_json: Any) -> None:
        payload = reaction("rx-1", user={"userId": "u_legacy"})
        save(post_json, payload)
        assert_json_equal(
            get(post_json, reactionAnnotationIds=["rx-1"])["rx-1"], payload
        )

    @pytest.mark.parametrize(
        "event", ["reaction.delete", "reaction.add", None, "some.future_event"]
    )
    def test_save_event_deletes_nothing(
        self, post_json: Any, event: str | None
    ) -> None:
        save(post_json, reaction("rx-1", keep="me"))
        save(post_json, reaction("rx-1", icon="HEART_FACE"), event=event)
        returned = get(post_json, reactionAnnotationIds=["rx-1"])["rx-1"]
        assert (returned["icon"], returned["keep"]) == ("HEART_FACE", "me")

    def test_save_reaction_delete_event_on_new_record_stores_it(
        self, post_json: Any
    ) -> None:
        save(post_json, reaction("rx-1"), event="reaction.delete")
        assert sorted(get(post_json, reactionAnnotationIds=["rx-1"])) == ["rx-1"]

    def test_save_empty_map_writes_nothing(self, post_json: Any) -> None:
        response = post_json("reactions/save", {"reactionAnnotation": {}})
        assert_success(response, read=False)
        assert self.db[COLLECTION].count_documents({}) == 0

    def test_save_missing_map_is_400(self, post_json: Any) -> None:
        assert_failure(
            post_json("reactions/save", {"event": "reaction.add"}), 400, "INVALID_INPUT"
        )

    def test_save_comment_map_is_not_a_reaction_map(self, post_json: Any) -> None:
        body = {"commentAnnotation": {"rx-1": reaction("rx-1")}}
        assert_failure(post_json("reactions/save", body), 400, "INVALID_INPUT")

    def test_save_map_key_wins_over_payload_annotation_id(self, post_json: Any) -> None:
        assert_success(
            post_json(
                "reactions/save",
                {"reactionAnnotation": {"key-id": reaction("payload-id")}},
            ),
            read=False,
        )
        data = get(post_json, reactionAnnotationIds=["key-id", "payload-id"])
        assert sorted(data) == ["key-id"]
        assert data["key-id"]["annotationId"] == "key-id"

    def test_save_metadata_is_shallow_merged(self, post_json: Any) -> None:
        first = reaction("rx-1", folder="f-1")
        first["metadata"]["sdkVersion"] = "5.0.2"
        save(post_json, first)
        second = reaction("rx-1")
        second["metadata"] = {"organizationId": ORG, "sdkVersion": "5.0.3"}
        save(post_json, second)
        metadata = get(post_json, reactionAnnotationIds=["rx-1"])["rx-1"]["metadata"]
        assert_json_equal(
            metadata,
            {
                "apiKey": "pk_test",
                "documentId": "doc-1",
                "organizationId": ORG,
                "folderId": "f-1",
                "sdkVersion": "5.0.3",
            },
        )

    def test_save_metadata_object_replaces_non_object_stored_metadata(
        self, post_json: Any
    ) -> None:
        # CONTRACT §5.3: metadata merges only when both sides are objects.
        save(
            post_json,
            {**reaction("rx-1"), "metadata": None},
            metadata={"organizationId": ORG},
        )
        save(post_json, reaction("rx-1"))
        metadata = get(post_json, reactionAnnotationIds=["rx-1"])["rx-1"]["metadata"]
        assert_json_equal(
            metadata,
            {"apiKey": "pk_test", "documentId": "doc-1", "organizationId": ORG},
        )

    def test_save_prefers_client_organization_id(self, post_json: Any) -> None:
        payload = reaction("rx-1", org="hashed-internal-org")
        payload["metadata"]["clientOrganizationId"] = ORG
        assert_success(
            post_json(
                "reactions/save",
                {"reactionAnnotation": {"rx-1": payload}},
                as_=("u_test", ORG),
            ),
            read=False,
        )
        assert sorted(get(post_json, reactionAnnotationIds=["rx-1"])) == ["rx-1"]

    def test_save_moved_document_found_by_new_folder(self, post_json: Any) -> None:
        save(post_json, reaction("rx-1", folder="f-old"))
        save(post_json, reaction("rx-1", folder="f-new"))
        assert sorted(get(post_json, folderId="f-new", allDocuments=True)) == ["rx-1"]
        assert get(post_json, folderId="f-old", allDocuments=True) == {}

    @pytest.mark.parametrize("key", ["a.b", "$x", "~tilde", ""])
    def test_save_unsafe_keys_round_trip(self, post_json: Any, key: str) -> None:
        payload = reaction("rx-1", **{key: {key: 1}})
        save(post_json, payload)
        assert_json_equal(
            get(post_json, reactionAnnotationIds=["rx-1"])["rx-1"], payload
        )

    def test_save_for_organization_not_allowed_is_403_and_writes_nothing(
        self, post_json: Any
    ) -> None:
        response = post_json(
            "reactions/save",
            {"reactionAnnotation": {"rx-1": reaction("rx-1", org=OTHER)}},
            as_=("u_test", ORG),
        )
        assert_failure(response, 403, "FORBIDDEN")
        assert self.db[COLLECTION].count_documents({}) == 0

    def test_save_contract_example_verbatim(self, post_json: Any) -> None:
        assert_success(post_json("reactions/save", EXAMPLE_SAVE), read=False)
        expected = json.loads(EXAMPLE_SAVE)["reactionAnnotation"]
        assert_json_equal(
            get(post_json, reactionAnnotationIds=["rxT0aQ83LmZp"]), expected
        )


# ---- reactions/delete ----------------------------------------------------------------


class TestReactionsDelete:
    @pytest.fixture(autouse=True)
    def _wire(self, wire_db: Any) -> None:
        self.db = wire_db

    def test_delete_removes_the_reaction(self, post_json: Any) -> None:
        save(post_json, reaction("rx-1"), reaction("rx-2"))
        delete(post_json, delete_body("rx-1"))
        assert sorted(get(post_json)) == ["rx-2"]

    def test_delete_repeated_answers_200(self, post_json: Any) -> None:
        save(post_json, reaction("rx-1"))
        delete(post_json, delete_body("rx-1"))
        delete(post_json, delete_body("rx-1"))
        assert get(post_json) == {}

    def test_delete_unknown_id_answers_200(self, post_json: Any) -> None:
        delete(post_json, delete_body("never-stored"))

    def test_delete_leaves_same_id_in_other_organization(self, post_json: Any) -> None:
        save(post_json, reaction("rx-1", org=ORG))
        save(post_json, reaction("rx-1", org=OTHER))
        delete(post_json, delete_body("rx-1", org=ORG))
        assert stored(self.db, "rx-1", org=ORG) is None
        assert stored(self.db, "rx-1", org=OTHER) is not None

    def test_delete_with_annotation_id_alias(self, post_json: Any) -> None:
        save(post_json, reaction("rx-1"), reaction("rx-2"))
        body = delete_body("unused")
        del body["reactionAnnotationId"]
        body["annotationId"] = "rx-1"
        delete(post_json, body)
        assert sorted(get(post_json)) == ["rx-2"]

    def test_delete_without_any_id_is_400(self, post_json: Any) -> None:
        body = delete_body("unused")
        del body["reactionAnnotationId"]
        assert_failure(post_json("reactions/delete", body), 400, "INVALID_INPUT")

    def test_delete_prefers_client_organization_id(self, post_json: Any) -> None:
        save(post_json, reaction("rx-1", org=ORG))
        save(post_json, reaction("rx-1", org=OTHER))
        body = delete_body("rx-1", org=OTHER)
        body["metadata"]["clientOrganizationId"] = ORG
        delete(post_json, body)
        assert stored(self.db, "rx-1", org=ORG) is None
        assert stored(self.db, "rx-1", org=OTHER) is not None

    def test_delete_without_metadata_deletes_in_principals_organization(
        self, post_json: Any
    ) -> None:
        save(post_json, reaction("rx-1", org=ORG))
        save(post_json, reaction("rx-1", org=OTHER))
        delete(post_json, delete_body("rx-1", org=None), as_=("u_test", ORG))
        assert stored(self.db, "rx-1", org=ORG) is None

    def test_delete_without_metadata_leaves_other_organization_intact(
        self, post_json: Any
    ) -> None:
        save(post_json, reaction("rx-1", org=ORG))
        save(post_json, reaction("rx-1", org=OTHER))
        delete(post_json, delete_body("rx-1", org=None), as_=("u_test", ORG))
        assert stored(self.db, "rx-1", org=OTHER) is not None

    def test_delete_without_metadata_deletes_in_every_principal_organization(
        self, post_json: Any
    ) -> None:
        for org in (ORG, OTHER, THIRD):
            save(post_json, reaction("rx-1", org=org), as_=("u_test", org))
        delete(post_json, delete_body("rx-1", org=None), as_=("u_test", ORG, THIRD))
        remaining = sorted(
            d["organizationId"]
            for d in self.db[COLLECTION].find({"annotationId": "rx-1"})
        )
        assert remaining == [OTHER]

    def test_delete_without_metadata_and_no_match_answers_200(
        self, post_json: Any
    ) -> None:
        save(post_json, reaction("rx-1", org=OTHER))
        delete(post_json, delete_body("rx-1", org=None), as_=("u_test", ORG))
        assert stored(self.db, "rx-1", org=OTHER) is not None

    def test_delete_with_null_metadata_uses_org_less_rule(self, post_json: Any) -> None:
        save(post_json, reaction("rx-1", org=ORG))
        save(post_json, reaction("rx-1", org=OTHER))
        delete(
            post_json,
            {"reactionAnnotationId": "rx-1", "metadata": None},
            as_=("u_test", ORG),
        )
        assert stored(self.db, "rx-1", org=ORG) is None
        assert stored(self.db, "rx-1", org=OTHER) is not None

    def test_delete_for_organization_not_allowed_is_403_and_keeps_reaction(
        self, post_json: Any
    ) -> None:
        save(post_json, reaction("rx-1", org=OTHER))
        response = post_json(
            "reactions/delete", delete_body("rx-1", org=OTHER), as_=("u_test", ORG)
        )
        assert_failure(response, 403, "FORBIDDEN")
        assert stored(self.db, "rx-1", org=OTHER) is not None

    def test_delete_contract_example_verbatim(self, post_json: Any) -> None:
        post_json("reactions/save", EXAMPLE_SAVE)
        assert_success(post_json("reactions/delete", EXAMPLE_DELETE), read=False)
        assert get(post_json, reactionAnnotationIds=["rxT0aQ83LmZp"]) == {}
