"""The server-side write path for notification PII (CONTRACT §13.5, A-20) on both tiers:
the Python API ``velt_django.notifications`` and ``manage.py velt_load_notifications``."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from velt_django import notifications
from velt_django.exceptions import InvalidRecordError, VeltError
from velt_django.repository import connection

from .contracts import assert_json_equal, assert_success
from .families import BOTH, ORG, OTHER

COLLECTION = "velt_notifications"
CANARY = "pii-canary-L0ad"


@pytest.fixture(params=["mongo_db", pytest.param("wire_db", marks=pytest.mark.mongo)])
def tier(request: pytest.FixtureRequest) -> None:
    """Run the test on mongomock (unit tier) and on a real server (wire tier)."""
    request.getfixturevalue(request.param)


def stored() -> list[tuple[str, str, Any]]:
    docs = connection.get_database()[COLLECTION].find({})
    return sorted(
        ((d["organizationId"], d["notificationId"], d["payload"]) for d in docs),
        key=lambda row: (row[0], row[1]),
    )


def headline(notification_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "notificationId": notification_id,
        "displayHeadlineMessageTemplate": "{actionUser} needs your review",
        "displayHeadlineMessageTemplateData": {
            "actionUser": {"userId": "u_8841", "name": "Sam Reyes"}
        },
        "displayBodyMessage": "Please look at section 3.",
        **fields,
    }


# ---- Python API ------------------------------------------------------------------------


def test_store_then_get_round_trips(tier: None) -> None:
    items = [headline("n-1", zero=0, no=False, none=None), headline("n-2")]
    assert notifications.store(ORG, items) == 2
    assert_json_equal(
        notifications.get(ORG, ["n-1", "n-2", "n-x"]),
        {"n-1": items[0], "n-2": items[1]},
    )


def test_stored_notifications_are_served_by_the_get_endpoint(
    tier: None, post_json: Any
) -> None:
    notifications.store_one(ORG, headline("n-1"))
    body = {"organizationId": ORG, "notificationIds": ["n-1"]}
    data = assert_success(post_json("notifications/get", body, as_=BOTH), read=True)
    assert_json_equal(data["data"], {"n-1": headline("n-1")})


def test_store_one_returns_the_id_as_a_string(tier: None) -> None:
    assert notifications.store_one(ORG, {"notificationId": 4471, "a": 1}) == "4471"
    assert notifications.get(ORG, "4471") == {
        "4471": {"notificationId": "4471", "a": 1}
    }


def test_store_applies_the_merge_rule(tier: None) -> None:
    notifications.store_one(ORG, headline("n-1", internalRef="T-1"))
    notifications.store_one(ORG, {"notificationId": "n-1", "displayBodyMessage": "v2"})
    payload = notifications.get(ORG, ["n-1"])["n-1"]
    assert payload["displayBodyMessage"] == "v2"
    assert payload["internalRef"] == "T-1"
    notifications.store_one(ORG, {"notificationId": "n-1", "internalRef": None})
    assert notifications.get(ORG, ["n-1"])["n-1"]["internalRef"] is None


def test_store_is_idempotent(tier: None) -> None:
    notifications.store(ORG, [headline("n-1"), headline("n-2")])
    first = stored()
    notifications.store(ORG, [headline("n-1"), headline("n-2")])
    assert stored() == first


def test_store_keeps_organizations_apart(tier: None) -> None:
    notifications.store_one(ORG, headline("n-1", secret="a"))
    notifications.store_one(OTHER, headline("n-1", secret="b"))
    assert notifications.get(ORG, ["n-1"])["n-1"]["secret"] == "a"
    assert notifications.get(OTHER, ["n-1"])["n-1"]["secret"] == "b"


def test_store_accepts_a_generator_and_payload_organization_of_its_own(
    tier: None,
) -> None:
    items = (headline(f"n-{i}", organizationId=ORG) for i in range(3))
    assert notifications.store(ORG, items) == 3
    assert len(notifications.get(ORG, ["n-0", "n-1", "n-2"])) == 3


def test_store_does_not_change_the_callers_objects(tier: None) -> None:
    item: dict[str, Any] = {"notificationId": 7}
    notifications.store_one(ORG, item)
    assert item == {"notificationId": 7}


@pytest.mark.parametrize(
    "organization_id",
    [{"$ne": None}, "", None, True, ["acme"], 1.5, "o" * 600],
    ids=["operator", "empty", "none", "bool", "list", "float", "too-long"],
)
def test_invalid_organization_is_refused(tier: None, organization_id: Any) -> None:
    with pytest.raises(InvalidRecordError):
        notifications.store(organization_id, [headline("n-1")])
    with pytest.raises(InvalidRecordError):
        notifications.get(organization_id, ["n-1"])
    with pytest.raises(InvalidRecordError):
        notifications.delete(organization_id, ["n-1"])
    assert stored() == []


@pytest.mark.parametrize(
    "bad",
    [
        {"displayBodyMessage": CANARY},
        {"notificationId": {"$ne": None}, "displayBodyMessage": CANARY},
        {"notificationId": "", "displayBodyMessage": CANARY},
        {"notificationId": True, "displayBodyMessage": CANARY},
        {"notificationId": ["n"], "displayBodyMessage": CANARY},
        {"notificationId": "n-9", "organizationId": OTHER, "x": CANARY},
        {"notificationId": "n-9", "organizationId": {"$ne": None}},
        {"notificationId": "n-9", "big": 2**63},
        {"notificationId": "n-9", "text": "\ud800"},
        [CANARY],
        CANARY,
    ],
    ids=[
        "no-id",
        "id-operator",
        "id-empty",
        "id-bool",
        "id-list",
        "foreign-organization",
        "organization-operator",
        "int-over-64-bits",
        "lone-surrogate",
        "list",
        "string",
    ],
)
def test_invalid_notification_refuses_the_whole_call(tier: None, bad: Any) -> None:
    with pytest.raises(InvalidRecordError) as info:
        notifications.store(ORG, [headline("n-1"), bad])
    assert CANARY not in str(info.value)
    assert "notifications[1]" in str(info.value)
    assert stored() == []


def test_store_refuses_record_over_size_limit(tier: None, settings: Any) -> None:
    settings.VELT = {**settings.VELT, "MAX_RECORD_SIZE": 1024}
    with pytest.raises(VeltError):
        notifications.store_one(ORG, headline("n-1", text="x" * 4096))
    assert stored() == []


def test_get_without_ids_returns_nothing(tier: None) -> None:
    notifications.store(ORG, [headline("n-1")])
    assert notifications.get(ORG, []) == {}


@pytest.mark.parametrize("ids", [[{"$ne": None}], [True], [["n-1"]]])
def test_get_refuses_operator_and_wrong_type_ids(tier: None, ids: Any) -> None:
    with pytest.raises(InvalidRecordError):
        notifications.get(ORG, ids)


def test_get_refuses_more_ids_than_limit(tier: None, settings: Any) -> None:
    settings.VELT = {**settings.VELT, "MAX_ID_LIST_LENGTH": 3}
    with pytest.raises(InvalidRecordError):
        notifications.get(ORG, ["a", "b", "c", "d"])


def test_delete_is_idempotent_and_confined_to_the_organization(tier: None) -> None:
    notifications.store_one(ORG, headline("n-1"))
    notifications.store_one(OTHER, headline("n-1"))
    assert notifications.delete(ORG, "n-1") == 1
    assert notifications.delete(ORG, ["n-1", "never"]) == 0
    assert [(o, n) for o, n, _ in stored()] == [(OTHER, "n-1")]


def test_delete_refuses_operator_ids(tier: None) -> None:
    notifications.store_one(ORG, headline("n-1"))
    with pytest.raises(InvalidRecordError):
        notifications.delete(ORG, [{"$ne": None}])
    assert len(stored()) == 1


# ---- manage.py velt_load_notifications --------------------------------------------------


def load(*args: str, stdin: Any = None) -> str:
    out = io.StringIO()
    options: dict[str, Any] = {"stdout": out}
    if stdin is not None:
        options["stdin"] = stdin
    call_command("velt_load_notifications", *args, **options)
    return out.getvalue()


ITEMS = [
    headline("n-1", n=1),
    headline("n-2", ratio=1.5),
    headline("n-3", line="a\u2028b"),
]


def json_lines(items: list[Any]) -> str:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)


def expected(org: str = ORG) -> list[tuple[str, str, Any]]:
    return [(org, item["notificationId"], item) for item in ITEMS]


def test_load_json_array_file(tier: None, tmp_path: Path) -> None:
    path = tmp_path / "n.json"
    path.write_text(json.dumps(ITEMS, indent=2), encoding="utf-8")
    output = load(str(path), "--organization", ORG)
    assert "Stored 3 notification(s)" in output
    assert_json_equal(stored(), expected())


def test_load_json_lines_file_with_blank_lines(tier: None, tmp_path: Path) -> None:
    path = tmp_path / "n.jsonl"
    path.write_text("\n" + json_lines(ITEMS).replace("\n", "\r\n\n"), encoding="utf-8")
    load(str(path), "--organization", ORG)
    assert_json_equal(stored(), expected())


def test_load_from_standard_input_text(tier: None) -> None:
    load("-", "--organization", OTHER, stdin=io.StringIO(json_lines(ITEMS)))
    assert_json_equal(stored(), expected(OTHER))


def test_load_from_standard_input_bytes(
    tier: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = io.BytesIO(json.dumps(ITEMS, ensure_ascii=False).encode("utf-8"))
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(raw, encoding="latin-1"))
    load("-", "--organization", ORG)
    assert_json_equal(stored(), expected())  # read as UTF-8 bytes, not as latin-1


def test_load_twice_leaves_the_same_data(tier: None, tmp_path: Path) -> None:
    path = tmp_path / "n.jsonl"
    path.write_text(json_lines(ITEMS), encoding="utf-8")
    load(str(path), "--organization", ORG)
    first = stored()
    load(str(path), "--organization", ORG)
    assert stored() == first


def test_load_merges_into_stored_records(tier: None) -> None:
    notifications.store_one(ORG, headline("n-1", internalRef="T-1"))
    line = json.dumps({"notificationId": "n-1", "displayBodyMessage": "v2"})
    load("-", "--organization", ORG, stdin=io.StringIO(line))
    payload = notifications.get(ORG, ["n-1"])["n-1"]
    assert (payload["displayBodyMessage"], payload["internalRef"]) == ("v2", "T-1")


def test_load_empty_input_stores_nothing(tier: None) -> None:
    assert "Stored 0" in load("-", "--organization", ORG, stdin=io.StringIO("\n \n"))
    assert stored() == []


BAD_LINES = [
    ("not-json", '{"notificationId": "n-9", "x": "' + CANARY),
    ("not-object", json.dumps([CANARY])),
    ("no-id", json.dumps({"displayBodyMessage": CANARY})),
    ("id-operator", json.dumps({"notificationId": {"$ne": None}, "x": CANARY})),
    ("foreign-org", json.dumps({"notificationId": "n-9", "organizationId": OTHER})),
    ("two-values", json.dumps({"notificationId": "n-9"}) + ' {"x": 1}'),
    ("nan", '{"notificationId": "n-9", "x": NaN}'),
    ("overflow", '{"notificationId": "n-9", "x": 1e400}'),
    ("int-over-64-bits", '{"notificationId": "n-9", "x": 99999999999999999999}'),
]


@pytest.mark.parametrize(
    "line", [b for _, b in BAD_LINES], ids=[i for i, _ in BAD_LINES]
)
def test_load_bad_json_line_is_refused_naming_the_line(tier: None, line: str) -> None:
    text = json_lines(ITEMS[:2]) + "\n" + line + "\n" + json_lines(ITEMS[2:])
    with pytest.raises(CommandError) as info:
        load("-", "--organization", ORG, stdin=io.StringIO(text))
    message = str(info.value)
    assert "line 4" in message
    assert CANARY not in message
    assert stored() == []


@pytest.mark.parametrize(
    "element",
    [json.dumps(CANARY), json.dumps({"x": CANARY}), '{"notificationId": ' + CANARY],
    ids=["string", "no-id", "not-json"],
)
def test_load_bad_array_element_is_refused_naming_its_line(
    tier: None, tmp_path: Path, element: str
) -> None:
    good = ",\n".join(json.dumps(item) for item in ITEMS)
    path = tmp_path / "n.json"
    path.write_text(f"[\n{good},\n  {element}\n]\n", encoding="utf-8")
    with pytest.raises(CommandError) as info:
        load(str(path), "--organization", ORG)
    assert "line 5" in str(info.value)
    assert CANARY not in str(info.value)
    assert stored() == []


@pytest.mark.parametrize(
    "text", ["[1, 2", '[{"notificationId": "a"}] [', '[{"notificationId": "a"} {}]']
)
def test_load_malformed_array_is_refused(tier: None, text: str) -> None:
    with pytest.raises(CommandError, match="line 1"):
        load("-", "--organization", ORG, stdin=io.StringIO(text))
    assert stored() == []


def test_load_requires_organization(tier: None, tmp_path: Path) -> None:
    path = tmp_path / "n.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(CommandError, match="--organization"):
        load(str(path))


@pytest.mark.parametrize("org", ["", "o" * 600], ids=["empty", "too-long"])
def test_load_refuses_invalid_organization(tier: None, org: str) -> None:
    with pytest.raises(CommandError, match="organization_id"):
        load("-", "--organization", org, stdin=io.StringIO(json_lines(ITEMS)))
    assert stored() == []


def test_load_missing_file_is_a_command_error(tier: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        load(str(tmp_path / "absent.json"), "--organization", ORG)


def test_load_non_utf8_file_is_a_command_error(tier: None, tmp_path: Path) -> None:
    path = tmp_path / "n.json"
    path.write_bytes(b'[{"notificationId": "n-1", "x": "\xff"}]')
    with pytest.raises(CommandError, match="not UTF-8"):
        load(str(path), "--organization", ORG)
    assert stored() == []
