"""Serving support of the private file route (:mod:`velt_django.views.downloads`): a
redirect to a short-lived presigned URL for S3 storages; every other storage is
streamed through Django."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.files.storage import Storage

from ..conf import velt_settings
from ..exceptions import StorageError
from .storage import storage_of

logger = logging.getLogger(__name__)


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
