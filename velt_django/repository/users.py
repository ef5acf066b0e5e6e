"""The ``velt_users`` collection: the MongoDB user directory (see docs/users.md, "The
``velt_users`` collection")."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, ClassVar

from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.errors import BulkWriteError

from ..conf import velt_settings
from ..exceptions import RepositoryError
from .base import BaseRepository, Document
from .errors import translate_errors
from .keys import escape_value, unescape_value

logger = logging.getLogger(__name__)


@dataclass
class UserWrite:
    """One directory entry to store: the Velt ``User`` object and its bookkeeping.

    ``fields`` is the ``User`` object without ``organizationId``/``organizationIds``
    (membership is kept in ``organization_ids``, not in what is returned).
    """

    user_id: str
    fields: Document
    email_lower: str | None = None
    organization_ids: list[str] = field(default_factory=list)


@dataclass
class StoredUser:
    """A directory entry as read: the ``User`` fields and the organizations it belongs to."""

    user_id: str
    fields: Document
    organization_ids: list[str]


class UserRepository(BaseRepository):
    """Users keyed by ``userId`` (global identities), with a lower-cased e-mail key and
    the list of organizations each belongs to.

    The stored document is ``{userId, emailLower, organizationIds, payload, esc,
    createdAt, updatedAt}``; only ``payload`` (the ``User`` object, keys escaped like
    record payloads, see :mod:`.keys`) is ever returned, so bookkeeping can never reach
    a response.
    """

    collection_suffix: ClassVar[str] = "users"
    indexes: ClassVar[Sequence[IndexModel]] = (
        IndexModel([("userId", ASCENDING)], unique=True, name="user_unique"),
        IndexModel([("emailLower", ASCENDING)], name="email_lower"),
        IndexModel([("organizationIds", ASCENDING)], name="organizations"),
    )

    #: What a read needs; ``emailLower`` and timestamps are never read back.
    _projection: ClassVar[dict[str, int]] = {
        "_id": 0,
        "userId": 1,
        "payload": 1,
        "esc": 1,
        "organizationIds": 1,
    }

    @staticmethod
    def _scope(query: Document, organization_id: str | None) -> Document:
        if organization_id is not None:
            query["organizationIds"] = organization_id
        return query

    def get_many(
        self, user_ids: Sequence[str], organization_id: str | None = None
    ) -> list[StoredUser]:
        """The entries of ``user_ids`` (only members of ``organization_id`` when given).
        One ``find``, whatever the number of ids."""
        if not user_ids:
            return []
        query = self._scope({"userId": {"$in": list(user_ids)}}, organization_id)
        found: list[StoredUser] = []
        with translate_errors("find users"):
            # Every match in the first batch: one round trip, no getMore (a batch still
            # stops at 16 MiB, where the server continues with getMore).
            cursor = self.collection.find(
                query, self._projection, batch_size=len(user_ids)
            )
            for doc in cursor:
                payload = doc.get("payload") or {}
                if doc.get("esc"):
                    payload = unescape_value(payload)
                orgs = doc.get("organizationIds")
                found.append(
                    StoredUser(
                        str(doc["userId"]),
                        payload,
                        [str(o) for o in orgs] if isinstance(orgs, list) else [],
                    )
                )
        return found

    def find_by_emails(
        self, emails_lower: Sequence[str], organization_id: str | None = None
    ) -> list[tuple[str, str]]:
        """``(emailLower, userId)`` of every entry whose ``emailLower`` is listed. One
        ``find``; the caller decides what an e-mail shared by several users means."""
        if not emails_lower:
            return []
        query = self._scope(
            {"emailLower": {"$in": list(emails_lower)}}, organization_id
        )
        with translate_errors("find users by email"):
            return [
                (str(doc["emailLower"]), str(doc["userId"]))
                for doc in self.collection.find(
                    query,
                    {"_id": 0, "userId": 1, "emailLower": 1},
                    batch_size=len(emails_lower) + 1,
                )
            ]

    def upsert_many(self, users: Iterable[UserWrite]) -> int:
        """Create or replace entries (idempotent). An entry's ``User`` fields are replaced
        as a whole; its organizations are added to the ones it already has. Returns the
        number of entries written."""
        now = datetime.now(timezone.utc)
        max_depth = velt_settings.MAX_PAYLOAD_DEPTH
        operations: list[UpdateOne] = []
        for user in users:
            payload, escaped = escape_value(user.fields, max_depth)
            update: dict[str, Any] = {
                "$set": {
                    "payload": payload,
                    "esc": escaped,
                    "updatedAt": now,
                },
                "$setOnInsert": {"createdAt": now},
                "$addToSet": {"organizationIds": {"$each": user.organization_ids}},
            }
            if user.email_lower is not None:
                update["$set"]["emailLower"] = user.email_lower
            else:
                update["$unset"] = {"emailLower": ""}
            operations.append(UpdateOne({"userId": user.user_id}, update, upsert=True))
        if not operations:
            return 0
        written = 0
        for attempt in range(2):
            try:
                with translate_errors("upsert users"):
                    result = self.collection.bulk_write(operations, ordered=False)
                    written = result.upserted_count + result.matched_count
                break
            except BulkWriteError as err:
                # Two first upserts of one userId at once: the loser's insert hits the
                # unique index; repeated, it matches the winner's entry and updates it.
                codes = {e.get("code") for e in err.details.get("writeErrors", [])}
                if attempt or not codes <= {11000, 11001}:
                    logger.error(
                        "users upsert failed with codes %s", sorted(map(str, codes))
                    )
                    raise RepositoryError("users could not be stored") from err
        logger.info("users upserted=%d", written)
        return written

    def delete_many(self, user_ids: Sequence[str]) -> int:
        """Remove entries by id (missing ids are ignored); returns how many went."""
        if not user_ids:
            return 0
        with translate_errors("delete users"):
            deleted = self.collection.delete_many(
                {"userId": {"$in": list(user_ids)}}
            ).deleted_count
        logger.info("users deleted=%d", deleted)
        return deleted
