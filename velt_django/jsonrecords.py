"""JSON with the endpoints' rules, and files of JSON records for the load commands.

Everything velt_django parses refuses ``NaN``/``Infinity`` and numbers that overflow a
double: neither can be written back as JSON. ``manage.py velt_load_notifications`` and
``velt_load_users`` read a JSON array or JSON Lines through :func:`parse_json_records`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

from .exceptions import InvalidRecordError


class NonFiniteNumber(ValueError):
    """A JSON number too large for a double (``1e400``): it would be stored as infinity,
    and an infinity has no JSON spelling to send back."""


def finite_float(text: str) -> float:
    """``parse_float`` that refuses numbers overflowing a double."""
    value = float(text)
    if not math.isfinite(value):
        raise NonFiniteNumber(text)
    return value


def reject_constant(name: str) -> Any:
    """``parse_constant`` that refuses ``NaN``/``Infinity``/``-Infinity``."""
    raise ValueError(f"{name} is not valid JSON")


#: The endpoints' JSON rules: no NaN/Infinity, no number that overflows a double.
DECODER = json.JSONDecoder(parse_float=finite_float, parse_constant=reject_constant)


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _decode_at(text: str, index: int, first_line: int = 1) -> tuple[object, int]:
    """The JSON value starting at ``index``; errors name the line (``text`` starts on
    line ``first_line`` of the input)."""
    offset = first_line - 1
    try:
        return DECODER.raw_decode(text, index)
    except NonFiniteNumber:
        raise InvalidRecordError(
            f"line {offset + _line_of(text, index)}: a number is out of range"
        ) from None
    except (ValueError, RecursionError) as err:
        # The decoder's position is where the JSON went wrong; its message is not used
        # (it can quote the text).
        position = getattr(err, "pos", index)
        raise InvalidRecordError(
            f"line {offset + _line_of(text, position)}: not valid JSON"
        ) from None


def _array_items(text: str, start: int) -> Iterator[tuple[int, object]]:
    """(line, value) of every element of the JSON array opening at ``start``."""
    index = _skip_space(text, start + 1)
    if index < len(text) and text[index] == "]":
        index += 1
    else:
        while True:
            line = _line_of(text, index)
            value, index = _decode_at(text, index)
            yield line, value
            index = _skip_space(text, index)
            if index < len(text) and text[index] == ",":
                index = _skip_space(text, index + 1)
                continue
            if index < len(text) and text[index] == "]":
                index += 1
                break
            raise InvalidRecordError(
                f"line {_line_of(text, index)}: not valid JSON (expected , or ])"
            )
    if _skip_space(text, index) != len(text):
        raise InvalidRecordError(
            f"line {_line_of(text, index)}: unexpected data after the JSON array"
        )


def _json_lines(text: str) -> Iterator[tuple[int, object]]:
    """(line, value) of every non-blank line. Split on ``\\n`` only: JSON strings may
    hold U+2028 and other characters ``str.splitlines`` would break at."""
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        value, end = _decode_at(line, _skip_space(line, 0), number)
        if _skip_space(line, end) != len(line):
            raise InvalidRecordError(f"line {number}: more than one JSON value")
        yield number, value


def parse_json_records(text: str) -> list[tuple[int, object]]:
    """The values of a JSON array or of JSON Lines (one value per line), each with the
    line it starts on. Raises :class:`InvalidRecordError` naming the line, never the
    content."""
    text = text.removeprefix("\ufeff")
    start = _skip_space(text, 0)
    if start < len(text) and text[start] == "[":
        return list(_array_items(text, start))
    return list(_json_lines(text))
