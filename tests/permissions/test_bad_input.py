"""Malformed, oversized and hostile batches: a 4xx envelope for the whole batch, before
the policy is consulted."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from . import helpers
from .helpers import ACME, MODULE, batch, configure, failure, post, question

pytestmark = pytest.mark.django_db

GOOD = question("ann", "document", "spec-q3")


@pytest.fixture(autouse=True)
def on(settings: Any) -> None:
    configure(settings, ORGANIZATION_ACCESS=f"{MODULE}.claim_access")
    helpers.CALLS.clear()


def _with(**resource: Any) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(json.dumps(GOOD))
    for key, value in resource.items():
        if value is ...:
            del entry["resource"][key]
        else:
            entry["resource"][key] = value
    return entry


BAD_BODIES = {
    "not json": b"{nope",
    "empty": b"",
    "array": b"[]",
    "no data": {"requests": [GOOD]},
    "data not object": {"data": [GOOD]},
    "no requests": {"data": {}},
    "requests not array": {"data": {"requests": {"0": GOOD}}},
    "entry not object": batch(GOOD, "ann"),  # type: ignore[arg-type]
    "no userId": batch({"resource": GOOD["resource"]}),
    "numeric userId": batch({**GOOD, "userId": 8841}),
    "operator userId": batch({**GOOD, "userId": {"$ne": None}}),
    "array userId": batch({**GOOD, "userId": ["ann"]}),
    "empty userId": batch({**GOOD, "userId": ""}),
    "no resource": batch({"userId": "ann"}),
    "resource not object": batch({"userId": "ann", "resource": "spec-q3"}),
    "no id": batch(_with(id=...)),
    "operator id": batch(_with(id={"$gt": ""})),
    "null id": batch(_with(id=None)),
    "no type": batch(_with(type=...)),
    "operator type": batch(_with(type={"$in": ["document"]})),
    "no organizationId": batch(_with(organizationId=...)),
    "operator organizationId": batch(_with(organizationId={"$ne": None})),
    "blank organizationId": batch(_with(organizationId="")),
    "numeric parentFolderId": batch(_with(parentFolderId=7)),
    "null parentFolderId": batch(_with(parentFolderId=None)),
    "operator source": batch(_with(source={"$ne": None})),
    "context not object": batch(_with(type="context", context="access")),
    "id too long": batch(_with(id="d" * 513)),
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_batch_is_400_before_the_policy(client: Client, body: Any) -> None:
    # The bad entry comes after a good one: nothing is decided for either.
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        requests = body["data"].get("requests")
        if isinstance(requests, list):
            body = batch(GOOD, *requests)
    response = failure(post(client, body), 400, "INVALID_INPUT")
    assert helpers.CALLS == []
    assert "$ne" not in response["message"]


def test_error_names_the_entry_and_field_not_the_value(client: Client) -> None:
    body = batch(GOOD, {**GOOD, "userId": {"$ne": "secret-value"}})
    message = failure(post(client, body), 400, "INVALID_INPUT")["message"]
    assert "data.requests[1].userId" in message
    assert "secret-value" not in message


def test_unknown_fields_are_ignored(client: Client) -> None:
    entry = {**GOOD, "extra": {"$where": "1"}, "resource": {**GOOD["resource"], "x": 1}}
    response = post(client, batch(entry))
    assert response.status_code == 200


def test_source_is_optional(client: Client) -> None:
    assert post(client, batch(_with(source=...))).status_code == 200


def test_batch_over_the_cap_is_413(client: Client, settings: Any) -> None:
    at_cap = batch(*[question(f"u{i}", "organization", ACME) for i in range(500)])
    assert post(client, at_cap).status_code == 200
    helpers.CALLS.clear()
    over = batch(*[question(f"u{i}", "organization", ACME) for i in range(501)])
    body = failure(post(client, over), 413, "PAYLOAD_TOO_LARGE")
    assert "500" in body["message"]
    assert helpers.CALLS == []
    settings.VELT = {**settings.VELT, "PERMISSION_PROVIDER_MAX_BATCH": 2}
    three = batch(GOOD, GOOD, GOOD)
    failure(post(client, three), 413, "PAYLOAD_TOO_LARGE")


def test_body_over_the_size_limit_is_413(client: Client, settings: Any) -> None:
    settings.VELT = {**settings.VELT, "MAX_BODY_SIZE": 1024}
    body = batch(*[GOOD] * 20)
    assert len(json.dumps(body)) > 1024
    failure(post(client, body), 413, "PAYLOAD_TOO_LARGE")
    assert helpers.CALLS == []
