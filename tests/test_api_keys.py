"""The optional API-key allowlist (CONTRACT §16.5): with ``ALLOWED_API_KEYS`` set, a
request whose ``metadata.apiKey`` (request-level or of a saved record) is not listed is
refused with 403 and nothing is written; requests without one pass."""

from __future__ import annotations

from typing import Any

import pytest

from velt_django.checks import check_settings

from .contracts import assert_failure, assert_success
from .families import COMMENTS, ORG, REACTIONS

LIVE = "pk_live_3bT9xQ"
TEST = "pk_test_other"


@pytest.fixture
def allowlist(settings: Any, mongo_db: Any) -> Any:
    settings.VELT = {**settings.VELT, "ALLOWED_API_KEYS": [LIVE]}
    return mongo_db


def _record(record_id: str, api_key: str) -> dict[str, Any]:
    payload = COMMENTS.record(record_id)
    payload["metadata"]["apiKey"] = api_key
    return payload


def test_save_with_an_unlisted_record_key_is_403_and_writes_nothing(
    allowlist: Any, post_json: Any, caplog: pytest.LogCaptureFixture
) -> None:
    body = COMMENTS.save_body(_record("t1", LIVE), _record("t2", TEST))
    response = post_json("comments/save", body)
    assert_failure(response, 403, "FORBIDDEN")
    assert TEST.encode() not in response.content and TEST not in caplog.text
    assert allowlist[COMMENTS.collection].count_documents({}) == 0


def test_save_with_listed_keys_is_stored(allowlist: Any, post_json: Any) -> None:
    body = COMMENTS.save_body(_record("t1", LIVE), metadata={"apiKey": LIVE})
    assert_success(post_json("comments/save", body), read=False)
    assert allowlist[COMMENTS.collection].count_documents({}) == 1


@pytest.mark.parametrize("key", [TEST, "", None, 7, {"$ne": None}])
def test_unlisted_request_metadata_key_is_refused(
    allowlist: Any, post_json: Any, key: Any
) -> None:
    body = {
        "reactionAnnotationId": "rx-1",
        "metadata": {"organizationId": ORG, "apiKey": key},
    }
    assert_failure(post_json("reactions/delete", body), 403, "FORBIDDEN")


def test_requests_without_an_api_key_pass(allowlist: Any, post_json: Any) -> None:
    response = post_json("comments/get", {"organizationId": ORG})
    assert_success(response, read=True)
    payload = REACTIONS.record("rx-1")
    del payload["metadata"]["apiKey"]
    assert_success(
        post_json("reactions/save", REACTIONS.save_body(payload)), read=False
    )


def test_without_an_allowlist_every_key_passes(mongo_db: Any, post_json: Any) -> None:
    body = COMMENTS.save_body(_record("t1", TEST))
    assert_success(post_json("comments/save", body), read=False)


@pytest.mark.parametrize("value", ["pk_live", [""], [1], {"a": "b"}])
def test_malformed_allowlist_is_e016(settings: Any, value: Any) -> None:
    settings.VELT = {**settings.VELT, "ALLOWED_API_KEYS": value}
    assert "velt.E016" in [message.id for message in check_settings()]


@pytest.mark.parametrize("value", [[], None, [LIVE, TEST]])
def test_wellformed_allowlist_passes_the_check(settings: Any, value: Any) -> None:
    settings.VELT = {**settings.VELT, "ALLOWED_API_KEYS": value}
    assert "velt.E016" not in [message.id for message in check_settings()]
