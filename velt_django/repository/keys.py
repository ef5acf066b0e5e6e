"""Reversible escaping of payload keys MongoDB cannot address (CONTRACT §5.5).

A key that is empty, contains ``.`` or NUL, starts with ``$``, or starts with ``~`` is
stored as ``~`` + base64url(UTF-8 key) without padding; every other key is unchanged.
Escaping also validates what BSON cannot hold faithfully: integers outside int64, text
that is not valid Unicode, nesting deeper than the configured limit.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from ..exceptions import InvalidRecordError

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")

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


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise InvalidRecordError("text is not valid Unicode (lone surrogate)") from err


class _Escaper:
    __slots__ = ("changed", "max_depth")

    def __init__(self, max_depth: int) -> None:
        self.changed = False
        self.max_depth = max_depth

    def walk(self, value: Any, depth: int) -> Any:
        if isinstance(value, dict):
            if depth >= self.max_depth:
                raise InvalidRecordError(
                    f"payload nesting exceeds {self.max_depth} levels"
                )
            out: dict[str, Any] = {}
            for key, item in value.items():
                if _unsafe(key):
                    self.changed = True
                    new_key = escape_key(key)
                else:
                    _check_text(key)
                    new_key = key
                out[new_key] = self.walk(item, depth + 1)
            return out
        if isinstance(value, list):
            if depth >= self.max_depth:
                raise InvalidRecordError(
                    f"payload nesting exceeds {self.max_depth} levels"
                )
            return [self.walk(item, depth + 1) for item in value]
        if isinstance(value, str):
            _check_text(value)
            return value
        if isinstance(value, bool) or value is None or isinstance(value, float):
            return value
        if isinstance(value, int):
            if not INT64_MIN <= value <= INT64_MAX:
                raise InvalidRecordError(
                    "an integer is outside the signed 64-bit range"
                )
            return value
        raise InvalidRecordError(f"unsupported value type {type(value).__name__}")


def escape_value(value: Any, max_depth: int = 64) -> tuple[Any, bool]:
    """Escape every key at every depth of ``value``.

    Returns ``(escaped, changed)`` where ``changed`` tells whether any key was rewritten.
    Raises :class:`InvalidRecordError` for values BSON cannot store faithfully.
    """
    escaper = _Escaper(max_depth)
    result = escaper.walk(value, 0)
    return result, escaper.changed


def unescape_value(value: Any) -> Any:
    """Invert :func:`escape_value` at every depth."""
    if isinstance(value, dict):
        return {unescape_key(k): unescape_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unescape_value(v) for v in value]
    return value
