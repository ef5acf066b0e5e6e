"""``activities/get|save`` (docs/activities.md); ``activities/delete`` always answers
405."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from django.http import HttpResponse
from rest_framework.request import Request

from .. import responses
from ..exceptions import ResolverError
from ..repository.activities import ActivityRepository, FoundActivity
from ..repository.backend import resolve
from ..validation.activities import parse_get, parse_save
from .base import ResolverView

logger = logging.getLogger(__name__)

FAMILY = "activities"


class GetActivitiesView(ResolverView):
    """Activities by ids ∪ documents, of one organization or, without ``organizationId``,
    of every organization the policy allows."""

    action = "get"

    def handle(self, request: Request, body: Any) -> HttpResponse:
        query = parse_get(body)
        org = query.organization_id
        if org is not None:
            self.authorize(request, org, query.document_ids)
        elif not query.has_selector:
            # Without an organization or a selector: never a dump of every organization.
            return responses.success({})
        found = resolve(ActivityRepository)().find(org, query.ids, query.document_ids)
        by_org: dict[str, list[FoundActivity]] = defaultdict(list)
        for record in found:
            by_org[record.organization_id].append(record)
        data: dict[str, Any] = {}
        for record_org, records in sorted(by_org.items()):
            if org is None and not self.is_allowed(request, record_org):
                # Records of organizations the caller may not read are left out; the
                # policy is asked once per organization found, before its records go in.
                continue
            if self.document_scoped:
                checked = query.document_ids if org is not None else []
                records = self.drop_refused_documents(
                    request, record_org, records, checked
                )
            data.update(self.filtered(request, record_org, records))
        logger.info(
            "activities get org=%s found=%d returned=%d",
            org or "-",
            len(found),
            len(data),
        )
        return responses.success(data)

    def filtered(
        self, request: Request, organization_id: str, records: list[FoundActivity]
    ) -> dict[str, Any]:
        """The ``data`` entries of one organization, after ``READ_FILTER``."""
        data = {record.record_id: record.payload for record in records}
        return self.read_filtered(request, FAMILY, organization_id, data)


class SaveActivitiesView(ResolverView):
    """Append-only save: new activities are stored, existing ones only gain the keys
    they lack (see ``ActivityRepository.save_many``)."""

    action = "save"

    def handle(self, request: Request, body: Any) -> HttpResponse:
        save = parse_save(body)
        repo = resolve(ActivityRepository)()
        # A save adds keys to the stored record, which keeps its document: a
        # document-scoped policy sees that document too.
        orgs = self.authorize_records(request, save.records, repo)
        if save.records:
            repo.save_many(save.records, event=save.event)
            for org in orgs:
                ids = [r.record_id for r in save.records if r.organization_id == org]
                self.notify_written("saved", FAMILY, org, ids, save.event)
        logger.info(
            "activities save orgs=%s records=%d event=%s",
            ",".join(orgs),
            len(save.records),
            save.event,
        )
        return responses.success()


class DeleteActivitiesView(ResolverView):
    """``activities/delete`` does not exist (activity is append-only, see
    docs/activities.md): every method answers 405 in the envelope, before
    authentication, so a client configured with a delete URL learns that at once.
    ``OPTIONS`` stays a CORS preflight so a browser can read that answer."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if request.method != "OPTIONS":
            raise ResolverError(
                "Activities are append-only: there is no activities/delete. Remove "
                "the delete endpoint from the activity data provider.",
                status_code=405,
                error_code="METHOD_NOT_ALLOWED",
            )
        super().initial(request, *args, **kwargs)
