"""Reading request bodies within a size limit, before Django's own limits apply, and
parsing JSON ones."""

from __future__ import annotations

import json
from typing import Any

import orjson
from django.http import HttpRequest

from .exceptions import InvalidInput, PayloadTooLarge
from .jsonrecords import NonFiniteNumber, finite_float, reject_constant


def declared_length(request: HttpRequest) -> int:
    """The request's ``Content-Length`` (0 when absent); a malformed one is 400."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise InvalidInput("invalid Content-Length") from None


def read_limited(request: HttpRequest, limit: int, what: str = "request body") -> bytes:
    """The body bytes, at most ``limit`` of them (413 beyond: refused unread when the
    declared length says so), whatever the declared ``Content-Type``.

    Reads from the stream itself, so Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is never
    what refuses first: ``limit`` is (``MAX_BODY_SIZE`` for the resolver endpoints,
    docs/wire-protocol.md, "Transport"). The bytes are kept where ``HttpRequest.body``
    looks (CSRF checks read it).
    """
    if declared_length(request) > limit:
        raise PayloadTooLarge(f"{what} exceeds {limit} bytes")
    if hasattr(request, "_body"):
        raw: bytes = request._body
    else:
        raw = request.read(limit + 1)
        request._body = raw
    if len(raw) > limit:
        raise PayloadTooLarge(f"{what} exceeds {limit} bytes")
    return raw


#: Every ASCII digit to ``0``, every other byte to a space: nineteen ``0`` in a row in
#: the translated body are nineteen digits in a row in the body (faster than a regular
#: expression, which costs more than the parse on a body full of timestamps).
_DIGITS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_DIGITS = b"0" * 19


def _fast_loads(raw: bytes) -> Any:
    """orjson's parse of ``raw`` where it is certain to equal the standard library's
    (:func:`parse_json_object`), else ``None`` (``null`` is no object, so that answer
    goes on to the standard library as well).

    orjson turns an integer beyond 64 bits into a float where ``json`` keeps it (and
    the record checks refuse it), so a body holding 19 digits in a row, in a number or
    in a text, goes to ``json``. Everything else orjson refuses, ``json`` decides:
    lone surrogate escapes, ``NaN``/``Infinity``, numbers beyond a double, nesting past
    orjson's limit, invalid UTF-8, so those answers (and their messages) stay as they
    were. Everything both accept parses to the same value."""
    if raw.translate(_DIGITS).find(_LONG_DIGITS) != -1:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """Parse a JSON object body; anything else is :class:`InvalidInput` (400).

    ``NaN``/``Infinity`` literals and numbers that overflow a double are refused: they
    cannot be written back as JSON.
    """
    if not raw.strip():
        raise InvalidInput("request body is empty")
    fast = _fast_loads(raw)
    if isinstance(fast, dict):
        return fast
    try:
        body = json.loads(
            raw.decode("utf-8"),
            parse_constant=reject_constant,
            parse_float=finite_float,
        )
    except UnicodeDecodeError:
        raise InvalidInput("request body is not UTF-8") from None
    except NonFiniteNumber:
        raise InvalidInput("a number in the request body is out of range") from None
    except (ValueError, RecursionError):
        raise InvalidInput("request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidInput("request body must be a JSON object")
    return body
