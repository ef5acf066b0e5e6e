"""``RecordGetView``: what the gets of the annotation families and of notifications
share beyond :class:`ResolverView`: the org-less get by id and the private-thread rule."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any, ClassVar

from rest_framework.request import Request

from .. import visibility
from ..access import principal_id
from ..repository.annotations import AnnotationRepository, FoundRecord
from .base import ResolverView

logger = logging.getLogger(__name__)


class RecordGetView(ResolverView):
    """A get of records keyed by organization and id."""

    action = "get"
    #: Whether a stored ``visibilityConfig`` narrows who receives a record
    #: (:mod:`velt_django.visibility`); comment threads only.
    private_threads: ClassVar[bool] = False

    def visible(
        self, request: Request, organization_id: str, found: list[FoundRecord]
    ) -> list[FoundRecord]:
        """``found`` without the private threads the caller may not see."""
        if not self.private_threads:
            return found
        user_id = principal_id(request)
        decisions: dict[str, bool] = {}

        def may_read(org: str) -> bool:
            if org not in decisions:
                decisions[org] = self.is_allowed(request, org)
            return decisions[org]

        kept = [
            record
            for record in found
            if visibility.is_visible(record.payload, organization_id, user_id, may_read)
        ]
        if len(kept) != len(found):
            logger.info(
                "%s get org=%s hid=%d private threads",
                type(self).__name__,
                organization_id,
                len(found) - len(kept),
            )
        return kept

    def orgless_get(
        self,
        request: Request,
        repository: AnnotationRepository,
        ids: list[str],
        family: str,
    ) -> dict[str, Any]:
        """The org-less get by id: the records with these ids, looked up only in the
        organizations the policy lets this caller read (asked once per organization
        that holds one of them, with the documents for a document-scoped policy),
        then the private-thread rule and the read filter, as a named get applies them.

        An organization the caller may not read is simply absent. An id the caller
        could read in two organizations is left out (the answer holds one record per
        id) and logged by id and organization ids.
        """
        data: dict[str, Any] = {}
        holders: dict[str, list[str]] = defaultdict(list)
        candidates = repository.find_in_any_organization(ids)
        for org, records in sorted(candidates.items()):
            if not self.is_allowed(request, org):
                continue
            if self.document_scoped:
                records = self.drop_refused_documents(request, org, records, [])
            records = self.visible(request, org, records)
            part = self.read_filtered(
                request, family, org, {r.record_id: r.payload for r in records}
            )
            for record_id, payload in part.items():
                holders[record_id].append(org)
                data[record_id] = payload
        for record_id, orgs in holders.items():
            if len(orgs) > 1:
                logger.warning(
                    "%s org-less get: id %s is in %d readable organizations (%s); "
                    "left out",
                    family,
                    record_id,
                    len(orgs),
                    ",".join(orgs),
                )
                del data[record_id]
        return data
