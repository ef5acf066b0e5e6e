"""Hostile and malformed requests over the wire: every one is answered with a 4xx failure
envelope that echoes nothing it was sent, and leaves the stored data untouched
(CONTRACT §2.1, §2.2, §5.5, §16.7). On MongoDB and on PostgreSQL (the ``backend``
fixture); the stored records are read through ``backends.stored_documents``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from ..auth import principal
from ..families import COMMENTS
from .backends import stored_documents

#: Appears in every request body that carries payload text; must never be echoed back.
CANARY = "pii-canary-Zq81xv"
COLLECTIONS = ("velt_comment_annotations", "velt_reaction_annotations")
ERROR_CODES = {
    400: "INVALID_INPUT",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
}


def comment_payload(
    record_id: str = "ann-new", org: Any = "acme-corp", text: str = CANARY
) -> dict[str, Any]:
    message = {"7": {"commentId": 7, "commentText": text}}
    return COMMENTS.record(record_id, org=org, comments=message)


def comment_save(
    payload: dict[str, Any], record_id: str = "ann-new", **extra: Any
) -> dict[str, Any]:
    assert payload["annotationId"] == record_id
    return COMMENTS.save_body(payload, **{"event": "comment.add", **extra})


@pytest.fixture
def seeded(backend: str, post_json: Any) -> str:
    """One comment thread and one reaction in ``acme-corp``; returns the backend."""
    response = post_json(
        "comments/save",
        comment_save(comment_payload("ann-seed", text="seeded"), "ann-seed"),
    )
    assert response.status_code == 200, response.content
    reaction = {
        "annotationId": "rx-seed",
        "metadata": {"organizationId": "acme-corp"},
        "icon": "1f680",
    }
    response = post_json(
        "reactions/save", {"reactionAnnotation": {"rx-seed": reaction}}
    )
    assert response.status_code == 200, response.content
    return backend


def snapshot(_backend: Any) -> dict[str, list[dict[str, Any]]]:
    return {name: stored_documents(name) for name in COLLECTIONS}


def as_bytes(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8", "surrogatepass")
    return json.dumps(body).encode("utf-8")


def assert_rejected(
    response: Any, status: int | tuple[int, ...], sent: bytes
) -> dict[str, Any]:
    allowed = status if isinstance(status, tuple) else (status,)
    assert response.status_code in allowed, response.content
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["success"] is False
    assert body["statusCode"] == response.status_code
    assert body["errorCode"] == ERROR_CODES[response.status_code]
    assert isinstance(body["message"], str)
    assert "data" not in body
    assert CANARY.encode() not in response.content
    if len(sent) > 16:
        assert sent not in response.content
    return body


def assert_refused(
    post_json: Any,
    path: str,
    body: Any,
    status: int | tuple[int, ...] = 400,
    **request: Any,
) -> None:
    """The request is rejected without echoing what it sent, and nothing is written."""
    before = snapshot(None)
    response = post_json(path, body, **request)
    assert_rejected(response, status, as_bytes(body))
    assert snapshot(None) == before


# ---- operator objects where ids belong -------------------------------------------------

OPERATOR_CASES: list[tuple[str, str, Any]] = [
    ("get-org-ne", "comments/get", {"organizationId": {"$ne": None}}),
    (
        "get-org-gt",
        "comments/get",
        {"organizationId": {"$gt": ""}, "commentAnnotationIds": ["ann-seed"]},
    ),
    (
        "get-ids-ne",
        "comments/get",
        {"organizationId": "acme-corp", "commentAnnotationIds": [{"$ne": None}]},
    ),
    (
        "get-ids-mixed",
        "comments/get",
        {
            "organizationId": "acme-corp",
            "commentAnnotationIds": ["ann-seed", {"$gt": ""}],
        },
    ),
    (
        "get-docs-gt",
        "comments/get",
        {"organizationId": "acme-corp", "documentIds": [{"$gt": ""}]},
    ),
    (
        "get-folder-regex",
        "comments/get",
        {
            "organizationId": "acme-corp",
            "folderId": {"$regex": ".*"},
            "allDocuments": True,
        },
    ),
    (
        "get-reaction-ids-in",
        "reactions/get",
        {
            "organizationId": "acme-corp",
            "reactionAnnotationIds": [{"$in": ["rx-seed"]}],
        },
    ),
    ("get-reaction-org-ne", "reactions/get", {"organizationId": {"$ne": "x"}}),
    (
        "delete-id-ne",
        "comments/delete",
        {
            "commentAnnotationId": {"$ne": None},
            "metadata": {"organizationId": "acme-corp"},
        },
    ),
    ("delete-id-gt-orgless", "comments/delete", {"commentAnnotationId": {"$gt": ""}}),
    ("delete-alias-ne", "comments/delete", {"annotationId": {"$ne": None}}),
    (
        "delete-org-ne",
        "comments/delete",
        {
            "commentAnnotationId": "ann-seed",
            "metadata": {"organizationId": {"$ne": None}},
        },
    ),
    (
        "delete-client-org-ne",
        "comments/delete",
        {
            "commentAnnotationId": "ann-seed",
            "metadata": {"clientOrganizationId": {"$ne": None}},
        },
    ),
    (
        "delete-reaction-id-ne",
        "reactions/delete",
        {"reactionAnnotationId": {"$ne": None}},
    ),
    (
        "save-record-org-ne",
        "comments/save",
        comment_save(comment_payload("ann-seed", org={"$ne": None}), "ann-seed"),
    ),
    (
        "save-request-org-gt",
        "comments/save",
        {
            "commentAnnotation": {
                "ann-seed": {"comments": {"8": {"commentText": CANARY}}}
            },
            "metadata": {"organizationId": {"$gt": ""}},
        },
    ),
    (
        "save-document-ne",
        "comments/save",
        comment_save(
            {
                **comment_payload("ann-seed"),
                "metadata": {
                    "organizationId": "acme-corp",
                    "documentId": {"$ne": None},
                },
            },
            "ann-seed",
        ),
    ),
    (
        "save-folder-exists",
        "comments/save",
        comment_save(
            {
                **comment_payload("ann-seed"),
                "metadata": {
                    "organizationId": "acme-corp",
                    "folderId": {"$exists": True},
                },
            },
            "ann-seed",
        ),
    ),
    (
        "save-comment-id-ne",
        "comments/save",
        comment_save(
            comment_payload("ann-seed"),
            "ann-seed",
            event="comment.delete",
            commentId={"$ne": None},
        ),
    ),
    (
        "save-reaction-org-ne",
        "reactions/save",
        {
            "reactionAnnotation": {
                "rx-seed": {
                    "metadata": {"organizationId": {"$ne": None}},
                    "icon": CANARY,
                }
            },
        },
    ),
]


@pytest.mark.parametrize(
    ("path", "body"),
    [c[1:] for c in OPERATOR_CASES],
    ids=[c[0] for c in OPERATOR_CASES],
)
def test_operator_object_as_id_is_rejected(
    seeded: Any, post_json: Any, path: str, body: Any
) -> None:
    assert_refused(post_json, path, body)


def test_operator_like_map_key_is_a_literal_id(seeded: Any, post_json: Any) -> None:
    # A map key is always a string: "$gt" is a (strange) record id, never an operator.
    before = snapshot(seeded)
    response = post_json(
        "comments/save", comment_save(comment_payload("$gt", text="literal"), "$gt")
    )
    assert response.status_code == 200, response.content
    after = snapshot(seeded)
    assert after["velt_comment_annotations"][0] == before["velt_comment_annotations"][0]
    assert [d["annotationId"] for d in after["velt_comment_annotations"]] == [
        "ann-seed",
        "$gt",
    ]
    response = post_json(
        "comments/get", {"organizationId": "acme-corp", "commentAnnotationIds": ["$gt"]}
    )
    assert list(response.json()["data"]) == ["$gt"]


# ---- wrong types -------------------------------------------------------------------------

TYPE_CASES: list[tuple[str, str, Any]] = [
    (
        "get-ids-string",
        "comments/get",
        {"organizationId": "acme-corp", "commentAnnotationIds": "ann-seed"},
    ),
    (
        "get-ids-object",
        "comments/get",
        {"organizationId": "acme-corp", "commentAnnotationIds": {"ann-seed": True}},
    ),
    (
        "get-docs-number",
        "comments/get",
        {"organizationId": "acme-corp", "documentIds": 5},
    ),
    (
        "get-ids-nested-list",
        "comments/get",
        {"organizationId": "acme-corp", "commentAnnotationIds": [["ann-seed"]]},
    ),
    (
        "get-ids-bool-element",
        "comments/get",
        {"organizationId": "acme-corp", "commentAnnotationIds": [True]},
    ),
    ("get-org-bool", "comments/get", {"organizationId": True}),
    ("get-org-list", "comments/get", {"organizationId": ["acme-corp"]}),
    # By ids alone it is the org-less get (§2.5); with documents it needs the org.
    (
        "get-org-missing",
        "comments/get",
        {"commentAnnotationIds": ["ann-seed"], "documentIds": ["doc-1"]},
    ),
    (
        "get-reaction-ids-string",
        "reactions/get",
        {"organizationId": "acme-corp", "reactionAnnotationIds": "rx-seed"},
    ),
    (
        "save-map-number",
        "comments/save",
        {"commentAnnotation": 5, "metadata": {"organizationId": "acme-corp"}},
    ),
    (
        "save-map-bool",
        "comments/save",
        {"commentAnnotation": True, "metadata": {"organizationId": "acme-corp"}},
    ),
    (
        "save-map-list",
        "comments/save",
        {"commentAnnotation": [comment_payload("ann-seed")]},
    ),
    (
        "save-map-string",
        "comments/save",
        {"commentAnnotation": CANARY, "metadata": {"organizationId": "acme-corp"}},
    ),
    (
        "save-map-missing",
        "comments/save",
        {"event": "comment.add", "metadata": {"organizationId": "acme-corp"}},
    ),
    (
        "save-entry-string",
        "comments/save",
        {
            "commentAnnotation": {"ann-seed": CANARY},
            "metadata": {"organizationId": "acme-corp"},
        },
    ),
    (
        "save-entry-list",
        "comments/save",
        {
            "commentAnnotation": {"ann-seed": [CANARY]},
            "metadata": {"organizationId": "acme-corp"},
        },
    ),
    (
        "save-entry-number",
        "comments/save",
        {
            "commentAnnotation": {"ann-seed": 5},
            "metadata": {"organizationId": "acme-corp"},
        },
    ),
    (
        "save-event-number",
        "comments/save",
        comment_save(comment_payload("ann-seed"), "ann-seed", event=5),
    ),
    (
        "save-event-object",
        "comments/save",
        comment_save(
            comment_payload("ann-seed"), "ann-seed", event={"type": "comment.add"}
        ),
    ),
    (
        "save-request-metadata-number",
        "comments/save",
        {
            "commentAnnotation": {
                "ann-seed": {"comments": {"9": {"commentText": CANARY}}}
            },
            "metadata": 5,
        },
    ),
    (
        "save-request-metadata-list",
        "comments/save",
        {
            "commentAnnotation": {
                "ann-seed": {"comments": {"9": {"commentText": CANARY}}}
            },
            "metadata": ["acme-corp"],
        },
    ),
    (
        "save-no-organization",
        "comments/save",
        {
            "commentAnnotation": {
                "ann-seed": {"comments": {"9": {"commentText": CANARY}}}
            }
        },
    ),
    (
        "save-reaction-map-list",
        "reactions/save",
        {"reactionAnnotation": [{"annotationId": "rx-seed", "icon": CANARY}]},
    ),
    (
        "save-reaction-entry-string",
        "reactions/save",
        {
            "reactionAnnotation": {"rx-seed": CANARY},
            "metadata": {"organizationId": "acme-corp"},
        },
    ),
    (
        "save-reaction-event-bool",
        "reactions/save",
        {
            "reactionAnnotation": {"rx-seed": {"icon": CANARY}},
            "metadata": {"organizationId": "acme-corp"},
            "event": True,
        },
    ),
    (
        "delete-id-missing",
        "comments/delete",
        {"metadata": {"organizationId": "acme-corp"}},
    ),
    ("delete-id-bool", "comments/delete", {"commentAnnotationId": True}),
    ("delete-id-list", "comments/delete", {"commentAnnotationId": ["ann-seed"]}),
    (
        "delete-metadata-string",
        "comments/delete",
        {"commentAnnotationId": "ann-seed", "metadata": "acme-corp"},
    ),
    (
        "delete-metadata-number",
        "comments/delete",
        {"commentAnnotationId": "ann-seed", "metadata": 1},
    ),
    (
        "delete-reaction-id-object",
        "reactions/delete",
        {"reactionAnnotationId": {"id": "rx-seed"}},
    ),
]


@pytest.mark.parametrize(
    ("path", "body"), [c[1:] for c in TYPE_CASES], ids=[c[0] for c in TYPE_CASES]
)
def test_wrong_type_is_rejected(
    seeded: Any, post_json: Any, path: str, body: Any
) -> None:
    assert_refused(post_json, path, body)


@pytest.mark.parametrize("event", [7, {"type": "x"}, None, True])
def test_delete_with_non_string_event_is_accepted(
    seeded: Any, post_json: Any, event: Any
) -> None:
    # A delete's event is informational (§4, A-8): a malformed one is ignored.
    body = {
        "commentAnnotationId": "ann-seed",
        "metadata": {"organizationId": "acme-corp"},
        "event": event,
    }
    response = post_json("comments/delete", body)
    assert response.status_code == 200, response.content
    assert stored_documents("velt_comment_annotations") == []


# ---- bodies that are not a JSON object ---------------------------------------------------

RAW_CASES: list[tuple[str, bytes]] = [
    ("malformed", b'{organizationId: "acme-corp", text: "' + CANARY.encode() + b'"}'),
    (
        "truncated",
        b'{"commentAnnotation": {"ann-seed": {"comments": {"7": {"commentText": "'
        + CANARY.encode(),
    ),
    ("trailing-garbage", b'{"organizationId": "acme-corp"} {"x": 1}'),
    ("nan", b'{"organizationId": "acme-corp", "commentAnnotationIds": [NaN]}'),
    (
        "infinity",
        b'{"commentAnnotation": {"ann-seed": {"n": Infinity}}, "metadata": {"organizationId": "acme-corp"}}',
    ),
    (
        "negative-infinity",
        b'{"commentAnnotation": {"ann-seed": {"n": -Infinity}}, "metadata": {"organizationId": "acme-corp"}}',
    ),
    (
        "non-utf8",
        b'{"commentAnnotation": {"ann-seed": {"t": "\xff\xfe\xfa '
        + CANARY.encode()
        + b'"}}, "metadata": {"organizationId": "acme-corp"}}',
    ),
    (
        "latin1",
        '{"organizationId": "acme-corp", "documentIds": ["Caf\u00e9"]}'.encode(
            "latin-1"
        ),
    ),
    ("utf16", '{"organizationId": "acme-corp"}'.encode("utf-16")),
    ("empty", b""),
    ("whitespace", b" \n\t\r "),
    ("top-level-array", b'[{"organizationId": "acme-corp"}]'),
    ("top-level-string", b'"acme-corp"'),
    ("top-level-null", b"null"),
    ("top-level-number", b"42"),
    ("top-level-true", b"true"),
    ("deeply-nested-array", b"[" * 100_000 + b"]" * 100_000),
    ("deeply-nested-object", b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
]


@pytest.mark.parametrize(
    "raw", [c[1] for c in RAW_CASES], ids=[c[0] for c in RAW_CASES]
)
@pytest.mark.parametrize(
    "path", ["comments/get", "comments/save", "comments/delete", "reactions/save"]
)
def test_non_object_body_is_rejected(
    seeded: Any, post_json: Any, path: str, raw: bytes
) -> None:
    assert_refused(post_json, path, raw)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", ""]
)
def test_malformed_body_is_rejected_whatever_the_content_type(
    seeded: Any, post_json: Any, content_type: str
) -> None:
    raw = b'{"commentAnnotation": {"ann-seed": ' + CANARY.encode()
    assert_refused(post_json, "comments/save", raw, content_type=content_type)


# ---- wrong methods -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["comments/get", "comments/save", "reactions/delete"])
def test_method_other_than_post_is_rejected(
    seeded: Any, path: str, method: str
) -> None:
    before = snapshot(seeded)
    body = json.dumps(
        {
            "commentAnnotationId": "ann-seed",
            "reactionAnnotationId": "rx-seed",
            "metadata": {"organizationId": "acme-corp"},
        }
    )
    client = Client()
    call = getattr(client, method)
    if method == "get":
        response = call(f"/velt/{path}", **principal("u_test", "acme-corp"))
    else:
        response = call(
            f"/velt/{path}",
            body,
            content_type="application/json",
            **principal("u_test", "acme-corp"),
        )
    assert_rejected(response, 405, b"")
    assert snapshot(seeded) == before


# ---- limits ------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["commentAnnotationIds", "documentIds"])
def test_get_with_ten_thousand_ids_is_rejected(
    seeded: Any, post_json: Any, field: str
) -> None:
    body = {"organizationId": "acme-corp", field: [f"id-{i}" for i in range(10_000)]}
    response = post_json("comments/get", body)
    assert_rejected(response, (400, 413), as_bytes(body))


def test_get_with_id_list_at_the_limit_is_accepted(
    seeded: Any, post_json: Any, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "MAX_ID_LIST_LENGTH": 50}
    ids = [f"id-{i}" for i in range(49)] + ["ann-seed"]
    response = post_json(
        "comments/get", {"organizationId": "acme-corp", "commentAnnotationIds": ids}
    )
    assert response.status_code == 200, response.content
    assert list(response.json()["data"]) == ["ann-seed"]
    response = post_json(
        "comments/get",
        {"organizationId": "acme-corp", "commentAnnotationIds": [*ids, "one-more"]},
    )
    assert_rejected(response, (400, 413), b"")


def _long_id(settings: Any) -> str:
    limit: int = settings.VELT.get("MAX_ID_LENGTH", 512)
    return "x" * (limit + 1)


@pytest.mark.parametrize(
    "where",
    [
        "get-org",
        "get-ids",
        "get-docs",
        "save-key",
        "save-org",
        "delete-id",
        "delete-org",
    ],
)
def test_id_longer_than_limit_is_rejected(
    seeded: Any, post_json: Any, settings: Any, where: str
) -> None:
    long_id = _long_id(settings)
    path, body = {
        "get-org": ("comments/get", {"organizationId": long_id}),
        "get-ids": (
            "comments/get",
            {"organizationId": "acme-corp", "commentAnnotationIds": [long_id]},
        ),
        "get-docs": (
            "comments/get",
            {"organizationId": "acme-corp", "documentIds": [long_id]},
        ),
        "save-key": ("comments/save", comment_save(comment_payload(long_id), long_id)),
        "save-org": (
            "comments/save",
            comment_save(comment_payload("ann-seed", org=long_id), "ann-seed"),
        ),
        "delete-id": (
            "comments/delete",
            {
                "commentAnnotationId": long_id,
                "metadata": {"organizationId": "acme-corp"},
            },
        ),
        "delete-org": (
            "comments/delete",
            {
                "commentAnnotationId": "ann-seed",
                "metadata": {"organizationId": long_id},
            },
        ),
    }[where]
    assert_refused(
        post_json, path, body, as_=("u_test", "acme-corp", long_id), status=(400, 413)
    )


def test_body_above_max_body_size_is_rejected(
    seeded: Any, post_json: Any, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "MAX_BODY_SIZE": 2048}
    body = comment_save(
        comment_payload("ann-seed", text=CANARY + "y" * 4096), "ann-seed"
    )
    assert_refused(post_json, "comments/save", body, status=413)


def test_body_just_under_max_body_size_is_accepted(
    seeded: Any, post_json: Any, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "MAX_BODY_SIZE": 2048}
    body = comment_save(comment_payload("ann-small", text="y" * 1500), "ann-small")
    assert len(as_bytes(body)) <= 2048
    response = post_json("comments/save", body)
    assert response.status_code == 200, response.content


def test_body_above_django_upload_limit_is_accepted(
    seeded: Any, post_json: Any, settings: Any
) -> None:
    # 3 MiB: above DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB) but under MAX_BODY_SIZE (10 MiB).
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    text = "z" * (3 * 1024 * 1024)
    body = comment_save(comment_payload("ann-big", text=text), "ann-big")
    assert len(as_bytes(body)) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = post_json("comments/save", body)
    assert response.status_code == 200, response.content[:500]
    (doc,) = stored_documents("velt_comment_annotations", annotationId="ann-big")
    assert doc["payload"]["comments"]["7"]["commentText"] == text


def test_form_content_type_above_django_upload_limit_is_accepted(
    seeded: Any, post_json: Any, settings: Any
) -> None:
    # A form media type must not send the body through Django's POST parsing and its limit.
    text = "w" * (3 * 1024 * 1024)
    body = comment_save(comment_payload("ann-big-form", text=text), "ann-big-form")
    response = post_json(
        "comments/save", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200, response.content[:500]
    stored = stored_documents("velt_comment_annotations", annotationId="ann-big-form")
    assert len(stored) == 1


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30])
def test_integer_outside_int64_is_rejected(
    seeded: Any, post_json: Any, value: int
) -> None:
    payload = comment_payload("ann-seed")
    payload["comments"]["7"]["counter"] = value
    body = comment_save(payload, "ann-seed")
    assert_refused(post_json, "comments/save", body)


def test_integer_at_int64_bounds_is_accepted(seeded: Any, post_json: Any) -> None:
    payload = comment_payload("ann-bounds")
    payload["comments"]["7"]["max"] = 2**63 - 1
    payload["comments"]["7"]["min"] = -(2**63)
    response = post_json("comments/save", comment_save(payload, "ann-bounds"))
    assert response.status_code == 200, response.content
    got = post_json(
        "comments/get",
        {"organizationId": "acme-corp", "commentAnnotationIds": ["ann-bounds"]},
    )
    entry = got.json()["data"]["ann-bounds"]["comments"]["7"]
    assert (entry["max"], entry["min"]) == (2**63 - 1, -(2**63))


def _nested(depth: int) -> Any:
    value: Any = CANARY
    for _ in range(depth):
        value = {"n": value}
    return value


def test_payload_deeper_than_limit_is_rejected(
    seeded: Any, post_json: Any, settings: Any
) -> None:
    depth = settings.VELT.get("MAX_PAYLOAD_DEPTH", 64)
    payload = comment_payload("ann-seed")
    payload["deep"] = _nested(depth + 5)
    body = comment_save(payload, "ann-seed")
    assert_refused(post_json, "comments/save", body)


def test_payload_deeper_than_configured_limit_is_rejected(
    seeded: Any, post_json: Any, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "MAX_PAYLOAD_DEPTH": 8}
    shallow = comment_payload("ann-shallow")
    shallow["deep"] = _nested(3)
    assert (
        post_json("comments/save", comment_save(shallow, "ann-shallow")).status_code
        == 200
    )
    payload = comment_payload("ann-seed")
    payload["deep"] = [[[[[[[[[[CANARY]]]]]]]]]]
    body = comment_save(payload, "ann-seed")
    assert_refused(post_json, "comments/save", body)


def _raw_nested(depth: int) -> bytes:
    """``depth`` times an object holding an array (``2 * depth`` levels) as JSON text
    (``json.dumps`` of such a value would overflow this process's stack)."""
    return b'{"n": [' * depth + b'"' + CANARY.encode() + b'"' + b"]}" * depth


COMMENTS_SAVE_AROUND = (
    b'{"commentAnnotation": {"ann-seed": {"annotationId": "ann-seed", "metadata":'
    b' {"apiKey": "pk_test", "documentId": "doc-1", "organizationId": "acme-corp"},'
    b' "comments": {"7": {"commentId": 7, "commentText": "x"}}, "deep": %s}},'
    b' "event": "comment.add"}'
)


@pytest.mark.parametrize("depth", [250, 500, 1000])
@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("comments/save", COMMENTS_SAVE_AROUND),
        ("comments/get", b'{"organizationId": %s}'),
        ("comments/get", b'{"organizationId": "acme-corp", "documentIds": [%s]}'),
        ("comments/delete", b'{"commentAnnotationId": %s}'),
        ("reactions/save", b'{"reactionAnnotation": {"rx-seed": %s}}'),
    ],
    ids=["save-payload", "get-org", "get-documents", "delete-id", "reaction-save"],
)
def test_bodies_nested_past_the_record_depth_are_refused(
    seeded: Any, post_json: Any, path: str, template: bytes, depth: int
) -> None:
    """Nested 500 to 2,000 levels: up to 1,024 the body is parsed (orjson; ``json``
    alone would give up earlier on a deep stack) and refused by validation, beyond it
    refused as unparsable; 400 either way, never a recursion error in the code that
    walks it."""
    assert_refused(post_json, path, template % _raw_nested(depth))


