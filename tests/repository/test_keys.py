"""Reversible key escaping and the value checks done while escaping (CONTRACT §5.5)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from velt_django.exceptions import InvalidRecordError
from velt_django.repository.keys import (
    INT64_MAX,
    INT64_MIN,
    escape_key,
    escape_payload,
    escape_value,
    payload_size,
    unescape_key,
    unescape_value,
)

UNSAFE_KEYS = ["a.b", "$x", "~tilde", "", "~", "nul\x00key", "$", ".", "x.y.z", "~~"]
SAFE_KEYS = [
    "annotationId",
    "517204",
    "team name",
    "a$b",
    "a~b",
    "ключ",
    "🚀",
    "emoji🚀",
]


def _all_keys(value: Any) -> list[str]:
    """Every dict key at every depth, arrays included."""
    keys: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            keys.append(key)
            keys.extend(_all_keys(item))
    elif isinstance(value, list):
        for item in value:
            keys.extend(_all_keys(item))
    return keys


@pytest.mark.parametrize("key", UNSAFE_KEYS)
def test_escape_key_round_trips_unsafe_key(key: str) -> None:
    assert unescape_key(escape_key(key)) == key


@pytest.mark.parametrize("key", UNSAFE_KEYS)
def test_escape_key_rewrites_unsafe_key_to_tilde_form(key: str) -> None:
    escaped = escape_key(key)
    assert escaped != key
    assert escaped.startswith("~")
    assert "." not in escaped
    assert "\x00" not in escaped
    assert "=" not in escaped  # no base64 padding


@pytest.mark.parametrize("key", SAFE_KEYS)
def test_escape_key_leaves_ordinary_key_unchanged(key: str) -> None:
    assert escape_key(key) == key
    assert unescape_key(key) == key


@pytest.mark.parametrize("key", ["ключ.имя", "$emoji🚀", "~ü", "日本.語"])
def test_escape_key_round_trips_unsafe_unicode_key(key: str) -> None:
    escaped = escape_key(key)
    assert escaped.isascii()
    assert unescape_key(escaped) == key


def test_escape_key_uses_base64url_of_utf8() -> None:
    # "a.b" → base64url "YS5i"; "~" + that, no padding.
    assert escape_key("a.b") == "~YS5i"
    assert escape_key("") == "~"


def test_unescape_key_leaves_undecodable_tilde_key_alone() -> None:
    # "~!!" is not base64url; data not written by us is returned as it is.
    assert unescape_key("~!!") == "~!!"


def test_escape_value_round_trips_keys_at_every_depth() -> None:
    value = {
        "a.b": 1,
        "$x": {"~tilde": {"": [{"x.y": True, "ok": None}, {"$ref": [{"~": 2.5}]}]}},
        "plain": [[{"deep.er": "v"}]],
        "nul\x00": "z",
    }
    escaped, changed = escape_value(value)
    assert changed is True
    assert unescape_value(escaped) == value


def test_escape_value_leaves_no_dot_or_dollar_key_anywhere() -> None:
    value = {"a.b": {"$x": [{"c.d": {"$e": 1}}]}, "list": [{"": {"f.g": 0}}]}
    escaped, _ = escape_value(value)
    for key in _all_keys(escaped):
        assert "." not in key
        assert not key.startswith("$")
        assert key != ""


def test_escape_value_escapes_keys_inside_arrays_of_objects() -> None:
    escaped, changed = escape_value({"to": [{"user.id": "u1"}, {"userId": "u2"}]})
    assert changed is True
    assert escaped == {"to": [{escape_key("user.id"): "u1"}, {"userId": "u2"}]}


def test_escape_value_reports_unchanged_for_ordinary_keys() -> None:
    value = {
        "annotationId": "A1",
        "comments": {"517204": {"commentId": 517204}},
        "list": [{"k": 1}],
    }
    escaped, changed = escape_value(value)
    assert changed is False
    assert escaped == value


def test_escape_value_reports_changed_for_deep_unsafe_key() -> None:
    _, changed = escape_value({"a": {"b": [{"c": {"$d": 1}}]}})
    assert changed is True


def test_escape_value_does_not_mutate_input() -> None:
    value = {"a.b": {"$c": 1}}
    escape_value(value)
    assert value == {"a.b": {"$c": 1}}


@pytest.mark.parametrize("number", [INT64_MAX, INT64_MIN, 0, -1])
def test_escape_value_accepts_int64_bounds(number: int) -> None:
    escaped, _ = escape_value({"n": number})
    assert escaped["n"] == number


@pytest.mark.parametrize("number", [INT64_MAX + 1, INT64_MIN - 1, 10**30])
def test_escape_value_refuses_integer_outside_int64(number: int) -> None:
    with pytest.raises(InvalidRecordError):
        escape_value({"n": number})


def test_escape_value_refuses_integer_outside_int64_inside_array() -> None:
    with pytest.raises(InvalidRecordError):
        escape_value({"list": [1, {"n": 2**64}]})


def test_escape_value_refuses_lone_surrogate_in_value() -> None:
    with pytest.raises(InvalidRecordError):
        escape_value({"text": "bad \ud800 text"})


def test_escape_value_refuses_lone_surrogate_in_safe_key() -> None:
    with pytest.raises(InvalidRecordError):
        escape_value({"key\udfff": 1})


def test_escape_value_refuses_lone_surrogate_in_unsafe_key() -> None:
    with pytest.raises(InvalidRecordError):
        escape_value({"$key\ud800": 1})


def test_escape_value_accepts_nesting_at_depth_limit() -> None:
    value: Any = 1
    for _ in range(5):
        value = {"k": value}
    escaped, _ = escape_value(value, max_depth=5)
    assert escaped == value


def test_escape_value_refuses_nesting_beyond_depth_limit() -> None:
    value: Any = 1
    for _ in range(6):
        value = {"k": value}
    with pytest.raises(InvalidRecordError):
        escape_value(value, max_depth=5)


def test_escape_value_counts_arrays_toward_depth_limit() -> None:
    value: Any = 1
    for _ in range(6):
        value = [value]
    with pytest.raises(InvalidRecordError):
        escape_value(value, max_depth=5)


def test_escape_value_refuses_unsupported_type() -> None:
    with pytest.raises(InvalidRecordError):
        escape_value({"when": object()})


def test_escape_value_preserves_scalar_types() -> None:
    value = {
        "t": True,
        "f": False,
        "none": None,
        "float": 1.0,
        "int": 1,
        "zero": 0,
        "s": "1",
    }
    escaped, _ = escape_value(value)
    assert escaped == value
    for key in value:
        assert type(escaped[key]) is type(value[key])


def test_escape_value_preserves_array_order() -> None:
    escaped, _ = escape_value({"list": [3, "b", 1.5, None, True, {"a.b": 1}]})
    assert escaped["list"][:5] == [3, "b", 1.5, None, True]


def test_unescape_value_leaves_ordinary_keys_unchanged() -> None:
    value = {"a": [{"b": {"c": 1}}], "d": None}
    assert unescape_value(value) == value


def test_escape_payload_wraps_non_object_merged_keys_only() -> None:
    from velt_django.repository.keys import WRAPPED, escape_payload

    escaped = escape_payload(
        {"comments": [1], "metadata": None, "icon": "1f680", "from": {"userId": "u"}},
        64,
        ("metadata", "comments"),
    )
    assert escaped.value == {
        "comments": {WRAPPED: [1]},
        "metadata": {WRAPPED: None},
        "icon": "1f680",
        "from": {"userId": "u"},
    }
    assert escaped.changed is True
    assert unescape_value(escaped.value) == {
        "comments": [1],
        "metadata": None,
        "icon": "1f680",
        "from": {"userId": "u"},
    }


def test_escape_payload_reports_bson_size() -> None:
    import bson

    from velt_django.repository.keys import escape_payload

    escaped = escape_payload({"comments": {"1": {"commentText": "x" * 100}}}, 64, ())
    assert escaped.changed is False
    assert escaped.size == len(bson.encode({"v": escaped.value}))


def test_escaped_client_key_never_collides_with_wrapper() -> None:
    from velt_django.repository.keys import WRAPPED

    assert escape_key(WRAPPED) != WRAPPED
    assert unescape_value({"metadata": {escape_key(WRAPPED): 1}}) == {
        "metadata": {WRAPPED: 1}
    }


# ---- payload_size: the size PostgreSQL checks without building the escaped copy ----

_keys = st.one_of(st.sampled_from(UNSAFE_KEYS + SAFE_KEYS), st.text(max_size=6))
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**65), max_value=2**65),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(["\ud800", "ok"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=4)
    ),
    max_leaves=20,
)
_payloads = st.dictionaries(
    st.one_of(_keys, st.sampled_from(["comments", "metadata"])), _values, max_size=5
)


def _outcome(measure: Any) -> tuple[str, Any]:
    try:
        return ("size", measure())
    except InvalidRecordError as err:
        return ("error", str(err))


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    payload=_payloads,
    max_depth=st.integers(min_value=1, max_value=5),
    merged=st.sampled_from([(), ("comments",), ("comments", "metadata")]),
)
def test_payload_size_matches_escaped_size_and_errors(
    payload: dict[str, Any], max_depth: int, merged: tuple[str, ...]
) -> None:
    expected = _outcome(lambda: escape_payload(payload, max_depth, merged).size)
    assert _outcome(lambda: payload_size(payload, max_depth, merged)) == expected


@pytest.mark.parametrize(
    "payload",
    [
        {"plain": {"a": 1}},
        {"a.b": 1},
        {"deep": {"x": [{"$y": 2}]}},
        {"comments": [1, 2]},
        {"comments": {"1": {"commentText": "é" * 50}}},
    ],
)
def test_payload_size_examples(payload: dict[str, Any]) -> None:
    merged = ("comments",)
    assert payload_size(payload, 64, merged) == escape_payload(payload, 64, merged).size
