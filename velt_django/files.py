"""Files of Velt's ``attachment`` and ``recorder.storage`` providers (CONTRACT §9-§11):
storage keys, names, URLs, and the store/remove steps between Django's storage API and
the file records of :class:`~velt_django.repository.files.FileRepository`.

Storage keys are made here and never from anything the client names:
``<FILE_KEY_PREFIX><scope>/<organization>/<document>/<random id>``, where organization and
document are kept as they are when they are short and plain (``[A-Za-z0-9_-]``), else
replaced by a digest. The client's file name is kept in the record only.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from django.core import signing
from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.core.files.storage.handler import InvalidStorageError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from .conf import velt_settings
from .exceptions import DuplicateRecordError, StorageError, VeltConfigurationError
from .repository.files import AttachmentId, FileRepository

logger = logging.getLogger(__name__)

#: Stored ``scope`` values (§9.1).
SCOPES = ("attachment", "recording")

_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{22}")
_URL_SALT = "velt_django.files.url"
#: Longest file name kept (in the record, the URL and ``Content-Disposition``).
MAX_NAME_LENGTH = 200


def get_storage(scope: str) -> Storage:
    """The storage of a scope: the ``STORAGES`` entry named by ``VELT[<SCOPE>_STORAGE]``."""
    alias = velt_settings.storage_alias(scope)
    try:
        return storages[alias]
    except InvalidStorageError as err:
        raise VeltConfigurationError(
            f"VELT[{scope.upper() + '_STORAGE'!r}] names {alias!r}, which is not in STORAGES"
        ) from err


# Names and keys
def clean_name(name: str | None) -> str:
    """A client's file name made safe to keep, show and send back in a header: the last
    path component only, control and format characters and quotes removed, at most
    :data:`MAX_NAME_LENGTH` characters; ``"file"`` when nothing is left."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(
        ch for ch in text if unicodedata.category(ch)[0] != "C" and ch not in '"<>'
    ).strip(" .")
    return text[:MAX_NAME_LENGTH] or "file"


def _segment(value: str | None) -> str:
    if value is None:
        return "_"
    if _PLAIN_SEGMENT.fullmatch(value):
        return value
    return "h-" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


def new_storage_key(scope: str, organization_id: str, document_id: str | None) -> str:
    """A fresh key no upload has had before (128 random bits)."""
    return f"{velt_settings.FILE_KEY_PREFIX}{scope}/{_segment(organization_id)}/{_segment(document_id)}/{secrets.token_urlsafe(16)}"


#: ``<organization>/<document>/<random id>`` of a key (the id has a public id's shape).
_KEY_TAIL = re.compile(
    f"{_PLAIN_SEGMENT.pattern}/{_PLAIN_SEGMENT.pattern}/{_PUBLIC_ID.pattern}"
)


def is_storage_key(name: str, scope: str) -> bool:
    """Whether ``name`` has the shape of a key :func:`new_storage_key` makes for
    ``scope`` under the current ``FILE_KEY_PREFIX``."""
    head = f"{velt_settings.FILE_KEY_PREFIX}{scope}/"
    return name.startswith(head) and bool(_KEY_TAIL.fullmatch(name[len(head) :]))


def new_public_id() -> str:
    """The capability part of a private URL: 22 characters, 128 random bits."""
    return secrets.token_urlsafe(16)


def is_public_id(value: str) -> bool:
    return bool(_PUBLIC_ID.fullmatch(value))


# Content types
def _matches(content_type: str, patterns: list[str]) -> bool:
    major = content_type.split("/", 1)[0]
    return any(p == content_type or p == f"{major}/*" for p in patterns)


