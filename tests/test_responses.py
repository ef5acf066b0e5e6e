"""The envelope encoder: orjson output against the ``json.dumps`` encoder it replaced."""

from __future__ import annotations

import datetime
import json
import math
import uuid
from decimal import Decimal
from typing import Any

import pytest
from bson import Decimal128, Int64, ObjectId
from bson.tz_util import FixedOffset, utc

from velt_django import responses
from velt_django.responses import ResponseEncodingError, encode

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def reference(value: Any) -> bytes:
    """The encoder before orjson, byte for byte."""
    return json.dumps(
        value,
        ensure_ascii=False,
        separators=(",", ":"),
        default=responses._json_default,
    ).encode("utf-8")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-JSON token {name}")


def strict_loads(content: bytes) -> Any:
    """Parse as a strict JSON parser (a browser's ``JSON.parse``) would."""
    return json.loads(content, parse_constant=_reject_constant)


def same_json(a: Any, b: Any) -> bool:
    """Equal values with equal JSON types (ints stay ints, -0.0 keeps its sign)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(
            same_json(x, y) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, float):
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return bool(a == b)


TEXTS = [
    "",
    "plain ascii",
    "Tomás Ørsted — naïve café",
    "中文 日本語 한국어 العربية עברית",
    "emoji 😀👍🏽👨‍👩‍👧 flags 🇩🇪",
    "".join(chr(c) for c in range(0x20)),  # every control character
    "\x7f DEL, \u0085 NEL, \u00a0 NBSP",
    "\u2028 line and \u2029 paragraph separators",
    'quotes " backslash \\ slash / tab\t newline\n',
    "\ufeff BOM \ufffd replacement \U0010ffff last code point",
    "<script>alert('x')</script> &amp;",
]

NUMBERS = [
    0,
    1,
    -1,
    INT64_MAX,
    INT64_MIN,
    INT64_MAX - 1,
    INT64_MIN + 1,
    2**53 + 1,
    Int64(42),
    Int64(INT64_MAX),
    True,
    False,
    0.0,
    -0.0,
    0.1,
    0.5,
    1.0,
    -1.5,
    1e-7,
    5e-324,
    1e16,
    1e21,
    1e300,
    -1e300,
    1.7976931348623157e308,
    2.2250738585072014e-308,
    123456789.123456789,
    1 / 3,
]

SCALARS: list[Any] = [None, *TEXTS, *NUMBERS]


@pytest.mark.parametrize("value", SCALARS, ids=repr)
def test_scalars_mean_what_json_dumps_meant(value: Any) -> None:
    ours = encode(value)
    assert same_json(strict_loads(ours), json.loads(reference(value)))


@pytest.mark.parametrize(
    "value", [*TEXTS, *[n for n in NUMBERS if not isinstance(n, float)], None]
)
def test_text_and_integers_are_byte_identical(value: Any) -> None:
    # Strings (UTF-8 unescaped, the same escapes) and integers are written exactly as before;
    # only float spelling may differ (1e-7 vs 1e-07), never the number.
    assert encode(value) == reference(value)


def test_utf8_is_not_escaped() -> None:
    assert encode({"t": "é😀中"}) == '{"t":"é😀中"}'.encode()
    assert b"\\u" not in encode("é😀中")


def test_floats_round_trip() -> None:
    for value in [n for n in NUMBERS if isinstance(n, float)]:
        parsed = strict_loads(encode(value))
        assert isinstance(parsed, float)
        assert parsed == value and math.copysign(1, parsed) == math.copysign(1, value)


def test_nested_structure_keeps_key_order_and_types() -> None:
    thread = {
        "zeta": 1,
        "alpha": {"b": [1, 2.5, "x", None, True, {"deep": [[[]]], "": {}}], "a": {}},
        "comments": {
            str(100000 + i): {
                "commentId": 100000 + i,
                "commentText": TEXTS[i % len(TEXTS)],
                "to": [{"userId": f"u_{i}", "score": i / 7}],
            }
            for i in range(30)
        },
        "emptyList": [],
        "mixed": [INT64_MIN, INT64_MAX, -0.0, 1e-7, "😀"],
    }
    body = {
        "data": {"ann-1": thread},
        "success": True,
        "statusCode": 200,
        "timestamp": 1,
    }
    ours = encode(body)
    assert same_json(strict_loads(ours), json.loads(reference(body)))
    assert list(strict_loads(ours)["data"]["ann-1"]) == list(thread)


def test_deep_nesting_within_mongodb_limits() -> None:
    value: Any = "leaf"
    for _ in range(110):  # MongoDB stores at most 100 levels
        value = {"k": [value]}
    assert same_json(strict_loads(encode(value)), json.loads(reference(value)))


DATETIMES = [
    datetime.datetime(2026, 11, 25, 9, 30),
    datetime.datetime(2026, 11, 25, 9, 30, 15, 7),
    datetime.datetime(2026, 11, 25, 9, 30, 15, 123456),
    datetime.datetime(
        2026, 11, 25, 9, 30, 15, 123000, tzinfo=utc
    ),  # as pymongo decodes
    datetime.datetime(2026, 11, 25, 9, 30, 15, tzinfo=datetime.timezone.utc),
    datetime.datetime(2026, 11, 25, 9, 30, tzinfo=FixedOffset(330, "IST")),
    datetime.datetime(2026, 11, 25, 9, 30, tzinfo=FixedOffset(-480, "PST")),
    datetime.datetime(
        1, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=5, seconds=7))
    ),
    datetime.datetime(9999, 12, 31, 23, 59, 59, 999999),
    datetime.date(2026, 11, 25),
    datetime.time(9, 30, 15, 250),
]


@pytest.mark.parametrize("value", DATETIMES, ids=repr)
def test_datetimes_are_isoformat_strings(value: Any) -> None:
    assert encode({"at": value}) == reference({"at": value})
    assert strict_loads(encode(value)) == value.isoformat()


@pytest.mark.parametrize(
    "value",
    [
        ObjectId("65a1b2c3d4e5f60718293a4b"),
        Decimal128("1234.5678"),
        Decimal128("NaN"),
        Decimal("0.1"),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        b"\x00bytes",
    ],
    ids=repr,
)
def test_bson_types_are_strings(value: Any) -> None:
    assert encode({"v": value}) == reference({"v": value})
    assert strict_loads(encode(value)) == str(value)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_non_finite_floats_become_null(value: float) -> None:
    # json.dumps wrote bare NaN/Infinity tokens, which strict parsers reject.
    assert b"NaN" in reference([value]) or b"Infinity" in reference([value])
    body = {"data": {"a": {"score": value, "ok": 1}, "b": {"list": [1.5, value]}}}
    content = encode(body)
    assert strict_loads(content) == {
        "data": {"a": {"score": None, "ok": 1}, "b": {"list": [1.5, None]}}
    }
    assert b"NaN" not in content and b"Infinity" not in content


@pytest.mark.parametrize(
    "value",
    [
        {"big": INT64_MAX * 4},
        {"small": INT64_MIN - 1},
        {"deep": [2**100]},
        {1: "non-str key"},
        {"nested": {("a", "b"): 1}},
        {"lone surrogate": "\ud800"},
    ],
    ids=repr,
)
def test_unencodable_values_raise_a_clean_exception(value: Any) -> None:
    with pytest.raises(ResponseEncodingError):
        encode(value)
    with pytest.raises(TypeError):  # caught by the views' handler like any other error
        responses.success(value)


def test_unencodable_answer_is_the_500_envelope(mongo_db: Any, post_json: Any) -> None:
    # BSON cannot hold an integer beyond 64 bits, so mongomock refuses to store one; the
    # stored document is changed in place (mongomock's store) to stand in for any value
    # orjson refuses.
    collection = mongo_db["velt_comment_annotations"]
    collection.insert_one(
        {
            "organizationId": "acme-corp",
            "annotationId": "huge-1",
            "documentId": "doc-1",
            "payload": {"annotationId": "huge-1", "n": 0},
            "rev": 1,
        }
    )
    for stored in collection._store.documents:
        stored["payload"]["n"] = 2**80
    response = post_json(
        "comments/get", {"organizationId": "acme-corp", "documentIds": ["doc-1"]}
    )
    assert response.status_code == 500
    body = strict_loads(response.content)
    assert body["errorCode"] == "INTERNAL_ERROR" and body["success"] is False
    assert "Traceback" not in response.content.decode()


def test_envelope_shape_and_headers() -> None:
    response = responses.success({"x": {"y": 1}})
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = strict_loads(response.content)
    assert list(body) == ["data", "success", "statusCode", "timestamp"]
    assert isinstance(body["timestamp"], int)
    failed = responses.failure(403, "FORBIDDEN", "Permission denied.", {"hint": "é"})
    assert failed.status_code == 403
    assert list(strict_loads(failed.content)) == [
        "success",
        "statusCode",
        "errorCode",
        "message",
        "hint",
        "timestamp",
    ]


def test_get_of_a_legacy_infinity_record_is_strict_json(
    mongo_db: Any, post_json: Any
) -> None:
    collection = mongo_db["velt_comment_annotations"]
    collection.insert_one(
        {
            "organizationId": "acme-corp",
            "annotationId": "legacy-1",
            "documentId": "doc-1",
            "payload": {
                "annotationId": "legacy-1",
                "score": float("inf"),
                "ratios": [float("-inf"), 0.25, float("nan")],
                "comments": {"1": {"commentId": 1, "commentText": "Grüße 😀"}},
            },
            "rev": 1,
        }
    )
    collection.insert_one(
        {
            "organizationId": "acme-corp",
            "annotationId": "fine-1",
            "documentId": "doc-1",
            "payload": {"annotationId": "fine-1", "score": 1e-7},
            "rev": 1,
        }
    )
    response = post_json(
        "comments/get", {"organizationId": "acme-corp", "documentIds": ["doc-1"]}
    )
    assert response.status_code == 200
    body = strict_loads(response.content)
    assert body["success"] is True
    legacy = body["data"]["legacy-1"]
    assert legacy["score"] is None
    assert legacy["ratios"] == [None, 0.25, None]
    assert legacy["comments"]["1"]["commentText"] == "Grüße 😀"
    assert body["data"]["fine-1"] == {"annotationId": "fine-1", "score": 1e-7}
