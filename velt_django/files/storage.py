"""Where files live and how they get there and go (docs/files.md, "Where it lands" and
"Colliding ids and deletes"): the storage of a file scope or of a stored record, and the
store/remove steps between Django's storage API and the file records of
:class:`~velt_django.repository.files.FileRepository`."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.core.files.storage.handler import InvalidStorageError
from django.http import HttpRequest

from ..conf import velt_settings
from ..exceptions import DuplicateRecordError, StorageError, VeltConfigurationError
from ..repository.backend import resolve
from ..repository.files import AttachmentId, FileRepository
from .content_types import stored_content_type
from .keys import new_public_id, new_storage_key
from .signing import private_url

logger = logging.getLogger(__name__)


def get_storage(scope: str) -> Storage:
    """The storage of a scope: the ``STORAGES`` entry named by ``VELT[<SCOPE>_STORAGE]``."""
    alias = velt_settings.storage_alias(scope)
    try:
        return storages[alias]
    except InvalidStorageError as err:
        raise VeltConfigurationError(
            f"VELT[{scope.upper() + '_STORAGE'!r}] names {alias!r}, which is not in STORAGES"
        ) from err


def storage_of(record: Mapping[str, Any]) -> Storage:
    """The storage a file was saved to (its record names the ``STORAGES`` key)."""
    alias = str(record.get("storage") or "default")
    try:
        return storages[alias]
    except InvalidStorageError:
        logger.error(
            "%s file org=%s: its storage %r is not configured",
            record.get("scope"),
            record.get("organizationId"),
            alias,
        )
        raise StorageError("storage missing") from None


# Store and remove
@dataclass(frozen=True)
class StoredFile:
    """The outcome of :func:`store`: the URL for Velt, the file's public id, and
    whether this call stored it (``False``: an identical earlier upload was found)."""

    url: str
    public_id: str
    created: bool


def _found(existing: Mapping[str, Any]) -> StoredFile:
    return StoredFile(str(existing["url"]), str(existing["publicId"]), False)


def store(
    request: HttpRequest,
    *,
    scope: str,
    content: File,  # type: ignore[type-arg]
    size: int,
    sha256: str,
    record: Mapping[str, Any],
) -> StoredFile:
    """Store an upload and its record.

    ``record`` holds the fields the request determined (organizationId, documentId,
    attachmentId, name, mimeType, …). An identical earlier upload (same organization,
    scope, document, attachment id and bytes) is answered with its URL, and the object
    this call wrote is removed again (the insert finds the retry). The object is
    written first, under a new key; if the write fails
    part way, what it left under the key is removed, and if the record then cannot be
    written, the object is removed again, so no record points at a missing object and
    no object outlives a failed request.
    """
    repo = resolve(FileRepository)()
    org = str(record["organizationId"])
    doc = record.get("documentId")
    attachment_id: AttachmentId = record["attachmentId"]
    # No lookup first: the record's unique retry key (organization, scope, document,
    # attachment id, bytes) finds a retry when the insert below is refused, so a new
    # upload costs one database round trip, and a retry (rare: Velt retries after a 5xx
    # or a timeout) an object written and removed again plus one more.
    storage = get_storage(scope)
    key = new_storage_key(scope, org, doc)
    public_id = new_public_id()
    content.content_type = stored_content_type(str(record.get("mimeType") or ""))  # type: ignore[attr-defined]
    try:
        saved = storage.save(key, content)
    except Exception as err:
        # The message of a storage error may hold the key or a URL; log the type only.
        logger.error(
            "%s upload org=%s: storage write failed (%s)",
            scope,
            org,
            type(err).__name__,
        )
        # A write that failed part way (a full disk) may have left part of the bytes
        # under the new key, which nothing else uses: remove them.
        _delete_quietly(storage, key, scope, org)
        raise StorageError("storage write failed") from err

    if velt_settings.FILE_URL_MODE == "public":
        url = storage.url(saved)
    else:
        url = private_url(request, public_id, org, str(record.get("name") or "file"))
    full = {
        **record,
        "scope": scope,
        "size": size,
        "sha256": sha256,
        "storage": velt_settings.storage_alias(scope),
        "storageKey": saved,
        "publicId": public_id,
        "url": url,
        "createdAt": datetime.now(timezone.utc),
    }
    try:
        repo.insert(full)
    except DuplicateRecordError:
        # A retry, or an identical upload that raced this one and won: keep its
        # object, drop ours.
        _delete_quietly(storage, saved, scope, org)
        existing = repo.find_retry(org, scope, doc, attachment_id, sha256)
        if existing is None:
            raise
        logger.info("%s upload org=%s is a retry; answered with the first", scope, org)
        return _found(existing)
    except BaseException:
        _delete_quietly(storage, saved, scope, org)
        raise
    return StoredFile(url, public_id, True)


def _delete_quietly(storage: Storage, key: str, scope: str, org: str) -> None:
    try:
        storage.delete(key)
    except Exception as err:
        logger.error(
            "%s upload org=%s: could not remove an orphaned object (%s)",
            scope,
            org,
            type(err).__name__,
        )


def remove_file(record: Mapping[str, Any]) -> None:
    """Delete a file: the storage object first, then the record.

    A storage failure raises :class:`~velt_django.exceptions.StorageError` and keeps the
    record, so the delete can be retried. Records of external files (imported, hosted
    elsewhere) have no object of ours; only the record goes.
    """
    org = str(record["organizationId"])
    scope = str(record.get("scope") or "attachment")
    if not record.get("external"):
        alias = str(record.get("storage") or velt_settings.storage_alias(scope))
        try:
            storages[alias].delete(str(record["storageKey"]))
        except Exception as err:
            logger.error(
                "%s delete org=%s: storage delete failed (%s)",
                scope,
                org,
                type(err).__name__,
            )
            raise StorageError("storage delete failed") from err
    resolve(FileRepository)().delete(str(record["storageKey"]), org)


def external_record(
    *,
    organization_id: str,
    url: str,
    attachment_id: AttachmentId,
    scope: str = "attachment",
    document_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """The record of a file velt_django does not host (e.g. imported from velt-py), for
    :meth:`FileRepository.import_external`; its keys are derived, so importing it again
    finds the same record."""
    digest = hashlib.sha256(
        "\n".join(
            [organization_id, scope, document_id or "", str(attachment_id), url]
        ).encode()
    ).hexdigest()
    return {
        **fields,
        "organizationId": organization_id,
        "scope": scope,
        "documentId": document_id,
        "attachmentId": attachment_id,
        "url": url,
        "external": True,
        "storageKey": "external:" + digest,
        "publicId": "x" + digest[:21],
        "sha256": "external:" + digest,
        "createdAt": datetime.now(timezone.utc),
    }
