"""Request validation for ``activities/get|save`` (docs/activities.md)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import InvalidInput
from ..repository.base import RecordWrite
from .base import (
    document_of,
    event_value,
    id_list,
    id_value,
    optional_object,
    organization_of,
    record_writes,
)

logger = logging.getLogger(__name__)

#: The id key inside an activity payload.
ID_KEY = "id"
SAVE_FIELD = "activity"


@dataclass
class ActivityQuery:
    """An ``activities/get``: ``organization_id`` may be ``None`` (the get then spans the
    organizations the caller may read)."""

    organization_id: str | None
    ids: list[str] = field(default_factory=list)
    document_ids: list[str] = field(default_factory=list)

    @property
    def has_selector(self) -> bool:
        return bool(self.ids or self.document_ids)


@dataclass
class ActivitySave:
    records: list[RecordWrite]
    event: str | None = None


def parse_get(body: dict[str, Any]) -> ActivityQuery:
    """``{organizationId?, activityIds?, documentIds?}``: every field optional."""
    return ActivityQuery(
        organization_id=id_value(body.get("organizationId"), "organizationId"),
        ids=id_list(body.get("activityIds"), "activityIds"),
        document_ids=id_list(body.get("documentIds"), "documentIds"),
    )


def parse_save(body: dict[str, Any]) -> ActivitySave:
    """``{activity, event, metadata, organizationId}`` (docs/activities.md).

    A record's organization comes from its own metadata, then the request's metadata,
    then the top-level ``organizationId`` (docs/wire-protocol.md, "The organization of a
    request"); a record with none fails the whole request. The map key is the record id
    and wins over the payload's ``id``.
    """
    records_map = body.get(SAVE_FIELD)
    if records_map is None:
        raise InvalidInput(f"{SAVE_FIELD} is required")
    request_md = optional_object(body.get("metadata"), "metadata")
    # Both are validated even when the first wins: an operator object is refused
    # wherever it appears.
    top_level_org = id_value(body.get("organizationId"), "organizationId")
    records = record_writes(
        records_map,
        SAVE_FIELD,
        ID_KEY,
        "activities",
        organization_of(request_md, "metadata") or top_level_org,
        document_of(request_md, "metadata"),
        with_folder=False,
    )
    return ActivitySave(records=records, event=event_value(body.get("event")))
