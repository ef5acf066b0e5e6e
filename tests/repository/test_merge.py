"""The merge rule on its own (CONTRACT §5.3): whole-payload merge, its dotted-path form,
the comment message removal step, and JavaScript-style id strings."""

from __future__ import annotations

from typing import Any

import pytest

from velt_django.repository.comments import remove_map_entry
from velt_django.repository.keys import WRAPPED, escape_payload
from velt_django.repository.merge import js_string, merge_payload, merge_update


def test_merge_payload_keeps_absent_and_replaces_present() -> None:
    merged = merge_payload({"a": 1, "b": [1, 2]}, {"b": [3], "c": None}, ())
    assert merged == {"a": 1, "b": [3], "c": None}


def test_merge_payload_merges_listed_keys_entry_by_entry() -> None:
    merged = merge_payload(
        {"comments": {"1": {"t": "a", "h": "x"}, "2": {"t": "b"}}},
        {"comments": {"1": {"t": "c"}, "3": {"t": "d"}}},
        ("comments",),
    )
    assert merged == {"comments": {"1": {"t": "c"}, "2": {"t": "b"}, "3": {"t": "d"}}}


def test_merge_payload_replaces_unlisted_object_wholesale() -> None:
    merged = merge_payload({"comments": {"1": {}}}, {"comments": {"2": {}}}, ())
    assert merged == {"comments": {"2": {}}}


def test_merge_payload_replaces_stored_non_object_of_listed_key() -> None:
    merged = merge_payload({"comments": [1, 2]}, {"comments": {"1": {}}}, ("comments",))
    assert merged == {"comments": {"1": {}}}


def test_merge_payload_replaces_listed_key_with_non_object() -> None:
    merged = merge_payload({"metadata": {"a": 1}}, {"metadata": "flat"}, ("metadata",))
    assert merged == {"metadata": "flat"}


def test_merge_payload_does_not_mutate_inputs() -> None:
    stored_payload = {"metadata": {"a": 1}, "x": 1}
    incoming = {"metadata": {"b": 2}}
    merge_payload(stored_payload, incoming, ("metadata",))
    assert stored_payload == {"metadata": {"a": 1}, "x": 1}
    assert incoming == {"metadata": {"b": 2}}


def test_remove_map_entry_removes_by_key() -> None:
    payload: dict[str, Any] = {
        "comments": {"1": {"commentId": 1}, "2": {"commentId": 2}}
    }
    remove_map_entry(payload, "comments", "2", "commentId")
    assert payload == {"comments": {"1": {"commentId": 1}}}


def test_remove_map_entry_removes_by_numeric_id_value() -> None:
    payload: dict[str, Any] = {
        "comments": {"a": {"commentId": 517204}, "b": {"commentId": 9}}
    }
    remove_map_entry(payload, "comments", "517204", "commentId")
    assert payload == {"comments": {"b": {"commentId": 9}}}


def test_remove_map_entry_removes_by_integral_float_id_value() -> None:
    payload: dict[str, Any] = {"comments": {"a": {"commentId": 517204.0}}}
    remove_map_entry(payload, "comments", "517204", "commentId")
    assert payload == {"comments": {}}


def test_remove_map_entry_matches_unsafe_key_in_plain_payload() -> None:
    # The read-merge-write path merges unescaped payloads, so keys are compared as sent.
    payload: dict[str, Any] = {"comments": {"1.5": {}, "2": {}}}
    remove_map_entry(payload, "comments", "1.5", "commentId")
    assert payload == {"comments": {"2": {}}}


def test_remove_map_entry_ignores_missing_map() -> None:
    payload: dict[str, Any] = {"other": 1}
    remove_map_entry(payload, "comments", "1", "commentId")
    assert payload == {"other": 1}


def test_remove_map_entry_ignores_non_object_map() -> None:
    payload: dict[str, Any] = {"comments": ["1"]}
    remove_map_entry(payload, "comments", "1", "commentId")
    assert payload == {"comments": ["1"]}


def test_remove_map_entry_keeps_entries_without_matching_id() -> None:
    payload: dict[str, Any] = {"comments": {"x": {"text": "1"}, "y": "1"}}
    remove_map_entry(payload, "comments", "1", "commentId")
    assert payload == {"comments": {"x": {"text": "1"}, "y": "1"}}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "true"),
        (False, "false"),
        (517204, "517204"),
        (517204.0, "517204"),
        (1.5, "1.5"),
        ("abc", "abc"),
        (-3, "-3"),
    ],
)
def test_js_string_matches_javascript_string(value: Any, expected: str) -> None:
    assert js_string(value) == expected


def test_js_string_writes_null_like_javascript() -> None:
    assert js_string(None) == "null"


# ---- merge_update: the same rule as dotted paths ----------------------------------------


def _update(
    payload: dict[str, Any], merged: tuple[str, ...] = ("metadata", "comments")
) -> Any:
    return merge_update(escape_payload(payload, 64, merged).value, merged)


def test_merge_update_sets_plain_keys_whole() -> None:
    to_set, to_unset = _update({"icon": "1f680", "context": {"a": {"b": 1}}})
    assert to_set == {"payload.icon": "1f680", "payload.context": {"a": {"b": 1}}}
    assert to_unset == {}


def test_merge_update_sets_merged_keys_entry_by_entry_and_drops_wrapper() -> None:
    to_set, to_unset = _update({"comments": {"517204": {"commentText": "x"}}})
    assert to_set == {"payload.comments.517204": {"commentText": "x"}}
    assert to_unset == {f"payload.comments.{WRAPPED}": ""}


def test_merge_update_replaces_merged_key_holding_non_object_whole() -> None:
    to_set, to_unset = _update({"metadata": ["not", "an", "object"]})
    assert to_set == {"payload.metadata": {WRAPPED: ["not", "an", "object"]}}
    assert to_unset == {}


def test_merge_update_uses_escaped_entry_keys() -> None:
    to_set, _ = _update({"metadata": {"team.name": "a"}})
    (path,) = to_set
    assert path.startswith("payload.metadata.~") and "team.name" not in path


@pytest.mark.parametrize("key", ["metadata", "comments"])
def test_merge_update_empty_merged_object_needs_read_merge_write(key: str) -> None:
    assert _update({key: {}, "icon": "x"}) is None


def test_merge_update_key_of_other_family_is_not_merged() -> None:
    to_set, _ = _update({"comments": {"1": {}}}, merged=("metadata",))
    assert to_set == {"payload.comments": {"1": {}}}
