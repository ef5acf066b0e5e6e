"""``parse_json_object``: orjson where it parses as ``json`` does, ``json`` otherwise;
both paths give the same body, or the same refusal with the same message."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz.strategies import (
    NUMBERS,
    ODD_STRINGS,
    OPERATORS,
    RAW_VALUES,
    Raw,
    deep,
    encode,
    json_values,
)
from tests.test_responses import same_json
from velt_django import bodies
from velt_django.exceptions import InvalidInput


def outcome(raw: bytes) -> tuple[str, Any]:
    try:
        return "body", bodies.parse_json_object(raw)
    except InvalidInput as err:
        return "refused", str(err.detail)


def stdlib_outcome(raw: bytes) -> tuple[str, Any]:
    with mock.patch.object(bodies, "_fast_loads", lambda raw: None):
        return outcome(raw)


#: The fuzz tier's hostile values, nested at most 200 levels: deeper than the stack
#: the standard library parses with here, its answer depends on the caller's stack.
shallow_hostile_values = st.one_of(
    st.sampled_from(OPERATORS),
    st.sampled_from(ODD_STRINGS),
    st.sampled_from(NUMBERS),
    st.sampled_from(RAW_VALUES),
    st.builds(deep, st.sampled_from([40, 70, 200])),
    json_values,
)
bodies_of_values = st.dictionaries(
    st.text(max_size=6), shallow_hostile_values, max_size=4
)


@settings(max_examples=300)
@given(body=bodies_of_values)
def test_both_parsers_agree_on_hostile_bodies(body: dict[str, Any]) -> None:
    raw = encode(body)
    fast, slow = outcome(raw), stdlib_outcome(raw)
    assert fast[0] == slow[0] and same_json(fast[1], slow[1])


@pytest.mark.parametrize(
    "text",
    [
        '{"n": 9223372036854775807}',
        '{"n": 9223372036854775808}',
        '{"n": 18446744073709551616}',
        '{"n": -9223372036854775809}',
        '{"n": 123456789012345678901234567890}',
        '{"n": 1e400}',
        '{"n": -1e400}',
        '{"n": NaN}',
        '{"n": [Infinity]}',
        '{"s": "\\ud800"}',
        '{"s": "x\\udc00y"}',
        '{"dup": 1, "dup": 2}',
        '{"n": 1.5e-400, "z": -0.0, "i": -0, "f": 1.0}',
        "[1, 2]",
        '"text"',
        "null",
        "{} x",
        '\ufeff{"a": 1}',
        '{"k": ' + "[" * 1100 + "]" * 1100 + "}",
        '{"k": ' * 1030 + "1" + "}" * 1030,
        json.dumps(deep(300)),
    ],
)
def test_edge_cases_parse_as_the_standard_library_does(text: str) -> None:
    raw = text.encode("utf-8")
    fast, slow = outcome(raw), stdlib_outcome(raw)
    assert fast[0] == slow[0] and same_json(fast[1], slow[1])


def test_integers_beyond_64_bits_stay_integers() -> None:
    """orjson would read them as floats; the record checks must still see the integer
    (and refuse it) instead of storing a rounded float."""
    kind, body = outcome(b'{"n": 18446744073709551616, "m": 99999999999999999999}')
    assert kind == "body"
    assert body == {"n": 2**64, "m": 10**20 - 1}
    assert all(type(v) is int for v in body.values())


@pytest.mark.parametrize("text", ["\ud800", "a\x00b", *ODD_STRINGS[:12]])
def test_odd_strings_round_trip(text: str) -> None:
    raw = encode({"s": text, "raw": Raw('"\\u0000"')})
    fast, slow = outcome(raw), stdlib_outcome(raw)
    assert fast[0] == slow[0] == "body" and same_json(fast[1], slow[1])
