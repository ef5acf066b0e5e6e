"""The MongoDB user directory: the ``velt_users`` collection (docs/users.md, "The
``velt_users`` collection")."""

from __future__ import annotations

from collections.abc import Sequence

from ..repository.users import UserRepository, UserWrite
from .base import User, UserDirectory


class MongoUserDirectory(UserDirectory):
    """Users kept in ``<COLLECTION_PREFIX>users``, maintained with
    :func:`velt_django.users.upsert` or ``manage.py velt_load_users``.

    What is returned is the ``User`` object that was stored, minus the membership
    bookkeeping; ``organizationId`` is added when the user belongs to the organization
    the request names.
    """

    def __init__(self, repository: UserRepository | None = None) -> None:
        self.repository = repository or UserRepository()

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

    def match_emails(
        self, emails_lower: Sequence[str], organization_id: str | None
    ) -> list[tuple[str, str]]:
        return self.repository.find_by_emails(emails_lower, organization_id)

    def upsert(self, users: Sequence[UserWrite]) -> int:
        return self.repository.upsert_many(users)

    def delete(self, user_ids: Sequence[str]) -> int:
        return self.repository.delete_many(user_ids)
