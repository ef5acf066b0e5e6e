"""Exporting everything stored about one user as one JSON-ready document."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from ..directory import get_directory
from ..progress import Progress
from ..repository.base import Document
from .families import FAMILIES
from .scan import _files, _scan

logger = logging.getLogger(__name__)


def _json_ready(value: Any) -> Any:
    """File records may hold datetimes and ObjectIds: written as text."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items() if k != "_id"}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def export_user_data(
    user_id: str, organization_id: str | None = None, progress: Progress | None = None
) -> Document:
    """Every record that mentions the user, as one JSON-ready document:
    ``{userId, organizationId, exportedAt, comments: [...], reactions, recordings,
    activities, notifications, files, user}``. Each record entry holds its
    ``organizationId``, id, ``documentId``, ``involvement`` (how the user takes part:
    ``author``, ``tagged``, ``reactor``, ``mentioned`` …) and its ``payload`` as Velt
    sent it (so also what other users wrote in the same thread).

    ``organization_id`` limits the records to one organization (the directory entry is
    global and always included). Raises the repositories' errors.
    """
    progress = progress or Progress.silent()
    now = datetime.datetime.now(datetime.timezone.utc)
    export: Document = {
        "userId": user_id,
        "organizationId": organization_id,
        "exportedAt": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    for family in FAMILIES:
        export[family.name] = []
    for found in _scan(user_id, organization_id, progress):
        repo = found.family.repository
        export[found.family.name].append(
            {
                "organizationId": found.record.organization_id,
                repo.id_field: found.record.record_id,
                "documentId": found.record.document_id,
                "involvement": found.roles,
                "payload": found.record.payload,
            }
        )
    export["files"] = [_json_ready(r) for r in _files(user_id, organization_id)]
    export["user"] = get_directory().get_users([user_id], None).get(user_id)
    logger.info(
        "gdpr export user=%s org=%s records=%d",
        user_id,
        organization_id,
        sum(len(export[f.name]) for f in FAMILIES),
    )
    return export
