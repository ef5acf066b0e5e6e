"""Get/save/delete views shared by the annotation families (comments, reactions)."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any, ClassVar

from django.http import HttpResponse
from rest_framework.request import Request

from .. import responses
from ..repository.base import AnnotationRepository
from ..serializers.annotations import (
    AnnotationFamily,
    parse_delete,
    parse_get,
    parse_save,
)
from .base import ResolverView

logger = logging.getLogger(__name__)


class AnnotationView(ResolverView):
    """Binds a view to one family's wire names and repository."""

    family: ClassVar[AnnotationFamily]
    repository_class: ClassVar[type[AnnotationRepository]]

    def repository(self) -> AnnotationRepository:
        return self.repository_class()


class AnnotationGetView(AnnotationView):
    """``<family>/get``: payloads of one organization by ids ∪ documents ∪ folder."""

    action = "get"

    def handle(self, request: Request, body: Any) -> HttpResponse:
        query = parse_get(body, self.family)
        self.authorize(request, query.organization_id, query.document_ids)
        data = self.repository().get_many(
            query.organization_id, query.ids, query.document_ids, query.folder_id
        )
        logger.info(
            "%s get org=%s returned=%d",
            self.family.name,
            query.organization_id,
            len(data),
        )
        return responses.success(data)


class AnnotationSaveView(AnnotationView):
    """``<family>/save``: upsert every record with the merge rule (CONTRACT §5.3)."""

    action = "save"
    #: An event that removes one keyed-map entry after the merge: (event, map key).
    entry_delete: ClassVar[tuple[str, str] | None] = None

    def handle(self, request: Request, body: Any) -> HttpResponse:
        save = parse_save(body, self.family)
        documents: dict[str, set[str]] = defaultdict(set)
        for record in save.records:
            docs = documents[record.organization_id]
            if record.document_id is not None:
                docs.add(record.document_id)
        # Every organization is checked before anything is written (CONTRACT §2.5).
        for org, docs in documents.items():
            self.authorize(request, org, sorted(docs))
        remove = None
        if self.entry_delete is not None and save.event == self.entry_delete[0]:
            if save.comment_id is None:
                logger.warning(
                    "%s save: %s without commentId removes nothing",
                    self.family.name,
                    save.event,
                )
            else:
                remove = (self.entry_delete[1], save.comment_id)
        if save.records:
            self.repository().save_many(
                save.records, event=save.event, remove_entry=remove
            )
        logger.info(
            "%s save orgs=%s records=%d event=%s",
            self.family.name,
            ",".join(sorted(documents)),
            len(save.records),
            save.event,
        )
        return responses.success()


class AnnotationDeleteView(AnnotationView):
    """``<family>/delete``: remove one record; missing records and retries answer 200."""

    action = "delete"

    def handle(self, request: Request, body: Any) -> HttpResponse:
        delete = parse_delete(body, self.family)
        repo = self.repository()
        if delete.organization_id is not None:
            docs = [delete.document_id] if delete.document_id else []
            self.authorize(request, delete.organization_id, docs)
            deleted = repo.delete(delete.organization_id, delete.record_id)
        else:
            # Org-less delete (§2.5): only in organizations this caller may delete from.
            allowed = [
                org
                for org in repo.organizations_holding(delete.record_id)
                if self.is_allowed(request, org)
            ]
            deleted = repo.delete_in_organizations(delete.record_id, allowed)
        logger.info(
            "%s delete id=%s org=%s deleted=%d",
            self.family.name,
            delete.record_id,
            delete.organization_id or "-",
            deleted,
        )
        return responses.success()
