"""Validation of ``users/get`` and ``anonymous-users/resolve`` requests (docs/users.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..conf import velt_settings
from ..exceptions import InvalidInput
from .base import id_list, id_value


@dataclass(frozen=True)
class UsersQuery:
    """A ``users/get``: the organization is optional."""

    organization_id: str | None
    user_ids: list[str]


@dataclass(frozen=True)
class ResolveQuery:
    """An ``anonymous-users/resolve``: the e-mails exactly as sent, deduplicated."""

    organization_id: str
    document_id: str | None
    emails: list[str]


def parse_users_get(body: dict[str, Any]) -> UsersQuery:
    """``{organizationId?, userIds}``; ids are checked like every other id list."""
    return UsersQuery(
        organization_id=id_value(body.get("organizationId"), "organizationId"),
        user_ids=id_list(body.get("userIds"), "userIds"),
    )


def email_list(value: Any, field: str = "emails") -> list[str]:
    """The e-mails of a resolve request: must be an array (``null``/missing mean empty);
    non-strings and blank entries are dropped, exact repeats removed. Entries
    longer than ``MAX_ID_LENGTH`` can be no address and are dropped too."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"{field} must be an array of strings")
    limit = velt_settings.MAX_ID_LIST_LENGTH
    if len(value) > limit:
        raise InvalidInput(f"{field} has more than {limit} entries")
    max_length = velt_settings.MAX_ID_LENGTH
    kept: dict[str, None] = {}
    for item in value:
        if isinstance(item, str) and item.strip() and len(item) <= max_length:
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                continue
            kept[item] = None
    return list(kept)


def parse_resolve(body: dict[str, Any]) -> ResolveQuery:
    """``{organizationId, documentId?, folderId?, emails}``; the organization is
    required."""
    org = id_value(body.get("organizationId"), "organizationId", required=True)
    assert org is not None
    return ResolveQuery(
        organization_id=org,
        document_id=id_value(body.get("documentId"), "documentId"),
        emails=email_list(body.get("emails")),
    )
