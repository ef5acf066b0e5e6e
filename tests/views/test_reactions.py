"""What only ``reactions/*`` does (CONTRACT §7, on MongoDB and PostgreSQL): the icon, the legacy ``user``
key, no event deleting anything on save, and the contract's examples. The checks every
family shares are in ``test_annotation_families.py``."""

from __future__ import annotations

import json

import pytest

from ..contracts import assert_json_equal, assert_success
from ..families import REACTIONS
from ..wire import FamilyClient, PostJson
from .backends import family_client

reaction = REACTIONS.record


@pytest.fixture
def api(backend: str, post_json: PostJson) -> FamilyClient:
    return family_client(REACTIONS, post_json, backend)


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


class TestReactionIcon:
    def test_save_without_icon_keeps_stored_icon(self, api: FamilyClient) -> None:
        api.save(reaction("rx-1", icon="HEART_FACE"))
        without_icon = reaction("rx-1")
        del without_icon["icon"]
        api.save(without_icon, event="reaction.add")
        assert api.get_one("rx-1")["icon"] == "HEART_FACE"

    def test_save_with_icon_replaces_stored_icon(self, api: FamilyClient) -> None:
        api.save(reaction("rx-1", icon="HEART_FACE"))
        api.save(reaction("rx-1", icon="1f680"))
        assert api.get_one("rx-1")["icon"] == "1f680"

    def test_save_tenant_ref_zero_round_trips_as_zero(self, api: FamilyClient) -> None:
        api.save(reaction("rx-1", tenantRef=0))
        value = api.get_one("rx-1")["tenantRef"]
        assert type(value) is int and value == 0

    def test_save_legacy_user_key_returned_unchanged(self, api: FamilyClient) -> None:
        payload = reaction("rx-1", user={"userId": "u_legacy", "name": "Old Backend"})
        del payload["from"]
        api.save(payload)
        returned = api.get_one("rx-1")
        assert_json_equal(
            returned["user"], {"userId": "u_legacy", "name": "Old Backend"}
        )
        assert "from" not in returned

    def test_save_user_and_from_kept_side_by_side(self, api: FamilyClient) -> None:
        payload = reaction("rx-1", user={"userId": "u_legacy"})
        api.save(payload)
        assert_json_equal(api.get_one("rx-1"), payload)


class TestReactionEvents:
    @pytest.mark.parametrize(
        "event", ["reaction.delete", "reaction.add", None, "some.future_event"]
    )
    def test_save_event_deletes_nothing(
        self, api: FamilyClient, event: str | None
    ) -> None:
        api.save(reaction("rx-1", keep="me"))
        api.save(reaction("rx-1", icon="HEART_FACE"), event=event)
        returned = api.get_one("rx-1")
        assert (returned["icon"], returned["keep"]) == ("HEART_FACE", "me")

    def test_save_reaction_delete_event_on_new_record_stores_it(
        self, api: FamilyClient
    ) -> None:
        api.save(reaction("rx-1"), event="reaction.delete")
        assert sorted(api.get(ids=["rx-1"])) == ["rx-1"]


class TestReactionExamples:
    def test_get_contract_example_verbatim(self, api: FamilyClient) -> None:
        api.post("save", EXAMPLE_SAVE)
        data = assert_success(api.post("get", EXAMPLE_GET_REQUEST), read=True)["data"]
        assert_json_equal(data, json.loads(EXAMPLE_GET_RESPONSE)["data"])

    def test_save_contract_example_verbatim(self, api: FamilyClient) -> None:
        assert_success(api.post("save", EXAMPLE_SAVE), read=False)
        expected = json.loads(EXAMPLE_SAVE)["reactionAnnotation"]
        assert_json_equal(api.get(ids=["rxT0aQ83LmZp"]), expected)

    def test_delete_contract_example_verbatim(self, api: FamilyClient) -> None:
        api.post("save", EXAMPLE_SAVE)
        assert_success(api.post("delete", EXAMPLE_DELETE), read=False)
        assert api.get(ids=["rxT0aQ83LmZp"]) == {}
