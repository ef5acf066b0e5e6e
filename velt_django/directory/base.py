"""The user directory interface behind ``users/get`` and ``anonymous-users/resolve``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..exceptions import VeltConfigurationError
from ..repository.users import UserWrite

User = dict[str, Any]


@dataclass(frozen=True)
class Member:
    """A user the directory knows, as the permission provider needs it: the Django user
    behind the Velt id (``None`` when there is none) and the organizations the
    directory lists for it."""

    user: Any
    organization_ids: tuple[str, ...]


class UserDirectory(ABC):
    """Where velt_django looks users up (docs/users.md, "User directories");
    ``VELT["USER_DIRECTORY_CLASS"]`` names the class, instantiated without arguments for
    each use.

    Subclasses provide the four methods below. Each read is one database query whatever
    the number of ids or e-mails, and returns only Velt ``User`` fields, never internal
    or secret columns. ``organization_id`` is ``None`` for an unscoped lookup; when given,
    only members of that organization are considered.
    """

    @abstractmethod
    def get_users(
        self,
        user_ids: Sequence[str],
        organization_id: str | None,
        requested_organization: str | None = None,
    ) -> dict[str, User]:
        """``userId → User`` for the ids found; unknown ids are absent.

        ``requested_organization`` is the organization the request names: a user known
        to belong to it is returned with that ``organizationId``, any other user without
        it (docs/users.md, "``users/get``").
        """

    @abstractmethod
    def match_emails(
        self, emails_lower: Sequence[str], organization_id: str | None
    ) -> list[tuple[str, str]]:
        """``(email_lower, userId)`` for every user whose trimmed, lower-cased e-mail is
        listed. An e-mail may appear with several user ids: the caller treats it as
        ambiguous."""

    def validate(self, user: UserWrite) -> None:
        """Raise :class:`~velt_django.exceptions.InvalidRecordError` naming the fields of
        ``user`` this directory cannot store (never their values); nothing is written.
        The default accepts every user."""
        return None

    @abstractmethod
    def upsert(self, users: Sequence[UserWrite]) -> int:
        """Create or update users (idempotent); returns how many were written.

        Raises :class:`~velt_django.exceptions.InvalidRecordError` for a user the
        directory cannot store (:meth:`validate`), before anything is written.
        """

    @abstractmethod
    def delete(self, user_ids: Sequence[str]) -> int:
        """Remove users by id; missing ids are ignored. Returns how many went."""

    def members(self, user_ids: Sequence[str]) -> dict[str, Member]:
        """``userId → Member`` for the ids the directory knows; unknown ids are absent.

        The default reads the users with :meth:`get_users` (their ``organizationIds``,
        or ``organizationId``, are the organizations) and the Django users whose
        ``USER_FIELDS["userId"]`` field holds the id, one query each. The shipped
        directories override it: the Django one reads both in a single query.
        """
        found = self.get_users(user_ids, None)
        if not found:
            return {}
        from .fields import django_users  # lazily: it loads the ORM and the settings

        try:
            accounts = django_users(list(found))
        except VeltConfigurationError:
            accounts = {}  # no Django user model to read (a directory of its own)
        members: dict[str, Member] = {}
        for user_id, user in found.items():
            orgs = user.get("organizationIds")
            if not isinstance(orgs, list):
                single = user.get("organizationId")
                orgs = [single] if single else []
            members[user_id] = Member(
                accounts.get(user_id), tuple(str(o) for o in orgs if o)
            )
        return members
