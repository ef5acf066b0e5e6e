"""Python API of the configured user directory: load, read, resolve and remove users."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from .conf import velt_settings
from .directory import User, UserDirectory, get_directory
from .exceptions import InvalidInput, InvalidRecordError
from .jsonrecords import parse_json_records
from .repository.users import UserWrite
from .validation.base import id_list, id_value

logger = logging.getLogger(__name__)

#: The ``organization_id`` the access policy receives for a ``users/get`` that names no
#: organization. No shipped policy allows it except ``allow_all``; a policy that wants to
#: serve such requests must allow it explicitly.
NO_ORGANIZATION = ""


def normalize_email(email: str) -> str:
    """The form e-mails are matched in: trimmed and lower-cased, so ``Sam@ACME.example``
    matches ``sam@acme.example``."""
    return email.strip().lower()


def user_write(user: Any, organization_id: str | None = None) -> UserWrite:
    """Validate one Velt ``User`` object (docs/users.md) for storing.

    ``organizationId`` / ``organizationIds`` of the object and ``organization_id`` become
    the user's memberships. Raises :class:`InvalidRecordError` naming the field.
    """
    if not isinstance(user, dict):
        raise InvalidRecordError("a user must be a JSON object")
    try:
        user_id = id_value(user.get("userId"), "userId", required=True)
        orgs = id_list(user.get("organizationIds"), "organizationIds")
        single = id_value(user.get("organizationId"), "organizationId")
    except InvalidInput as err:
        raise InvalidRecordError(str(err.detail)) from err
    assert user_id is not None
    email = user.get("email")
    if email is not None and not isinstance(email, str):
        raise InvalidRecordError("email must be a string")
    for org in (single, organization_id):
        if org is not None and org not in orgs:
            orgs.append(org)
    fields = {
        key: value
        for key, value in user.items()
        if key not in ("organizationId", "organizationIds")
    }
    fields["userId"] = user_id
    email_lower = normalize_email(email) if email else None
    return UserWrite(user_id, fields, email_lower or None, orgs)


def upsert(users: Iterable[Any], organization_id: str | None = None) -> int:
    """Create or update users in the configured directory (idempotent).

    ``users`` are Velt ``User`` objects; ``organization_id`` is added to each user's
    memberships. Everything is validated before anything is written. Returns the number
    of users written; raises :class:`InvalidRecordError` for an invalid user.
    """
    writes = [user_write(user, organization_id) for user in users]
    return get_directory().upsert(writes) if writes else 0


def load(text: str, organization_id: str | None = None) -> int:
    """Upsert the users of a JSON array or of JSON Lines (one ``User`` per line) into
    the configured directory; every user is validated before any is written, and
    loading the same text again leaves the same data. Returns how many were written.

    Raises :class:`InvalidRecordError` naming the line of the first bad user and the
    bad field (never its content), such as a field the directory cannot store, or the
    directory's storage errors.
    """
    writes: list[UserWrite] = []
    directory: UserDirectory | None = None
    for line, value in parse_json_records(text):
        try:
            write = user_write(value, organization_id)
            directory = directory or get_directory()
            directory.validate(write)
        except InvalidRecordError as err:
            raise InvalidRecordError(f"line {line}: {err}") from None
        writes.append(write)
    return directory.upsert(writes) if directory is not None else 0


def get_many(
    user_ids: Sequence[str], organization_id: str | None = None
) -> dict[str, User]:
    """``userId → User`` for the ids found, as ``users/get`` answers them.

    With ``VELT["USER_ORGANIZATION_SCOPED"]`` on, only members of ``organization_id``
    are returned (none when it is ``None``).
    """
    scoped = velt_settings.USER_ORGANIZATION_SCOPED
    if scoped and organization_id is None:
        return {}
    ids = list(dict.fromkeys(str(i) for i in user_ids))
    return get_directory().get_users(
        ids, organization_id if scoped else None, organization_id
    )


def resolve_emails(
    emails: Sequence[str], organization_id: str | None = None
) -> dict[str, str]:
    """``email → userId`` for the e-mails that match exactly one user.

    Keys are the strings given; matching is trimmed and case-insensitive; blank e-mails,
    unknown ones and ones shared by several users are absent. Scoped like
    :func:`get_many`.
    """
    scoped = velt_settings.USER_ORGANIZATION_SCOPED
    if scoped and organization_id is None:
        return {}
    wanted: dict[str, list[str]] = defaultdict(list)
    for email in dict.fromkeys(emails):
        lowered = normalize_email(email)
        if lowered:
            wanted[lowered].append(email)
    if not wanted:
        return {}
    owners: dict[str, set[str]] = defaultdict(set)
    for lowered, user_id in get_directory().match_emails(
        list(wanted), organization_id if scoped else None
    ):
        owners[lowered].add(user_id)
    resolved: dict[str, str] = {}
    ambiguous = 0
    for lowered, user_ids in owners.items():
        if len(user_ids) != 1:
            ambiguous += 1
            continue
        (user_id,) = user_ids
        for sent in wanted.get(lowered, ()):
            resolved[sent] = user_id
    if ambiguous:
        # Counts only: the e-mails themselves are PII.
        logger.warning("anonymous users: %d e-mail(s) match several users", ambiguous)
    return resolved


def delete(user_ids: Sequence[str]) -> int:
    """Remove users from the configured directory; returns how many were removed."""
    ids = list(dict.fromkeys(str(i) for i in user_ids))
    return get_directory().delete(ids) if ids else 0
