"""The user directory's table on PostgreSQL (``velt_users``), through Django's ORM: the
twin of ``repository.users.UserRepository``, read by the MongoDB user directory
(``directory.mongo``) whichever backend stores it.

An entry is replaced as a whole by an upsert, except its organizations, which are added
to the stored ones: one ``INSERT … ON CONFLICT (user_id) DO UPDATE`` whose ``SET``
appends the organizations not stored yet (an ORM upsert can only copy the new value).
"""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from django.db import connections
from django.db.models import QuerySet

from ...conf import velt_settings
from ...models import VeltUserRecord
from ..keys import escape_value
from ..users import StoredUser, UserWrite
from .base import _dump, database_alias, storable, write_in_statements
from .errors import translate_errors

logger = logging.getLogger(__name__)

#: The stored organizations (``[]`` when not an array), then each sent one they lack,
#: in the order sent.
_ADD_ORGANIZATIONS = (
    "CASE WHEN jsonb_typeof(s.organization_ids) = 'array' THEN s.organization_ids"
    " ELSE '[]'::jsonb END"
    " || COALESCE((SELECT jsonb_agg(sent.org ORDER BY sent.n)"
    " FROM jsonb_array_elements(EXCLUDED.organization_ids) WITH ORDINALITY"
    " AS sent(org, n)"
    " WHERE jsonb_typeof(s.organization_ids) <> 'array'"
    " OR NOT s.organization_ids @> jsonb_build_array(sent.org)), '[]'::jsonb)"
)


class SqlUserRepository:
    """``velt_users``: entries keyed by a unique ``user_id``, found by ``email_lower``
    (b-tree index) and scoped by ``organization_ids`` (``@>``, GIN index)."""

    model: ClassVar[type[VeltUserRecord]] = VeltUserRecord

    def __init__(self, using: str | None = None) -> None:
        self._using = using

    @property
    def using(self) -> str:
        return self._using if self._using is not None else database_alias()

    def _records(
        self, organization_id: str | None, **within: Sequence[str]
    ) -> QuerySet[VeltUserRecord]:
        """The entries (members of ``organization_id`` when given) whose ``column`` is
        one of the texts given as ``column=texts``; none for texts no row can hold
        (:func:`~.base.storable`), without a query."""
        records = self.model._default_manager.using(self.using)
        if organization_id is not None:
            if not storable([organization_id]):
                return records.none()
            records = records.filter(organization_ids__contains=[organization_id])
        for column, texts in within.items():
            records = records.filter(**{f"{column}__in": storable(texts)})
        return records

    def get_many(
        self, user_ids: Sequence[str], organization_id: str | None = None
    ) -> list[StoredUser]:
        """The entries of ``user_ids`` (only members of ``organization_id`` when given).
        One query, whatever the number of ids."""
        if not user_ids:
            return []
        rows = (
            self._records(organization_id, user_id=user_ids)
            .order_by("id")
            .values_list("user_id", "payload", "organization_ids")
        )
        with translate_errors("find users", self.using):
            return [
                StoredUser(
                    user_id,
                    payload if isinstance(payload, dict) else {},
                    [str(o) for o in orgs] if isinstance(orgs, list) else [],
                )
                for user_id, payload, orgs in rows
            ]

    def find_by_emails(
        self, emails_lower: Sequence[str], organization_id: str | None = None
    ) -> list[tuple[str, str]]:
        """``(email_lower, user_id)`` of every entry whose ``email_lower`` is listed;
        one query. The caller decides what an e-mail shared by several users means."""
        if not emails_lower:
            return []
        rows = (
            self._records(organization_id, email_lower=emails_lower)
            .order_by("id")
            .values_list("email_lower", "user_id")
        )
        with translate_errors("find users by email", self.using):
            return [(str(email), str(user_id)) for email, user_id in rows]

    def upsert_many(self, users: Iterable[UserWrite]) -> int:
        """Create or replace entries (idempotent): the ``User`` fields and e-mail are
        replaced as a whole, the organizations added to the stored ones. Returns the
        number of entries written (every one given, repeats included, as on MongoDB)."""
        now = datetime.datetime.now(datetime.timezone.utc)
        max_depth = velt_settings.MAX_PAYLOAD_DEPTH
        count = 0
        # One statement may not touch a row twice: a repeated id replaces the fields of
        # the earlier one and adds its organizations, as two MongoDB updates would.
        folded: dict[str, UserWrite] = {}
        for user in users:
            escape_value(user.fields, max_depth)  # the MongoDB backend's validation
            count += 1
            earlier = folded.get(user.user_id)
            organizations = list(
                dict.fromkeys(
                    [
                        *(earlier.organization_ids if earlier else ()),
                        *user.organization_ids,
                    ]
                )
            )
            folded[user.user_id] = UserWrite(
                user.user_id, user.fields, user.email_lower, organizations
            )
        if not folded:
            return 0
        rows = [folded[user_id] for user_id in sorted(folded)]
        with translate_errors("upsert users", self.using):
            write_in_statements(
                self.using, rows, lambda chunk: self._upsert(chunk, now)
            )
        logger.info("users upserted=%d", count)
        return count

    def _upsert(self, users: Sequence[UserWrite], now: datetime.datetime) -> None:
        table = connections[self.using].ops.quote_name(self.model._meta.db_table)
        values: list[Any] = []
        for user in users:
            values += [
                user.user_id,
                user.email_lower,
                json.dumps(user.organization_ids),
                _dump(user.fields),
                now,
                now,
            ]
        placeholders = ", ".join(
            ["(%s, %s, %s::jsonb, %s::jsonb, %s, %s)"] * len(users)
        )
        sql = (
            f"INSERT INTO {table} AS s (user_id, email_lower, organization_ids,"
            f" payload, created_at, updated_at) VALUES {placeholders}"
            " ON CONFLICT (user_id) DO UPDATE SET"
            " payload = EXCLUDED.payload,"
            " email_lower = EXCLUDED.email_lower,"
            f" organization_ids = {_ADD_ORGANIZATIONS},"
            " updated_at = EXCLUDED.updated_at"
        )
        with connections[self.using].cursor() as cursor:
            cursor.execute(sql, values)

    def delete_many(self, user_ids: Sequence[str]) -> int:
        """Remove entries by id (missing ids are ignored); returns how many went."""
        if not user_ids:
            return 0
        rows = self._records(None, user_id=user_ids)
        with translate_errors("delete users", self.using):
            deleted, _ = rows.delete()
        logger.info("users deleted=%d", deleted)
        return deleted
