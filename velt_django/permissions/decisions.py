"""What an access policy may answer the permission provider: a bool or a :class:`Decision`."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

EDITOR = "editor"
VIEWER = "viewer"
#: The access roles Velt accepts (``UserPermissionAccessRole``).
ACCESS_ROLES = frozenset({EDITOR, VIEWER})


@dataclass(frozen=True)
class Decision:
    """A policy's answer with more than yes or no.

    ``has_access`` is the decision. ``access_role`` (``"editor"`` or ``"viewer"``) and
    ``expires_at`` (when Velt must ask again: Unix time in milliseconds, or an aware
    ``datetime``) are sent with a granted access only. Without ``expires_at`` the answer
    expires after ``VELT["PERMISSION_PROVIDER_TTL"]`` seconds.

    A ``Decision`` is truthy when it grants access, so a policy returning one still
    answers the resolver endpoints, which only ask yes or no.
    """

    has_access: bool
    access_role: str | None = None
    expires_at: int | datetime.datetime | None = None

    def __bool__(self) -> bool:
        return self.has_access is True


def _expiry_ms(value: Any) -> int | None:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return None
        return int(value.timestamp() * 1000)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def as_decision(result: Any) -> Decision:
    """A policy's return value as a valid :class:`Decision`.

    ``True``/``False`` and :class:`Decision` are what policies return; a mapping in
    the shape of Velt's answer (``hasAccess``, ``accessRole``, ``expiresAt``) is
    accepted too. Anything else refuses access. An access role other than
    ``"editor"``/``"viewer"`` is dropped, as is an expiry that is not a positive
    millisecond timestamp or an aware datetime; both are logged by kind only.
    """
    if isinstance(result, bool):
        return Decision(result)
    if isinstance(result, Mapping):
        result = Decision(
            result.get("hasAccess") is True,
            result.get("accessRole"),
            result.get("expiresAt"),
        )
    if not isinstance(result, Decision):
        logger.warning(
            "permission provider: the access policy returned a %s, not a bool or "
            "Decision; access refused",
            type(result).__name__,
        )
        return Decision(False)
    if result.has_access is not True:
        return Decision(False)
    role = result.access_role
    if role is not None and role not in ACCESS_ROLES:
        logger.warning(
            "permission provider: the access policy returned an access role that is "
            "neither editor nor viewer; it is ignored"
        )
        role = None
    expires = None
    if result.expires_at is not None:
        expires = _expiry_ms(result.expires_at)
        if expires is None:
            logger.warning(
                "permission provider: the access policy returned an expiry that is "
                "neither a positive millisecond timestamp nor an aware datetime; the "
                "default applies"
            )
    return Decision(True, role, expires)
