"""Reversible escaping of payload keys MongoDB cannot address (docs/storage-model.md,
"Key escaping and numbers").

A key that is empty, contains ``.`` or NUL, starts with ``$``, or starts with ``~`` is
stored as ``~`` + base64url(UTF-8 key) without padding; every other key is unchanged.
Escaping also validates what BSON cannot hold faithfully: integers outside int64, text
that is not valid Unicode, nesting deeper than the configured limit.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from typing import Any, NamedTuple

import bson
from bson.errors import InvalidDocument

from ..exceptions import InvalidRecordError

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")

#: The integer range BSON can hold; the encoder refuses anything outside it.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def _unsafe(key: str) -> bool:
    return key == "" or key[0] in "$~" or "." in key or "\x00" in key


def escape_key(key: str) -> str:
    """Escape one key if MongoDB cannot address it (or it could be mistaken for escaped)."""
    if not _unsafe(key):
        return key
    try:
        raw = key.encode("utf-8")
    except UnicodeEncodeError as err:
        raise InvalidRecordError("a key is not valid Unicode text") from err
    return "~" + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def unescape_key(key: str) -> str:
    """Invert :func:`escape_key`."""
    if not key.startswith("~"):
        return key
    body = key[1:]
    if not _BASE64URL.fullmatch(body):
        return key  # not written by us (e.g. imported data): leave it as it is
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        # Not written by us (e.g. imported data): leave it as it is.
        return key


#: Key of the one-entry object that stands for a non-object value of a merged key
#: (``metadata``, ``comments`` …). ``escape_key`` never writes it (``!`` is not base64url),
#: so it cannot collide with a client's key. Stored merged keys are therefore always
#: objects, which keeps dotted-path updates below them safe (an array would otherwise be
#: indexed by numeric entry keys such as comment ids).
WRAPPED = "~!"


class EscapedPayload(NamedTuple):
    """A payload ready to store: escaped value, whether anything was rewritten, BSON size."""

    value: dict[str, Any]
    changed: bool
    size: int


def _walk(value: Any, depth: int, max_depth: int, changed: list[bool]) -> Any:
    # Only containers are visited: scalar values are validated by the BSON encoder.
    if depth >= max_depth:
        raise InvalidRecordError(f"payload nesting exceeds {max_depth} levels")
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if _unsafe(key):
                changed[0] = True
                key = escape_key(key)
            if isinstance(item, (dict, list)):
                item = _walk(item, depth + 1, max_depth, changed)
            out[key] = item
        return out
    return [
        _walk(item, depth + 1, max_depth, changed)
        if isinstance(item, (dict, list))
        else item
        for item in value
    ]


def _encoded_size(value: Any) -> int:
    """BSON size of ``{"v": value}``; refuses what BSON cannot hold faithfully."""
    try:
        return len(bson.encode({"v": value}))
    except OverflowError as err:
        raise InvalidRecordError(
            "an integer is outside the signed 64-bit range"
        ) from err
    except UnicodeEncodeError as err:
        raise InvalidRecordError("text is not valid Unicode (lone surrogate)") from err
    except (InvalidDocument, TypeError) as err:
        raise InvalidRecordError("a value has an unsupported type") from err


def escape_value(value: Any, max_depth: int = 64) -> tuple[Any, bool]:
    """Escape every key at every depth of ``value``.

    Returns ``(escaped, changed)`` where ``changed`` tells whether any key was rewritten.
    Raises :class:`InvalidRecordError` for values BSON cannot store faithfully.
    """
    changed = [False]
    result = (
        _walk(value, 0, max_depth, changed)
        if isinstance(value, (dict, list))
        else value
    )
    _encoded_size(result)
    return result, changed[0]


def escape_payload(
    payload: dict[str, Any], max_depth: int, merged_keys: Iterable[str]
) -> EscapedPayload:
    """Escape a record payload and wrap non-object values of its merged keys.

    Raises :class:`InvalidRecordError` for values BSON cannot store faithfully.
    """
    changed = [False]
    escaped: dict[str, Any] = _walk(payload, 0, max_depth, changed)
    for key in merged_keys:
        if key in escaped and not isinstance(escaped[key], dict):
            escaped[key] = {WRAPPED: escaped[key]}
            changed[0] = True
    return EscapedPayload(escaped, changed[0], _encoded_size(escaped))


def _has_unsafe_key(value: Any, depth: int, max_depth: int) -> bool:
    # The walk of _walk without the copy: raises past max_depth, stops at the first
    # key escaping would rewrite.
    if depth >= max_depth:
        raise InvalidRecordError(f"payload nesting exceeds {max_depth} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            if _unsafe(key):
                return True
            if isinstance(item, (dict, list)) and _has_unsafe_key(
                item, depth + 1, max_depth
            ):
                return True
        return False
    for item in value:
        if isinstance(item, (dict, list)) and _has_unsafe_key(
            item, depth + 1, max_depth
        ):
            return True
    return False


def payload_size(
    payload: dict[str, Any], max_depth: int, merged_keys: Iterable[str]
) -> int:
    """``escape_payload(payload, max_depth, merged_keys).size``, with the same errors,
    for a backend that stores the payload unescaped (PostgreSQL) and only needs the
    size MongoDB would measure. Most payloads have no key to escape: those are measured
    without building the escaped copy."""
    if any(
        key in payload and not isinstance(payload[key], dict) for key in merged_keys
    ) or _has_unsafe_key(payload, 0, max_depth):
        return escape_payload(payload, max_depth, merged_keys).size
    return _encoded_size(payload)


def unescape_value(value: Any) -> Any:
    """Invert :func:`escape_value` / :func:`escape_payload` at every depth."""
    if isinstance(value, dict):
        if len(value) == 1 and WRAPPED in value:
            return unescape_value(value[WRAPPED])
        return {unescape_key(k): unescape_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unescape_value(v) for v in value]
    return value
