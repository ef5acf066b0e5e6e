"""Uploaded files (docs/files.md): one record per stored object, both scopes in one
collection (``velt_files``) told apart by ``scope``.

A record links the storage object (``storageKey``, in the storage named by ``storage``)
to where Velt uses it (organization, document, the attachment id Velt generated) and to
the stable URL handed to Velt (``publicId``, ``url``). The bytes are never here.

Attachment ids are random six-digit numbers and collide (docs/files.md, "Colliding ids
and deletes"), so nothing is keyed by them: the unique keys are the storage key, the
public id, and the retry key (organization, scope, document, attachment id, SHA-256 of
the bytes). The retry key makes
an identical re-upload find the first one, even when the two race.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, ClassVar

from pymongo import ASCENDING, IndexModel

from ..conf import velt_settings
from .base import BaseRepository, Document
from .errors import translate_errors
from .keys import escape_value

#: Stored fields never returned to callers of the repository.
_HIDDEN = {"_id": 0}

#: ``uploadedByKind`` of records whose ``uploadedBy`` is a Velt user id (every record
#: written since the field exists; older ones may hold a session user's Django pk).
UPLOADER_VELT_ID = "velt"

#: An attachment id as normalized on upload and delete (integers, integral floats and
#: digit strings become integers): an integer, or a non-numeric string.
AttachmentId = int | str

#: The most records a file delete considers within one organization, and across all
#: of them (an org-less delete: six-digit ids recur in other organizations, about once
#: per 900 000 files stored).
CANDIDATE_LIMIT = 100
ORGLESS_CANDIDATE_LIMIT = 1000


def candidate_limit(organization_id: str | None) -> int:
    """How many records :meth:`FileRepository.candidates` returns at most: more for an
    org-less delete, which looks in every organization."""
    return ORGLESS_CANDIDATE_LIMIT if organization_id is None else CANDIDATE_LIMIT


def legacy_uploader_ids(
    user_id: str, legacy_ids: Sequence[str], legacy_self: bool
) -> list[str]:
    """The ``uploadedBy`` values that name ``user_id`` on records written before
    ``uploadedByKind`` existed (see :meth:`FileRepository.find_by_uploader`)."""
    legacy = [i for i in dict.fromkeys(legacy_ids) if i != user_id]
    if legacy_self:
        legacy.append(user_id)
    return legacy


class FileRepository(BaseRepository):
    """``velt_files``: the file records of both scopes (``attachment``, ``recording``)."""

    collection_suffix = "files"
    id_field: ClassVar[str] = "publicId"

    indexes: ClassVar[Sequence[IndexModel]] = (
        IndexModel([("storageKey", ASCENDING)], unique=True, name="storage_key_unique"),
        IndexModel([("publicId", ASCENDING)], unique=True, name="public_id_unique"),
        # Retry detection (an identical re-upload) and, by its prefix, the delete
        # candidates.
        IndexModel(
            [
                ("organizationId", ASCENDING),
                ("scope", ASCENDING),
                ("documentId", ASCENDING),
                ("attachmentId", ASCENDING),
                ("sha256", ASCENDING),
            ],
            unique=True,
            name="org_scope_document_attachment_sha_unique",
        ),
        # Deletes that select by URL within an organization (``url`` narrows the
        # candidates, or selects them without an attachment id).
        IndexModel(
            [("organizationId", ASCENDING), ("scope", ASCENDING), ("url", ASCENDING)],
            name="org_scope_url",
        ),
        # Org-less deletes (docs/files.md, "Colliding ids and deletes") look an
        # attachment id up in every organization.
        IndexModel(
            [("attachmentId", ASCENDING), ("scope", ASCENDING)],
            name="attachment_scope",
        ),
        # GDPR exports and deletes look files up by the user who uploaded them.
        IndexModel([("uploadedBy", ASCENDING)], name="uploaded_by"),
    )

    # Reads
    def by_public_id(self, public_id: str) -> Document | None:
        """The record behind a stable URL, or ``None``."""
        with translate_errors("find_one"):
            return self.collection.find_one({"publicId": public_id}, _HIDDEN)

    def find_retry(
        self,
        organization_id: str,
        scope: str,
        document_id: str | None,
        attachment_id: AttachmentId,
        sha256: str,
    ) -> Document | None:
        """An earlier upload of the same bytes under the same organization, scope, id
        and document: a retry, answered with that upload's URL."""
        query = {
            "organizationId": organization_id,
            "scope": scope,
            "documentId": document_id,
            "attachmentId": attachment_id,
            "sha256": sha256,
        }
        with translate_errors("find_one"):
            return self.collection.find_one(query, _HIDDEN)

    def candidates(
        self,
        organization_id: str | None,
        scope: str,
        *,
        attachment_id: AttachmentId | None = None,
        document_id: str | None = None,
        url: str | None = None,
        public_id: str | None = None,
    ) -> list[Document]:
        """The records a file delete may mean, within one scope and one
        organization, or, for an org-less delete (``organization_id=None``), in every
        organization: the caller then keeps those the access policy allows.
        ``url``/``public_id`` narrow (or, without an attachment id, select);
        ``document_id`` narrows when given."""
        query: dict[str, Any] = {"scope": scope}
        if organization_id is not None:
            query["organizationId"] = organization_id
        if attachment_id is not None:
            query["attachmentId"] = attachment_id
        if document_id is not None:
            query["documentId"] = document_id
        if public_id is not None and url is not None:
            query["$or"] = [{"publicId": public_id}, {"url": url}]
        elif public_id is not None:
            query["publicId"] = public_id
        elif url is not None:
            query["url"] = url
        limit = candidate_limit(organization_id)
        with translate_errors("find"):
            return list(self.collection.find(query, _HIDDEN).limit(limit))

    def stored_keys(self, storage_keys: Sequence[str]) -> set[str]:
        """Which of ``storage_keys`` a record points to (one query on the unique index)."""
        if not storage_keys:
            return set()
        with translate_errors("find"):
            return {
                str(doc["storageKey"])
                for doc in self.collection.find(
                    {"storageKey": {"$in": list(storage_keys)}},
                    {"_id": 0, "storageKey": 1},
                )
            }

    def find_by_uploader(
        self, user_id: str, legacy_ids: Sequence[str] = (), *, legacy_self: bool = True
    ) -> list[Document]:
        """Every file record whose upload was made by Velt user ``user_id`` (GDPR).

        Records written before ``uploadedByKind`` existed hold either a token's ``sub``
        or a session uploader's Django primary key. ``legacy_ids`` (the user's pk) match
        such records; ``legacy_self=False`` stops ``user_id`` itself from matching them
        (when ``user_id`` is another Django user's pk, they are that user's uploads).
        """
        branches: list[dict[str, Any]] = [
            {"uploadedBy": user_id, "uploadedByKind": UPLOADER_VELT_ID}
        ]
        legacy = legacy_uploader_ids(user_id, legacy_ids, legacy_self)
        if legacy:
            branches.append(
                {"uploadedBy": {"$in": legacy}, "uploadedByKind": {"$exists": False}}
            )
        query = branches[0] if len(branches) == 1 else {"$or": branches}
        with translate_errors("find"):
            return list(self.collection.find(query, _HIDDEN))

    # Writes
    @staticmethod
    def escape_extra(extra: Document) -> Document:
        """The client's extra attachment fields (keys of the upload's ``attachment``
        other than its id, name and type) in their stored form (keys escaped like
        payloads, see :mod:`.keys`). Raises
        :class:`~velt_django.exceptions.InvalidRecordError` for what BSON cannot hold."""
        escaped, _changed = escape_value(extra, velt_settings.MAX_PAYLOAD_DEPTH)
        return dict(escaped)

    def insert(self, record: Document) -> None:
        """Store a new record; a record with the same retry key or storage key raises
        :class:`~velt_django.exceptions.DuplicateRecordError`."""
        with translate_errors("insert_one"):
            self.collection.insert_one(dict(record))

    def delete(self, storage_key: str, organization_id: str) -> int:
        """Remove one record, only while it still belongs to ``organization_id``."""
        with translate_errors("delete_one"):
            result = self.collection.delete_one(
                {"storageKey": storage_key, "organizationId": organization_id}
            )
            return result.deleted_count

    def flag_delete_requested(self, storage_keys: Sequence[str]) -> int:
        """Mark ambiguous delete candidates (several files match one delete) with
        ``deleteRequestedAt`` instead of deleting any."""
        if not storage_keys:
            return 0
        with translate_errors("update_many"):
            result = self.collection.update_many(
                {"storageKey": {"$in": list(storage_keys)}},
                {"$set": {"deleteRequestedAt": datetime.now(timezone.utc)}},
            )
            return result.modified_count

    def import_external(self, record: Document) -> bool:
        """Upsert the record of a file that lives outside velt_django's storage (e.g.
        imported from velt-py, whose URLs point at its own bucket). Idempotent: the
        record is keyed by its storage key (``external:`` + a digest of organization,
        scope, document, attachment id and URL, see :func:`velt_django.files.
        external_record`). Returns whether a new record was inserted."""
        with translate_errors("update_one"):
            result = self.collection.update_one(
                {"storageKey": record["storageKey"]},
                {"$setOnInsert": dict(record)},
                upsert=True,
            )
            return result.upserted_id is not None
