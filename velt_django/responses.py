"""Builds the ResolverResponse envelope (docs/wire-protocol.md, "The envelope") in one
place."""

from __future__ import annotations

import datetime
import time
from typing import Any

import orjson
from django.http import HttpResponse

# Envelopes are encoded with orjson: a ~250 KB answer of 100 threads costs well under a
# tenth of a millisecond instead of about a millisecond with ``json.dumps``. The output
# means exactly what ``json.dumps(body, ensure_ascii=False, separators=(",", ":"),
# default=_json_default)`` meant for every value JSON can represent:
#
# - compact separators, insertion key order, UTF-8 text written as is (only ``"``, ``\``
#   and control characters are escaped, the same way);
# - ints stay ints (``bool`` stays ``true``/``false``); floats are written in their
#   shortest round-tripping form (``1e-7`` where ``json.dumps`` wrote ``1e-07``: the same
#   number);
# - datetimes, dates and times are passed to ``_json_default`` and written with
#   ``isoformat()``. orjson's native formatter would agree for UTC and whole-minute
#   offsets but drops the seconds of an offset such as ``+05:00:07``, so it is not used;
# - anything else that is not JSON (ObjectId, Decimal128, bytes, ...) becomes ``str()``.
#
# Non-finite floats (NaN, ±Infinity) cannot appear in JSON. ``json.dumps`` wrote them as
# the bare tokens ``NaN``/``Infinity``, which strict parsers (browsers' ``JSON.parse``)
# reject, so one legacy record written by another tool broke the whole answer. They are
# now written as ``null``, which is what the SDK's own ``JSON.stringify`` does with them,
# so a get stays readable and the answer is always strict JSON. Refusing instead (a 500)
# would need a Python walk over every answer before encoding, because orjson reports
# nothing when it writes ``null``: that walk costs more than the encoding it guards (see
# benchmarks/README.md), and it would make one bad number hide every other record.
#
# Values JSON can represent but orjson refuses raise ``ResponseEncodingError`` (a
# ``TypeError``): integers outside the 64-bit range, non-``str`` keys, text with lone
# surrogates (not UTF-8), and nesting deeper than 254 levels. Stored data cannot hold the
# first three, and MongoDB stores at most 100 levels. The views' exception handler turns
# the exception into the 500 ``INTERNAL_ERROR`` envelope; it never reaches the client.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME


class ResponseEncodingError(TypeError):
    """An envelope held a value that cannot be written as JSON."""


def _now_ms() -> int:
    return int(time.time() * 1000)


def _json_default(value: Any) -> Any:
    # Stored payloads come from JSON, but records written by other tools (imports,
    # the server-side API) may hold BSON-only types; render them as strings.
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def encode(body: Any) -> bytes:
    """The UTF-8 JSON text of ``body`` (see the module comment for the exact rules)."""
    try:
        return orjson.dumps(body, default=_json_default, option=_OPTIONS)
    except orjson.JSONEncodeError as err:
        # orjson's message names the kind of problem, never the value.
        raise ResponseEncodingError(str(err)) from err


def _response(body: dict[str, Any], status: int) -> HttpResponse:
    response = HttpResponse(
        encode(body), status=status, content_type="application/json"
    )
    response["Cache-Control"] = "no-store"
    return response


def success(data: dict[str, Any] | list[Any] | None = None) -> HttpResponse:
    """A 200 success envelope; ``data`` is included only when given (reads, uploads,
    and the permission provider's list of results)."""
    body: dict[str, Any] = {}
    if data is not None:
        body["data"] = data
    body.update(success=True, statusCode=200, timestamp=_now_ms())
    return _response(body, 200)


def failure(
    status: int, error_code: str, message: str, extra: dict[str, Any] | None = None
) -> HttpResponse:
    """A failure envelope whose HTTP status equals ``statusCode``; ``message`` holds no PII."""
    body: dict[str, Any] = {
        "success": False,
        "statusCode": status,
        "errorCode": error_code,
        "message": message,
    }
    if extra:
        body.update(extra)
    body["timestamp"] = _now_ms()
    return _response(body, status)