SURROGATE_CASES: list[tuple[str, str, bytes]] = [
    (
        "save-text",
        "comments/save",
        b'{"commentAnnotation": {"ann-seed": {"comments": {"7": {"commentText": "pii-canary-Zq81xv \\ud800"}}}},'
        b' "metadata": {"organizationId": "acme-corp"}}',
    ),
    (
        "save-key",
        "comments/save",
        b'{"commentAnnotation": {"ann-seed": {"custom": {"\\udfff pii-canary-Zq81xv": 1}}},'
        b' "metadata": {"organizationId": "acme-corp"}}',
    ),
    (
        "save-unsafe-key",
        "comments/save",
        b'{"commentAnnotation": {"ann-seed": {"custom": {"$\\ud800": "pii-canary-Zq81xv"}}},'
        b' "metadata": {"organizationId": "acme-corp"}}',
    ),
    (
        "save-record-id",
        "comments/save",
        b'{"commentAnnotation": {"ann-\\ud800": {"comments": {}}}, "metadata": {"organizationId": "acme-corp"}}',
    ),
    (
        "save-org",
        "comments/save",
        b'{"commentAnnotation": {"ann-seed": {"comments": {}}}, "metadata": {"organizationId": "acme-corp\\ud800"}}',
    ),
    (
        "reaction-icon",
        "reactions/save",
        b'{"reactionAnnotation": {"rx-seed": {"icon": "\\ud83d pii-canary-Zq81xv"}}, "metadata": {"organizationId": "acme-corp"}}',
    ),
    (
        "get-id",
        "comments/get",
        b'{"organizationId": "acme-corp", "commentAnnotationIds": ["\\ud800"]}',
    ),
    ("get-org", "comments/get", b'{"organizationId": "\\udc00"}'),
    (
        "delete-id",
        "comments/delete",
        b'{"commentAnnotationId": "\\ud800", "metadata": {"organizationId": "acme-corp"}}',
    ),
]