def base_type(content_type: str | None) -> str:
    """``"Text/HTML; charset=utf-8"`` → ``"text/html"``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def type_allowed(content_type: str) -> bool:
    """The upload allowlist/denylist (``FILE_ALLOWED_TYPES``/``FILE_DENIED_TYPES``)."""
    ct = base_type(content_type)
    if _matches(ct, velt_settings.FILE_DENIED_TYPES):
        return False
    allowed = velt_settings.FILE_ALLOWED_TYPES
    return not allowed or _matches(ct, allowed)


def served_inline(content_type: str) -> bool:
    """Whether the private route may let a browser render the type; every other type,
    HTML and SVG included, is served as a download (``FILE_INLINE_TYPES``)."""
    return _matches(base_type(content_type), velt_settings.FILE_INLINE_TYPES)


def stored_content_type(content_type: str) -> str:
    """The type given to the storage object: the declared one when it is safe inline,
    else ``application/octet-stream`` (a public bucket then never renders HTML/SVG)."""
    return (
        base_type(content_type)
        if served_inline(content_type)
        else ("application/octet-stream")
    )


# URLs
def url_signature(
    public_id: str, organization_id: str, key: str | bytes | None = None
) -> str:
    """HMAC of the file's public id and organization with ``SECRET_KEY`` (or ``key``)."""
    signer = signing.Signer(salt=_URL_SALT, algorithm="sha256")
    return signer.signature(f"{public_id}\n{organization_id}", key)


def signature_valid(public_id: str, organization_id: str, signature: str) -> bool:
    """Check ``signature`` against ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``."""
    if not signature:
        return False
    signer = signing.Signer(salt=_URL_SALT, algorithm="sha256")
    return any(
        constant_time_compare(signature, url_signature(public_id, organization_id, key))
        for key in [signer.key, *signer.fallback_keys]
    )


def private_url(
    request: HttpRequest, public_id: str, organization_id: str, name: str
) -> str:
    """The stable URL handed to Velt in private mode (§9.5)."""
    path = reverse("velt:file", kwargs={"public_id": public_id, "name": name})
    if "signature" in velt_settings.FILE_ACCESS:
        path += "?sig=" + url_signature(public_id, organization_id)
    base = velt_settings.FILE_URL_BASE
    return base + path if base else request.build_absolute_uri(path)


def public_id_of_url(url: str) -> str | None:
    """The public id inside one of our private URLs, or ``None``."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    for i, part in enumerate(parts[:-1]):
        if part == "f" and is_public_id(parts[i + 1]):
            return parts[i + 1]
    return None


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
    """Store an upload and its record (§9.4).

    ``record`` holds the fields the request determined (organizationId, documentId,
    attachmentId, name, mimeType, …). An identical earlier upload (same organization,
    scope, document, attachment id and bytes) is found and its URL returned without
    storing anything. The object is written first, under a new key; if the record then
    cannot be written, the object is removed again, so no record points at a missing
    object and no object outlives a failed request.
    """
    repo = FileRepository()
    org = str(record["organizationId"])
    doc = record.get("documentId")
    attachment_id: AttachmentId = record["attachmentId"]
    existing = repo.find_retry(org, scope, doc, attachment_id, sha256)
    if existing is not None:
        logger.info("%s upload org=%s is a retry; nothing stored", scope, org)
        return _found(existing)

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
        # An identical upload raced this one and won: keep its object, drop ours.
        _delete_quietly(storage, saved, scope, org)
        existing = repo.find_retry(org, scope, doc, attachment_id, sha256)
        if existing is None:
            raise
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
    """Delete a file: the storage object first, then the record (§9.6 step 3).

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
    FileRepository().delete(str(record["storageKey"]), org)


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


# Serving
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


def _redirects(storage: Storage) -> bool:
    """Whether files of ``storage`` are served by a redirect to a presigned URL
    (django-storages' S3 backend) rather than streamed through Django."""
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # the s3 extra is not installed
        return False
    return isinstance(storage, S3Storage)


def presigned_url(
    record: Mapping[str, Any], content_type: str, disposition: str, *, head: bool
) -> str | None:
    """A short-lived URL of the object (``FILE_REDIRECT_SECONDS``) that answers with
    ``content_type`` and ``disposition``, or ``None`` when the file's storage is
    streamed through Django instead (anything but S3)."""
    storage = storage_of(record)
    if not _redirects(storage):
        return None
    try:
        url: str = storage.url(  # type: ignore[call-arg]
            str(record["storageKey"]),
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
            },
            expire=velt_settings.FILE_REDIRECT_SECONDS,
            # S3 signs the method: a HEAD sent to a URL presigned for GET fails with
            # 403, so a HEAD is redirected to a URL signed for HEAD.
            http_method="HEAD" if head else None,
        )
    except Exception as err:
        logger.error(
            "%s file org=%s: presign failed (%s)",
            record.get("scope"),
            record.get("organizationId"),
            type(err).__name__,
        )
        raise StorageError("presign failed") from err
    return url
