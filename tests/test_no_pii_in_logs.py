"""No PII in logs (CONTRACT §16.7): every log record emitted during a full
save/get/delete cycle of every family, including bad input and database errors, is
captured at DEBUG and searched for the payload's text, e-mails and names."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import mongomock.collection
import pytest
from pymongo.errors import DuplicateKeyError, OperationFailure

from velt_django import notifications, users

from .families import FAMILIES, ORG

TEXT = "pii-marker-comment-text-Zq81"
EMAIL = "pii.marker.Zq81@mail.example"
NAME = "Piimarker Zq81name"
FIELD = "pii-marker-custom-field-Zq81"
MARKERS = (TEXT, EMAIL, NAME, FIELD, "Zq81")
AS = {"HTTP_AUTHORIZATION": f"Test u_test:{ORG}"}


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # The formatted message, its arguments and any traceback text.
        text = logging.Formatter("%(name)s %(levelname)s %(message)s").format(record)
        self.lines.append(f"{text} {record.args!r} {record.exc_text or ''}")


@pytest.fixture
def logs(settings: Any) -> Iterator[_Capture]:
    """Everything logged by any logger, at DEBUG, while the test runs."""
    handler = _Capture()
    watched = [logging.getLogger(), logging.getLogger("django.request")]
    watched += [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)]
    saved = [(lg, lg.level, lg.disabled) for lg in watched]
    for lg in watched:
        lg.setLevel(logging.DEBUG)
        lg.disabled = False
    logging.getLogger().addHandler(handler)
    logging.getLogger("django.request").addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger("django.request").removeHandler(handler)
        for lg, level, disabled in saved:
            lg.setLevel(level)
            lg.disabled = disabled


@pytest.fixture
def db(mongo_db: Any, settings: Any) -> Any:
    settings.VELT = {
        **settings.VELT,
        "USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory",
    }
    return mongo_db


def post(client: Any, path: str, body: Any) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(f"/velt/{path}", data, content_type="application/json", **AS)


def pii_payload() -> dict[str, Any]:
    return {
        "comments": {
            "1": {
                "commentId": 1,
                "commentText": TEXT,
                "commentHtml": f"<p>{TEXT}</p>",
                "from": {"userId": "u_1", "name": NAME, "email": EMAIL},
            }
        },
        "from": {"userId": "u_1", "name": NAME, "email": EMAIL},
        "custom": FIELD,
    }


def full_cycle(client: Any) -> list[int]:
    """Save, get and delete every family with PII in every payload; returns statuses."""
    statuses = []
    meta = {"apiKey": "pk_test", "organizationId": ORG, "documentId": "doc-1"}
    for family in FAMILIES:
        record = family.record("r-1", **pii_payload())
        statuses.append(
            post(client, family.path("save"), family.save_body(record)).status_code
        )
        statuses.append(
            post(client, family.path("get"), family.get_body(ORG, ["r-1"])).status_code
        )
        statuses.append(
            post(client, family.path("delete"), family.delete_body("r-1")).status_code
        )
    activity = {
        "id": "a-1",
        "metadata": meta,
        "changes": {"commentText": {"to": TEXT}},
        **pii_payload(),
    }
    statuses.append(
        post(client, "activities/save", {"activity": {"a-1": activity}}).status_code
    )
    statuses.append(post(client, "activities/get", {"organizationId": ORG}).status_code)
    statuses.append(
        post(client, "activities/delete", {"activityId": "a-1"}).status_code
    )
    notifications.store(
        ORG,
        [
            {
                "notificationId": "n-1",
                "displayBodyMessage": TEXT,
                "from": {"name": NAME, "email": EMAIL},
            }
        ],
    )
    get = {"organizationId": ORG, "notificationIds": ["n-1"]}
    statuses.append(post(client, "notifications/get", get).status_code)
    statuses.append(
        post(
            client,
            "notifications/delete",
            {"organizationId": ORG, "notificationId": "n-1"},
        ).status_code
    )
    users.upsert(
        [{"userId": "u-pii", "name": NAME, "email": EMAIL}], organization_id=ORG
    )
    statuses.append(
        post(
            client, "users/get", {"organizationId": ORG, "userIds": ["u-pii"]}
        ).status_code
    )
    resolve = {"organizationId": ORG, "emails": [EMAIL, EMAIL.upper()]}
    statuses.append(post(client, "anonymous-users/resolve", resolve).status_code)
    return statuses


def assert_clean(logs: _Capture) -> None:
    for line in logs.lines:
        for marker in MARKERS:
            assert marker not in line, line


def test_logs_of_full_cycle_hold_no_pii(db: Any, client: Any, logs: _Capture) -> None:
    statuses = full_cycle(client)
    # Everything succeeded (activities/delete is 405 by design) and something was logged.
    assert statuses.count(200) == len(statuses) - 1 and 405 in statuses
    assert any("velt_django" in line for line in logs.lines)
    assert_clean(logs)


def test_logs_see_the_markers_when_they_are_logged(logs: _Capture) -> None:
    # The capture itself works: a marker that is logged is found.
    logging.getLogger("velt_django.views.base").debug("payload %s", TEXT)
    with pytest.raises(AssertionError):
        assert_clean(logs)


# Record and organization ids may be logged (CONTRACT §16.7); the markers sit in what
# may not: payload content, e-mails, names.
BAD_BODIES = [
    f'{{"commentAnnotation": {{"x": "{TEXT}"',
    json.dumps([TEXT, EMAIL]),
    json.dumps({"commentAnnotation": {"r-1": {"annotationId": "r-1", "t": TEXT}}}),
    json.dumps(
        {"commentAnnotation": {"r-1": {"annotationId": "r-2", "t": TEXT, "e": EMAIL}}}
    ),
    json.dumps(
        {"commentAnnotation": {"r-1": {"metadata": {"organizationId": "x"}, "n": NAME}}}
    ),
    json.dumps(
        {
            "commentAnnotation": {
                "r-1": {"metadata": {"organizationId": ORG}, "t": TEXT, "x": 1.5}
            }
        }
    ).replace("1.5", "1e999"),
    json.dumps(
        {
            "commentAnnotation": {
                "r-1": {
                    "metadata": {"organizationId": ORG},
                    "from": {"email": [EMAIL]},
                    "comments": TEXT,
                }
            }
        }
    ),
    json.dumps({"organizationId": ORG, "commentAnnotationIds": [{"t": TEXT}]}),
    json.dumps({"organizationId": {"e": EMAIL}}),
    json.dumps(
        {
            "commentAnnotationId": {"x": TEXT},
            "metadata": {"organizationId": ORG},
            "event": TEXT,
        }
    ),
]


@pytest.mark.parametrize("path", ["comments/save", "comments/get", "comments/delete"])
@pytest.mark.parametrize("body", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_logs_of_bad_input_hold_no_pii(
    db: Any, client: Any, logs: _Capture, path: str, body: str
) -> None:
    response = post(client, path, body)
    assert 400 <= response.status_code < 500 or response.status_code == 200
    assert_clean(logs)


@pytest.mark.parametrize(
    "path, body",
    [
        (
            "activities/save",
            {"activity": {"a": {"id": "a", "metadata": {}, "t": TEXT}}},
        ),
        (
            "notifications/get",
            {"organizationId": ORG, "notificationIds": [{"t": TEXT}]},
        ),
        (
            "notifications/delete",
            {"organizationId": ORG, "notificationId": {"t": EMAIL}},
        ),
        ("users/get", {"organizationId": ORG, "userIds": [{"e": EMAIL}]}),
        ("anonymous-users/resolve", {"organizationId": ORG, "emails": [{"e": EMAIL}]}),
        ("anonymous-users/resolve", {"organizationId": ORG, "emails": EMAIL}),
    ],
)
def test_logs_of_bad_input_of_other_families_hold_no_pii(
    db: Any, client: Any, logs: _Capture, path: str, body: Any
) -> None:
    response = post(client, path, body)
    assert response.status_code < 500
    assert_clean(logs)


@pytest.mark.parametrize(
    "error",
    [
        OperationFailure(f"failed on {TEXT} {EMAIL}", code=2, details={"errmsg": NAME}),
        DuplicateKeyError(f'E11000 dup key: {{ x: "{EMAIL}" }}', code=11000),
        RuntimeError(f"unexpected {TEXT} {NAME}"),
    ],
    ids=["operation-failure", "duplicate-key", "unexpected"],
)
def test_logs_of_database_errors_hold_no_pii(
    db: Any,
    client: Any,
    logs: _Capture,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
) -> None:
    full_cycle(client)  # seed, then break every collection method

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise error

    for method in (
        "find",
        "find_one",
        "bulk_write",
        "delete_one",
        "delete_many",
        "update_one",
        "update_many",
        "replace_one",
        "insert_one",
        "insert_many",
        "aggregate",
        "find_one_and_update",
        "count_documents",
    ):
        monkeypatch.setattr(mongomock.collection.Collection, method, broken)
    statuses = []
    for family in FAMILIES:
        record = family.record("r-2", **pii_payload())
        statuses.append(
            post(client, family.path("save"), family.save_body(record)).status_code
        )
        statuses.append(
            post(client, family.path("get"), family.get_body(ORG, ["r-1"])).status_code
        )
        statuses.append(
            post(client, family.path("delete"), family.delete_body("r-1")).status_code
        )
    meta = {"apiKey": "pk_test", "organizationId": ORG}
    activity = {"id": "a-2", "metadata": meta, **pii_payload()}
    statuses.append(
        post(client, "activities/save", {"activity": {"a-2": activity}}).status_code
    )
    statuses.append(post(client, "activities/get", {"organizationId": ORG}).status_code)
    statuses.append(
        post(
            client,
            "notifications/get",
            {"organizationId": ORG, "notificationIds": ["n-1"]},
        ).status_code
    )
    statuses.append(
        post(
            client,
            "notifications/delete",
            {"organizationId": ORG, "notificationId": "n-1"},
        ).status_code
    )
    statuses.append(
        post(
            client, "users/get", {"organizationId": ORG, "userIds": ["u-pii"]}
        ).status_code
    )
    statuses.append(
        post(
            client,
            "anonymous-users/resolve",
            {"organizationId": ORG, "emails": [EMAIL]},
        ).status_code
    )
    assert all(status >= 500 for status in statuses), statuses
    assert_clean(logs)
