"""Request validation for ``notifications/*`` and the server-side notification API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..exceptions import InvalidInput
from .base import (
    event_value,
    id_list,
    id_value,
    optional_object,
    optional_organization,
    organization_of,
)

#: The id key of a notification payload.
ID_KEY = "notificationId"
IDS_FIELD = "notificationIds"


@dataclass
class GetNotificationsRequest:
    #: ``None``: an org-less get by ids (docs/wire-protocol.md, "Requests without an
    #: organization").
    organization_id: str | None
    notification_ids: list[str]


@dataclass
class DeleteNotificationRequest:
    notification_id: str
    organization_id: str | None
    event: str | None = None


def organization_value(value: Any, field: str = "organizationId") -> str:
    """A required organization id (the rules of every id: operators refused)."""
    org = id_value(value, field, required=True)
    assert org is not None
    return org


def parse_get(body: dict[str, Any]) -> GetNotificationsRequest:
    """``{organizationId, notificationIds}`` (docs/notifications.md).

    Missing, ``null`` or empty ``notificationIds`` select nothing; they are not
    an error, because the type declares them required and Velt may still send none.
    Without an organization (missing, ``null`` or blank) the ids are required: that is
    the org-less get by ids.
    """
    org = optional_organization(body.get("organizationId"), "organizationId")
    ids = id_list(body.get(IDS_FIELD), IDS_FIELD)
    if org is None and not ids:
        raise InvalidInput(
            f"organizationId is required unless the request names {IDS_FIELD}"
        )
    return GetNotificationsRequest(organization_id=org, notification_ids=ids)


def parse_delete(body: dict[str, Any]) -> DeleteNotificationRequest:
    """``{notificationId, organizationId}`` at top level (docs/notifications.md).

    The organization falls back to ``metadata`` (``clientOrganizationId`` first, as
    everywhere else); with neither, the view applies the org-less rule.
    """
    notification_id = id_value(body.get(ID_KEY), ID_KEY, required=True)
    assert notification_id is not None
    org = id_value(body.get("organizationId"), "organizationId")
    metadata = optional_object(body.get("metadata"), "metadata")
    if org is None:
        org = organization_of(metadata, "metadata")
    return DeleteNotificationRequest(
        notification_id=notification_id,
        organization_id=org,
        # Informational only: a malformed event is ignored, never refused.
        event=event_value(body.get("event"), strict=False),
    )


def notification_payload(
    value: Any, organization_id: str, field: str = "notification"
) -> tuple[str, dict[str, Any]]:
    """One notification for the server-side write path (docs/notifications.md,
    "Storing notification texts from your backend"): its id and a copy of the payload
    to store.

    The payload must be a JSON object with a ``notificationId``; numbers are written as
    strings like every id. An ``organizationId`` inside the payload (Velt's REST API
    body carries one) must name the organization it is stored under: storing it
    elsewhere would put one organization's text where another reads it.
    Raises :class:`InvalidInput` with a message naming the field, never its content.
    """
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{field} must be an object")
    notification_id = id_value(value.get(ID_KEY), f"{field}.{ID_KEY}", required=True)
    assert notification_id is not None
    own_org = value.get("organizationId")
    if own_org is not None:
        if id_value(own_org, f"{field}.organizationId") != organization_id:
            raise InvalidInput(
                f"{field}.organizationId differs from the organization it is stored under"
            )
    payload = dict(value)
    payload[ID_KEY] = notification_id
    return notification_id, payload