@pytest.mark.parametrize(
    ("path", "raw"),
    [c[1:] for c in SURROGATE_CASES],
    ids=[c[0] for c in SURROGATE_CASES],
)
def test_lone_surrogate_is_rejected(
    seeded: Any, post_json: Any, path: str, raw: bytes
) -> None:
    assert_refused(
        post_json, path, raw, as_=("u_test", "acme-corp", "acme-corp\ud800", "\udc00")
    )


def test_more_records_than_limit_is_rejected(
    seeded: Any, post_json: Any, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "MAX_RECORDS_PER_SAVE": 5}
    records = {f"ann-{i}": comment_payload(f"ann-{i}") for i in range(6)}
    body = {"commentAnnotation": records, "event": "comment.add"}
    assert_refused(post_json, "comments/save", body, status=(400, 413))


def test_more_records_than_default_limit_is_rejected(
    seeded: Any, post_json: Any
) -> None:
    records = {
        f"rx-{i}": {"icon": CANARY, "metadata": {"organizationId": "acme-corp"}}
        for i in range(501)
    }
    body = {"reactionAnnotation": records}
    assert_refused(post_json, "reactions/save", body, status=(400, 413))


def test_records_at_the_limit_are_accepted(
    seeded: Any, post_json: Any, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "MAX_RECORDS_PER_SAVE": 5}
    records = {f"ann-{i}": comment_payload(f"ann-{i}") for i in range(5)}
    response = post_json("comments/save", {"commentAnnotation": records})
    assert response.status_code == 200, response.content
    assert len(stored_documents("velt_comment_annotations")) == 6


def test_invalid_record_after_valid_ones_writes_nothing(
    seeded: Any, post_json: Any
) -> None:
    # Validation of every record happens before the first write.
    bad = comment_payload("ann-z")
    bad["comments"]["7"]["counter"] = 2**64
    body = {"commentAnnotation": {"ann-a": comment_payload("ann-a"), "ann-z": bad}}
    assert_refused(post_json, "comments/save", body)
