"""The MongoDB user directory: the ``velt_users`` collection (docs/users.md, "The
``velt_users`` collection")."""

from __future__ import annotations

from collections.abc import Sequence

from ..exceptions import VeltConfigurationError
from ..repository.backend import resolve
from ..repository.users import UserRepository, UserWrite
from .base import Member, User, UserDirectory
from .fields import django_users


class MongoUserDirectory(UserDirectory):
    """Users kept in ``<COLLECTION_PREFIX>users``, maintained with
    :func:`velt_django.users.upsert` or ``manage.py velt_load_users``.

    What is returned is the ``User`` object that was stored, minus the membership
    bookkeeping; ``organizationId`` is added when the user belongs to the organization
    the request names.
    """

    def __init__(self, repository: UserRepository | None = None) -> None:
        self.repository = repository or resolve(UserRepository)()

    def get_users(
        self,
        user_ids: Sequence[str],
        organization_id: str | None,
        requested_organization: str | None = None,
    ) -> dict[str, User]:
        found: dict[str, User] = {}
        for stored in self.repository.get_many(user_ids, organization_id):
            user: User = {**stored.fields, "userId": stored.user_id}
            if (
                requested_organization is not None
                and requested_organization in stored.organization_ids
            ):
                user["organizationId"] = requested_organization
            found[stored.user_id] = user
        return found

    def members(self, user_ids: Sequence[str]) -> dict[str, Member]:
        """The stored memberships (one ``find``) and the Django users whose
        ``USER_FIELDS["userId"]`` field holds the ids (one SQL query, none when no user
        model is installed)."""
        stored = self.repository.get_many(list(dict.fromkeys(user_ids)))
        if not stored:
            return {}
        try:
            accounts = django_users([entry.user_id for entry in stored])
        except VeltConfigurationError:
            accounts = {}
        return {
            entry.user_id: Member(
                accounts.get(entry.user_id), tuple(entry.organization_ids)
            )
            for entry in stored
        }

    def match_emails(
        self, emails_lower: Sequence[str], organization_id: str | None
    ) -> list[tuple[str, str]]:
        return self.repository.find_by_emails(emails_lower, organization_id)

    def upsert(self, users: Sequence[UserWrite]) -> int:
        return self.repository.upsert_many(users)

    def delete(self, user_ids: Sequence[str]) -> int:
        return self.repository.delete_many(user_ids)
