"""``notifications/get|delete`` (docs/notifications.md). There is no save route:
notification PII is written server-side through :mod:`velt_django.notifications`."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpResponse
from rest_framework.request import Request

from .. import responses
from ..repository.backend import resolve
from ..repository.notifications import NotificationRepository
from ..validation.notifications import parse_delete, parse_get
from .base import ResolverView
from .reads import RecordGetView

logger = logging.getLogger(__name__)

FAMILY = "notifications"


class GetNotificationsView(RecordGetView):
    """Payloads of one organization by ``notificationIds``.

    Velt asks once per organization for the "For You" feed, so the organization
    of the request is the organization of every record returned: the policy is asked
    for it before the read, and the read is confined to it. A request with ids and no
    organization is the org-less get (docs/wire-protocol.md, "Requests without an
    organization").
    """

    action = "get"

    def handle(self, request: Request, body: Any) -> HttpResponse:
        query = parse_get(body)
        org = query.organization_id
        repo = resolve(NotificationRepository)()
        if org is None:
            data = self.orgless_get(request, repo, query.notification_ids, FAMILY)
        else:
            # Asked even when no ids are sent, so an outsider learns nothing from the
            # answer. Notifications are stored under no document: a document-scoped
            # policy is asked with none, and there is no per-document post-filter.
            self.authorize(request, org)
            data = repo.get_by_ids(org, query.notification_ids)
            data = self.read_filtered(request, FAMILY, org, data)
        logger.info(
            "%s get org=%s asked=%d returned=%d",
            FAMILY,
            org or "-",
            len(query.notification_ids),
            len(data),
        )
        return responses.success(data)


class DeleteNotificationsView(ResolverView):
    """Removes one notification; missing records and retries answer 200."""

    action = "delete"

    def handle(self, request: Request, body: Any) -> HttpResponse:
        delete = parse_delete(body)
        repo = resolve(NotificationRepository)()
        notification_id = delete.notification_id
        if delete.organization_id is not None:
            self.authorize(request, delete.organization_id)
            deleted = repo.delete(delete.organization_id, notification_id)
            deleted_in = [delete.organization_id] if deleted else []
        else:
            # Org-less delete: only in organizations this caller may delete from.
            allowed = [
                org
                for org, _doc in repo.locate(notification_id)
                if self.is_allowed(request, org)
            ]
            deleted = repo.delete_in_organizations(notification_id, allowed)
            deleted_in = allowed if deleted else []
        for org in deleted_in:
            self.notify_written("deleted", FAMILY, org, [notification_id], delete.event)
        logger.info(
            "%s delete id=%s org=%s event=%s deleted=%d",
            FAMILY,
            notification_id,
            delete.organization_id or "-",
            delete.event,
            deleted,
        )
        return responses.success()
