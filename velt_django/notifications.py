"""Server-side API for the PII of custom notifications (CONTRACT §13.5).

Velt never sends notification PII to a browser-facing endpoint: the integrator's backend
creates a custom notification through Velt's REST API without its texts, and stores the
texts here under the same ``notificationId``; ``notifications/get`` then serves them.
Every function validates ids with the rules of the endpoints (objects such as
``{"$ne": None}`` are refused, numbers become strings, lengths are limited) and raises
the library's own exceptions: :class:`~velt_django.exceptions.InvalidRecordError` for
bad input, :class:`~velt_django.exceptions.RecordTooLargeError`,
:class:`~velt_django.exceptions.DatabaseUnavailableError` or
:class:`~velt_django.exceptions.RepositoryError` from the database. None of them
authorizes: call them only with organizations your own code has decided on.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from .exceptions import InvalidInput, InvalidRecordError
from .repository.base import RecordWrite
from .repository.notifications import NotificationRepository
from .serializers.base import id_list
from .serializers.notifications import notification_payload, organization_value

logger = logging.getLogger(__name__)

__all__ = ["delete", "get", "load", "store", "store_one"]


@contextmanager
def _library_errors(prefix: str = "") -> Iterator[None]:
    """Validation failures (HTTP-facing :class:`InvalidInput`) as the library's
    :class:`InvalidRecordError`; the message names the field, never its content."""
    try:
        yield
    except InvalidInput as err:
        raise InvalidRecordError(prefix + str(err.detail)) from None
    except InvalidRecordError as err:
        if not prefix:
            raise
        raise InvalidRecordError(prefix + str(err)) from err


def _organization(organization_id: object) -> str:
    with _library_errors():
        return organization_value(organization_id, "organization_id")


def _ids(notification_ids: str | Iterable[object]) -> list[str]:
    values = (
        [notification_ids]
        if isinstance(notification_ids, str)
        else list(notification_ids)
    )
    with _library_errors():
        return id_list(values, "notification_ids")


def _prepare(
    repo: NotificationRepository,
    org: str,
    notification: object,
    field: str,
    prefix: str = "",
) -> RecordWrite:
    with _library_errors(prefix):
        record_id, payload = notification_payload(notification, org, field)
    # The repository's messages do not say which notification they are about.
    with _library_errors(prefix or f"{field}: "):
        repo.check(payload)
    return RecordWrite(organization_id=org, record_id=record_id, payload=payload)


def _store(org: str, records: list[RecordWrite], repo: NotificationRepository) -> int:
    written = repo.store(records)
    logger.info("notifications stored org=%s records=%d", org, written)
    return written


def store(organization_id: str, notifications: Iterable[Mapping[str, object]]) -> int:
    """Upsert notifications of one organization with the merge rule (CONTRACT §5.3):
    keys sent replace stored ones, keys not sent are kept. Returns how many were written.

    Each notification is a Velt ``PartialNotification`` object with its
    ``notificationId``. Every one is validated before any is written; a repeated call
    with the same notifications leaves the same data.
    """
    org = _organization(organization_id)
    repo = NotificationRepository()
    records = [
        _prepare(repo, org, item, f"notifications[{index}]")
        for index, item in enumerate(notifications)
    ]
    return _store(org, records, repo)


def store_one(organization_id: str, notification: Mapping[str, object]) -> str:
    """:func:`store` for one notification; returns its ``notificationId``."""
    org = _organization(organization_id)
    repo = NotificationRepository()
    record = _prepare(repo, org, notification, "notification")
    _store(org, [record], repo)
    return record.record_id


def get(
    organization_id: str, notification_ids: str | Iterable[object]
) -> dict[str, dict[str, object]]:
    """The stored payloads of these notifications, keyed by id (unknown ids absent, no
    ids → ``{}``): what ``notifications/get`` answers for them."""
    org = _organization(organization_id)
    ids = _ids(notification_ids)
    found: dict[str, dict[str, object]] = NotificationRepository().get_by_ids(org, ids)
    return found


def delete(organization_id: str, notification_ids: str | Iterable[object]) -> int:
    """Delete these notifications of one organization; returns how many existed.
    Deleting a missing one is not an error."""
    org = _organization(organization_id)
    ids = _ids(notification_ids)
    repo = NotificationRepository()
    deleted = sum(repo.delete(org, notification_id) for notification_id in ids)
    logger.info("notifications deleted org=%s records=%d", org, deleted)
    return deleted


# ---- loading a file: a JSON array or JSON Lines ----------------------------------------


class _NonFinite(ValueError):
    pass


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NonFinite(text)
    return value


def _constant(name: str) -> Any:
    raise ValueError(name)


# The endpoints' JSON rules: no NaN/Infinity, no number that overflows a double.
_DECODER = json.JSONDecoder(parse_float=_finite, parse_constant=_constant)


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
        return _DECODER.raw_decode(text, index)
    except _NonFinite:
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


def parse_notifications(text: str) -> list[tuple[int, object]]:
    """The notifications of a JSON array or of JSON Lines (one object per line), each
    with the line it starts on. Raises :class:`InvalidRecordError` naming the line."""
    text = text.removeprefix("\ufeff")
    start = _skip_space(text, 0)
    if start < len(text) and text[start] == "[":
        return list(_array_items(text, start))
    return list(_json_lines(text))


def load(organization_id: str, text: str) -> int:
    """Store the notifications of ``text`` (see :func:`parse_notifications`) for one
    organization; every one is validated before any is written, and loading the same
    text again leaves the same data. Returns how many were written.

    Raises :class:`InvalidRecordError` naming the line of the first bad notification
    (never its content), or the database errors of :func:`store`.
    """
    org = _organization(organization_id)
    repo = NotificationRepository()
    records = [
        _prepare(repo, org, value, "notification", prefix=f"line {line}: ")
        for line, value in parse_notifications(text)
    ]
    return _store(org, records, repo)
