"""Hostile and malformed ``activities/*`` requests on both tiers: each is answered with a
4xx failure envelope that echoes nothing it was sent, and nothing stored changes
(CONTRACT §2.1, §2.2, §5.5, §12)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ..families import BOTH, ORG, on_backends
from .backends import stored_documents

COLLECTION = "velt_activities"
CANARY = "pii-canary-Bq42Lm"
ERROR_CODES = {400: "INVALID_INPUT", 413: "PAYLOAD_TOO_LARGE"}


def activity(
    record_id: str = "act-seed", org: Any = ORG, **extra: Any
) -> dict[str, Any]:
    return {
        "id": record_id,
        "metadata": {"organizationId": org, "documentId": "doc-1"},
        "changes": {"commentText": {"to": CANARY}},
        **extra,
    }


def save(*payloads: dict[str, Any], **request: Any) -> dict[str, Any]:
    return {"activity": {p["id"]: p for p in payloads}, **request}


@pytest.fixture
def seeded(backend: str, post_json: Any) -> None:
    """One activity ``act-seed`` of ``ORG``, on mongomock, MongoDB and PostgreSQL."""
    body = save({**activity(), "changes": {"commentText": {"to": "seeded"}}})
    response = post_json("activities/save", body, as_=BOTH)
    assert response.status_code == 200, response.content


def snapshot() -> list[dict[str, Any]]:
    return stored_documents(COLLECTION)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # The tests on stored activities run on mongomock (unit tier) too.
    if "backend" in metafunc.fixturenames:
        metafunc.definition.add_marker(on_backends(mongomock=True))


def assert_refused(
    post_json: Any,
    path: str,
    body: Any,
    status: tuple[int, ...] = (400,),
    as_: tuple[str, ...] = BOTH,
) -> None:
    before = snapshot()
    sent = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = post_json(path, body, as_=as_)
    assert response.status_code in status, response.content
    envelope = response.json()
    assert envelope["success"] is False
    assert envelope["statusCode"] == response.status_code
    assert envelope["errorCode"] == ERROR_CODES[response.status_code]
    assert "data" not in envelope
    assert CANARY.encode() not in response.content
    assert sent not in response.content
    assert snapshot() == before


OPERATOR_CASES: list[tuple[str, str, Any]] = [
    ("get-org-ne", "activities/get", {"organizationId": {"$ne": None}}),
    (
        "get-org-gt-with-ids",
        "activities/get",
        {"organizationId": {"$gt": ""}, "activityIds": ["act-seed"]},
    ),
    ("get-ids-ne", "activities/get", {"activityIds": [{"$ne": None}]}),
    (
        "get-ids-mixed",
        "activities/get",
        {"organizationId": ORG, "activityIds": ["act-seed", {"$gt": ""}]},
    ),
    ("get-docs-gt", "activities/get", {"documentIds": [{"$gt": ""}]}),
    (
        "get-docs-regex-with-org",
        "activities/get",
        {"organizationId": ORG, "documentIds": [{"$regex": ".*"}]},
    ),
    ("save-record-org-ne", "activities/save", save(activity(org={"$ne": None}))),
    (
        "save-client-org-ne",
        "activities/save",
        save(
            {
                **activity(),
                "metadata": {
                    "clientOrganizationId": {"$ne": None},
                    "organizationId": ORG,
                },
            }
        ),
    ),
    (
        "save-document-ne",
        "activities/save",
        save(
            {
                **activity(),
                "metadata": {"organizationId": ORG, "documentId": {"$ne": 1}},
            }
        ),
    ),
    (
        "save-request-org-gt",
        "activities/save",
        save(
            {"id": "act-seed", "changes": CANARY},
            metadata={"organizationId": {"$gt": ""}},
        ),
    ),
    (
        "save-request-document-ne",
        "activities/save",
        save(
            {"id": "act-seed", "changes": CANARY},
            metadata={"organizationId": ORG, "documentId": {"$ne": None}},
        ),
    ),
    (
        "save-top-level-org-ne",
        "activities/save",
        save({"id": "act-seed", "changes": CANARY}, organizationId={"$ne": None}),
    ),
    (
        "save-top-level-org-ne-beside-metadata",
        "activities/save",
        save(activity(), organizationId={"$ne": None}),
    ),
]


@pytest.mark.parametrize(
    ("path", "body"),
    [c[1:] for c in OPERATOR_CASES],
    ids=[c[0] for c in OPERATOR_CASES],
)
def test_operator_object_as_id_is_rejected(
    seeded: None, post_json: Any, path: str, body: Any
) -> None:
    assert_refused(post_json, path, body)


TYPE_CASES: list[tuple[str, str, Any]] = [
    ("get-ids-string", "activities/get", {"organizationId": ORG, "activityIds": "a"}),
    ("get-ids-object", "activities/get", {"activityIds": {"act-seed": True}}),
    ("get-docs-number", "activities/get", {"organizationId": ORG, "documentIds": 5}),
    ("get-ids-nested", "activities/get", {"activityIds": [["act-seed"]]}),
    ("get-ids-bool", "activities/get", {"activityIds": [True]}),
    ("get-org-bool", "activities/get", {"organizationId": True}),
    ("get-org-list", "activities/get", {"organizationId": [ORG]}),
    ("get-org-float", "activities/get", {"organizationId": 1.5}),
    ("save-map-missing", "activities/save", {"event": "activity.save"}),
    ("save-map-null", "activities/save", {"activity": None, "organizationId": ORG}),
    ("save-map-list", "activities/save", {"activity": [activity()]}),
    ("save-map-string", "activities/save", {"activity": CANARY}),
    ("save-map-number", "activities/save", {"activity": 5, "organizationId": ORG}),
    (
        "save-entry-string",
        "activities/save",
        {"activity": {"act-seed": CANARY}, "organizationId": ORG},
    ),
    (
        "save-entry-list",
        "activities/save",
        {"activity": {"act-seed": [CANARY]}, "organizationId": ORG},
    ),
    ("save-event-number", "activities/save", save(activity(), event=5)),
    ("save-event-object", "activities/save", save(activity(), event={"t": "x"})),
    (
        "save-request-metadata-number",
        "activities/save",
        save({"id": "act-seed", "changes": CANARY}, metadata=5),
    ),
    (
        "save-request-metadata-list",
        "activities/save",
        save({"id": "act-seed", "changes": CANARY}, metadata=[ORG]),
    ),
    (
        "save-no-organization",
        "activities/save",
        save({"id": "act-seed", "changes": CANARY}),
    ),
    (
        "save-organization-only-in-other-shape",
        "activities/save",
        save({"id": "act-seed", "changes": CANARY}, context={"organizationId": ORG}),
    ),
    ("save-int-beyond-int64", "activities/save", save(activity(counter=2**64))),
]


@pytest.mark.parametrize(
    ("path", "body"), [c[1:] for c in TYPE_CASES], ids=[c[0] for c in TYPE_CASES]
)
def test_wrong_type_is_rejected(
    seeded: None, post_json: Any, path: str, body: Any
) -> None:
    assert_refused(post_json, path, body)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"activity": {"act-seed": {"n": NaN}}, "organizationId": "acme-corp"}',
        b'{"activity": {"act-seed": {"n": 1e400}}, "organizationId": "acme-corp"}',
        b'{"activityIds": ["act-seed"]',
        b'["act-seed"]',
        b'{"activity": {"act-\\ud800": {}}, "organizationId": "acme-corp"}',
    ],
    ids=["nan", "overflow", "truncated", "array", "lone-surrogate"],
)
def test_malformed_body_is_rejected(seeded: None, post_json: Any, raw: bytes) -> None:
    path = "activities/save" if b'"activity"' in raw else "activities/get"
    assert_refused(post_json, path, raw)


@pytest.mark.parametrize("field", ["activityIds", "documentIds"])
@pytest.mark.parametrize("with_org", [True, False], ids=["org", "orgless"])
def test_id_list_longer_than_limit_is_rejected(
    seeded: None, post_json: Any, settings: Any, field: str, with_org: bool
) -> None:
    settings.VELT = {**settings.VELT, "MAX_ID_LIST_LENGTH": 10}
    body: dict[str, Any] = {field: [f"id-{i}" for i in range(11)]}
    if with_org:
        body["organizationId"] = ORG
    assert_refused(post_json, "activities/get", body, status=(400, 413))
    body[field] = body[field][:10]
    assert post_json("activities/get", body, as_=BOTH).status_code == 200


@pytest.mark.parametrize(
    "where", ["get-org", "get-ids", "get-docs", "save-key", "save-org"]
)
def test_id_longer_than_limit_is_rejected(
    seeded: None, post_json: Any, settings: Any, where: str
) -> None:
    long_id = "x" * (settings.VELT.get("MAX_ID_LENGTH", 512) + 1)
    path, body = {
        "get-org": ("activities/get", {"organizationId": long_id}),
        "get-ids": ("activities/get", {"activityIds": [long_id]}),
        "get-docs": ("activities/get", {"documentIds": [long_id]}),
        "save-key": ("activities/save", save(activity(long_id))),
        "save-org": ("activities/save", save(activity(org=long_id))),
    }[where]
    assert_refused(
        post_json, path, body, status=(400, 413), as_=("u_test", ORG, long_id)
    )


def test_more_records_than_limit_is_rejected(
    seeded: None, post_json: Any, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "MAX_RECORDS_PER_SAVE": 3}
    body = save(*(activity(f"act-{i}") for i in range(4)))
    assert_refused(post_json, "activities/save", body, status=(400, 413))


def test_payload_deeper_than_limit_is_rejected(
    seeded: None, post_json: Any, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "MAX_PAYLOAD_DEPTH": 8}
    deep: Any = CANARY
    for _ in range(10):
        deep = {"n": deep}
    assert_refused(post_json, "activities/save", save(activity("act-new", deep=deep)))


def test_record_larger_than_limit_is_413(
    seeded: None, post_json: Any, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "MAX_RECORD_SIZE": 1024}
    body = save(activity("act-new", big="y" * 2048))
    assert_refused(post_json, "activities/save", body, status=(413,))


def test_invalid_record_after_valid_ones_writes_nothing(
    seeded: None, post_json: Any
) -> None:
    body = save(activity("act-a"), activity("act-z", counter=-(2**63) - 1))
    assert_refused(post_json, "activities/save", body)


def test_operator_like_map_key_is_a_literal_id(seeded: None, post_json: Any) -> None:
    response = post_json("activities/save", save(activity("$gt")), as_=BOTH)
    assert response.status_code == 200, response.content
    ids = sorted(d["activityId"] for d in snapshot())
    assert ids == ["$gt", "act-seed"]
    response = post_json("activities/get", {"activityIds": ["$gt"]}, as_=BOTH)
    assert list(response.json()["data"]) == ["$gt"]
