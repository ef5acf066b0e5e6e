"""Server-side API for the PII of custom notifications (docs/notifications.md, "Storing
notification texts from your backend").

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

import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from .exceptions import InvalidInput, InvalidRecordError
from .jsonrecords import parse_json_records
from .repository.backend import resolve
from .repository.base import RecordWrite
from .repository.notifications import NotificationRepository
from .validation.base import id_list
from .validation.notifications import notification_payload, organization_value

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
    """Upsert notifications of one organization with the merge rule
    (docs/wire-protocol.md, "Merge rule"): keys sent replace stored ones, keys not sent
    are kept. Returns how many were written.

    Each notification is a Velt ``PartialNotification`` object with its
    ``notificationId``. Every one is validated before any is written; a repeated call
    with the same notifications leaves the same data.
    """
    org = _organization(organization_id)
    repo = resolve(NotificationRepository)()
    records = [
        _prepare(repo, org, item, f"notifications[{index}]")
        for index, item in enumerate(notifications)
    ]
    return _store(org, records, repo)


def store_one(organization_id: str, notification: Mapping[str, object]) -> str:
    """:func:`store` for one notification; returns its ``notificationId``."""
    org = _organization(organization_id)
    repo = resolve(NotificationRepository)()
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
    found: dict[str, dict[str, object]] = resolve(NotificationRepository)().get_by_ids(
        org, ids
    )
    return found


def delete(organization_id: str, notification_ids: str | Iterable[object]) -> int:
    """Delete these notifications of one organization; returns how many existed.
    Deleting a missing one is not an error."""
    org = _organization(organization_id)
    ids = _ids(notification_ids)
    repo = resolve(NotificationRepository)()
    deleted = sum(repo.delete(org, notification_id) for notification_id in ids)
    logger.info("notifications deleted org=%s records=%d", org, deleted)
    return deleted


def parse_notifications(text: str) -> list[tuple[int, object]]:
    """The notifications of a JSON array or of JSON Lines (see
    :func:`~velt_django.jsonrecords.parse_json_records`)."""
    return parse_json_records(text)


def load(organization_id: str, text: str) -> int:
    """Store the notifications of ``text`` (see :func:`parse_notifications`) for one
    organization; every one is validated before any is written, and loading the same
    text again leaves the same data. Returns how many were written.

    Raises :class:`InvalidRecordError` naming the line of the first bad notification
    (never its content), or the database errors of :func:`store`.
    """
    org = _organization(organization_id)
    repo = resolve(NotificationRepository)()
    records = [
        _prepare(repo, org, value, "notification", prefix=f"line {line}: ")
        for line, value in parse_notifications(text)
    ]
    return _store(org, records, repo)
