"""What only ``recordings/*`` does (CONTRACT §8), on both tiers: the keyed maps
``recordingEditVersions`` and ``chunkUrls``, ``attachments`` and ``transcription`` replaced
whole, the plural save key, no ``data`` on save, files untouched by deletes, and the
contract's examples; on mongomock, MongoDB and PostgreSQL. The checks every family shares
run in ``test_annotation_families.py``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ..contracts import assert_failure, assert_json_equal, assert_success
from ..families import ORG, RECORDINGS, on_backends
from ..wire import FamilyClient, PostJson
from .backends import family_client

pytestmark = on_backends(mongomock=True)

recording = RECORDINGS.record


@pytest.fixture
def api(backend: str, post_json: PostJson) -> FamilyClient:
    return family_client(RECORDINGS, post_json, backend)


EXAMPLE_SAVE = r"""
{
  "recorderAnnotation": {
    "Rk2Vd9sLmQ0aZt7YpXc4": {
      "annotationId": "Rk2Vd9sLmQ0aZt7YpXc4",
      "metadata": { "apiKey": "pk_live_3bT9xQ", "documentId": "spec-2024-q3", "organizationId": "acme-corp" },
      "from": { "userId": "u_3307", "name": "Dana Okafor", "email": "dana@acme.example", "photoUrl": "https://cdn.acme.example/avatars/u_3307.png" },
      "attachment": null,
      "attachments": [
        {
          "attachmentId": 905321,
          "name": "recording_1767225000000.webm",
          "url": "https://app.example.com/velt/f/9TzR1mWc8yLd4kq7Vn2bXs/recording_1767225000000.webm",
          "mimeType": "video/webm",
          "type": "video",
          "size": 3145728
        }
      ],
      "transcription": {
        "from": { "userId": "u_3307" },
        "transcriptedText": "Quick walkthrough of the new two-screen onboarding.",
        "lastUpdated": 1767225012000
      },
      "recordingEditVersions": {
        "1": { "from": { "userId": "u_3307" }, "attachments": [{ "attachmentId": 905321, "name": "recording_1767225000000.webm", "url": "https://app.example.com/velt/f/9TzR1mWc8yLd4kq7Vn2bXs/recording_1767225000000.webm" }] }
      },
      "isUrlAvailable": true,
      "customerCaseRef": "CASE-7781"
    }
  },
  "event": "recorder_annotation.update",
  "metadata": { "apiKey": "pk_live_3bT9xQ", "documentId": "spec-2024-q3", "organizationId": "acme-corp" }
}
"""

EXAMPLE_DELETE = r"""
{
  "recorderAnnotationId": "Rk2Vd9sLmQ0aZt7YpXc4",
  "metadata": { "apiKey": "pk_live_3bT9xQ", "documentId": "spec-2024-q3", "organizationId": "acme-corp" },
  "event": "recorder_annotation.delete"
}
"""


class TestRecordingExamples:
    def test_contract_save_example_round_trips_and_answers_without_data(
        self, api: FamilyClient
    ) -> None:
        body = json.loads(EXAMPLE_SAVE)
        response = api.post("save", body)
        assert "data" not in assert_success(response, read=False)
        data = api.get(documentIds=["spec-2024-q3"])
        expected = body["recorderAnnotation"]
        assert_json_equal(data, expected)

    def test_contract_delete_example_removes_record_and_repeats(
        self, api: FamilyClient
    ) -> None:
        api.post("save", json.loads(EXAMPLE_SAVE))
        for _ in range(2):
            assert_success(api.post("delete", json.loads(EXAMPLE_DELETE)), read=False)
        assert api.get(ids=["Rk2Vd9sLmQ0aZt7YpXc4"]) == {}


class TestRecordingKeyedMaps:
    @pytest.mark.parametrize("key", ["recordingEditVersions", "chunkUrls"])
    def test_keyed_map_merges_entry_by_entry(self, api: FamilyClient, key: str) -> None:
        first: dict[str, Any] = {key: {"0": {"v": "a"}, "1": {"v": "b"}}}
        second: dict[str, Any] = {key: {"1": {"v": "B"}, "2": {"v": "c"}}}
        api.save(recording("r1", **first))
        api.save(recording("r1", **second))
        assert api.get_one("r1")[key] == {
            "0": {"v": "a"},
            "1": {"v": "B"},
            "2": {"v": "c"},
        }

    def test_chunk_urls_of_concurrent_uploads_are_all_kept(
        self, api: FamilyClient
    ) -> None:
        for index in range(5):
            api.save(recording("r1", chunkUrls={str(index): f"https://f/{index}"}))
        assert sorted(api.get_one("r1")["chunkUrls"]) == ["0", "1", "2", "3", "4"]

    def test_attachments_array_is_replaced_whole(self, api: FamilyClient) -> None:
        api.save(
            recording("r1", attachments=[{"attachmentId": 1}, {"attachmentId": 2}])
        )
        api.save(recording("r1", attachments=[{"attachmentId": 3}]))
        assert api.get_one("r1")["attachments"] == [{"attachmentId": 3}]

    def test_transcription_is_replaced_whole_and_kept_when_absent(
        self, api: FamilyClient
    ) -> None:
        api.save(recording("r1", transcription={"transcriptedText": "a", "x": 1}))
        api.save(recording("r1", transcription={"transcriptedText": "b"}))
        assert api.get_one("r1")["transcription"] == {"transcriptedText": "b"}
        without = recording("r1")
        del without["transcription"]
        api.save(without)
        assert api.get_one("r1")["transcription"] == {"transcriptedText": "b"}

    def test_null_attachment_round_trips(self, api: FamilyClient) -> None:
        api.save(recording("r1", attachment=None))
        assert api.get_one("r1")["attachment"] is None


class TestRecordingSaveKeys:
    def test_plural_save_key_is_accepted(self, api: FamilyClient) -> None:
        body = {
            "recorderAnnotations": {"r1": recording("r1")},
            "event": "recorder_annotation.add",
        }
        assert_success(api.post("save", body), read=False)
        assert "r1" in api.get(ids=["r1"])

    def test_singular_key_wins_over_plural(self, api: FamilyClient) -> None:
        body = {
            "recorderAnnotation": {"r1": recording("r1")},
            "recorderAnnotations": {"r2": recording("r2")},
        }
        assert_success(api.post("save", body), read=False)
        assert set(api.get()) == {"r1"}

    @pytest.mark.parametrize("key", ["recorderAnnotation", "recorderAnnotations"])
    def test_save_map_that_is_not_an_object_is_400(
        self, api: FamilyClient, key: str
    ) -> None:
        assert_failure(api.post("save", {key: ["r1"]}), 400, "INVALID_INPUT")

    @pytest.mark.parametrize(
        "event", ["recorder_annotation.delete", "attachment.delete", "x"]
    )
    def test_no_save_event_deletes_anything(
        self, api: FamilyClient, event: str
    ) -> None:
        api.save(recording("r1", chunkUrls={"0": "https://f/0"}))
        api.save(recording("r1"), event=event)
        assert api.get_one("r1")["chunkUrls"] == {"0": "https://f/0"}


class TestRecordingQueries:
    def test_folder_with_all_documents_selects_across_documents(
        self, api: FamilyClient
    ) -> None:
        api.save(
            recording("r1", doc="d1", folder="f1"),
            recording("r2", doc="d2", folder="f1"),
            recording("r3", doc="d3", folder="f2"),
        )
        assert set(api.get(folderId="f1", allDocuments=True)) == {"r1", "r2"}

    def test_get_by_document_ids(self, api: FamilyClient) -> None:
        api.save(recording("r1", doc="d1"), recording("r2", doc="d2"))
        assert set(api.get(documentIds=["d2"])) == {"r2"}

    def test_other_organization_is_refused(self, api: FamilyClient) -> None:
        api.save(recording("r1"))
        response = api.post("get", RECORDINGS.get_body(ORG), as_=("u_x", "globex"))
        assert_failure(response, 403, "FORBIDDEN")
