"""Get/save/delete views shared by the annotation families (comments, reactions,
recordings), bound to a family by its declaration
(:class:`~velt_django.validation.annotations.AnnotationFamily`)."""

from __future__ import annotations

import logging
from typing import Any, ClassVar, NamedTuple, TypeVar

from django.http import HttpResponse
from rest_framework.request import Request

from .. import responses
from ..repository.annotations import AnnotationRepository, PostMerge
from ..repository.backend import resolve
from ..validation.annotations import (
    AnnotationFamily,
    SaveRequest,
    parse_delete,
    parse_get,
    parse_save,
)
from .base import ResolverView
from .reads import RecordGetView

logger = logging.getLogger(__name__)

V = TypeVar("V", bound="AnnotationView")


class AnnotationView(ResolverView):
    """Binds a view to one family's declaration: its wire names and repository."""

    family: ClassVar[AnnotationFamily]
    #: Overrides the declaration's repository (``None``: ``family.repository``).
    repository_class: ClassVar[type[AnnotationRepository] | None] = None

    def repository(self) -> AnnotationRepository:
        return resolve(self.repository_class or self.family.repository)()


class AnnotationGetView(AnnotationView, RecordGetView):
    """``<family>/get``: payloads of one organization by ids ∪ documents ∪ folder, or
    by ids alone in the caller's organizations when the request names none
    (docs/wire-protocol.md, "Requests without an organization")."""

    action = "get"

    def handle(self, request: Request, body: Any) -> HttpResponse:
        query = parse_get(body, self.family)
        org = query.organization_id
        if org is None:
            data = self.orgless_get(
                request, self.repository(), query.ids, self.family.name
            )
            logger.info(
                "%s get org=- asked=%d returned=%d",
                self.family.name,
                len(query.ids),
                len(data),
            )
            return responses.success(data)
        self.authorize(request, org, query.document_ids)
        found = self.repository().find(
            org, query.ids, query.document_ids, query.folder_id
        )
        if self.document_scoped:
            found = self.drop_refused_documents(request, org, found, query.document_ids)
        found = self.visible(request, org, found)
        data = {record.record_id: record.payload for record in found}
        data = self.read_filtered(request, self.family.name, org, data)
        logger.info("%s get org=%s returned=%d", self.family.name, org, len(data))
        return responses.success(data)


class AnnotationSaveView(AnnotationView):
    """``<family>/save``: upsert every record with the merge rule (docs/wire-protocol.md,
    "Merge rule")."""

    action = "save"

    def post_merge(self, save: SaveRequest) -> PostMerge | None:
        """The family's event step for this save, run after the merge, if any."""
        return None

    def handle(self, request: Request, body: Any) -> HttpResponse:
        save = parse_save(body, self.family)
        repo = self.repository()
        orgs = self.authorize_records(request, save.records, repo)
        if save.records:
            repo.save_many(
                save.records, event=save.event, post_merge=self.post_merge(save)
            )
            for org in orgs:
                ids = [r.record_id for r in save.records if r.organization_id == org]
                self.notify_written("saved", self.family.name, org, ids, save.event)
        logger.info(
            "%s save orgs=%s records=%d event=%s",
            self.family.name,
            ",".join(orgs),
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
        record_id = delete.record_id
        scoped = self.document_scoped
        if delete.organization_id is not None:
            org = delete.organization_id
            docs = {delete.document_id} if delete.document_id else set()
            only_in: tuple[str | None] | None = None
            if scoped:
                stored = repo.stored_documents(org, [record_id])
                if record_id in stored:
                    only_in = (stored[record_id],)
                    stored_doc = stored[record_id]
                    if stored_doc is not None:
                        docs.add(stored_doc)
            self.authorize(request, org, sorted(docs))
            deleted = repo.delete(org, record_id, only_in_document=only_in)
            deleted_in = [org] if deleted else []
        else:
            # Org-less delete: only in organizations (and, for a document-scoped
            # policy, documents) this caller may delete from; the delete names the
            # document each decision was made for, so a record moved meanwhile stays.
            checked = {
                org: doc
                for org, doc in repo.locate(record_id)
                if self.is_allowed(request, org, [doc] if scoped and doc else [])
            }
            allowed = sorted(checked)
            deleted = repo.delete_in_organizations(
                record_id, allowed, documents=checked if scoped else None
            )
            deleted_in = allowed if deleted else []
        for org in deleted_in:
            self.notify_written(
                "deleted", self.family.name, org, [record_id], delete.event
            )
        logger.info(
            "%s delete id=%s org=%s event=%s deleted=%d",
            self.family.name,
            record_id,
            delete.organization_id or "-",
            delete.event,
            deleted,
        )
        return responses.success()


class FamilyViews(NamedTuple):
    """The get, save and delete views of one annotation family."""

    get: type[AnnotationGetView]
    save: type[AnnotationSaveView]
    delete: type[AnnotationDeleteView]


def family_views(
    family: AnnotationFamily,
    *,
    get: type[AnnotationGetView] | None = None,
    save: type[AnnotationSaveView] | None = None,
    delete: type[AnnotationDeleteView] | None = None,
) -> FamilyViews:
    """The views of ``family``: those given (a family's own subclasses, which must be
    bound to it), the others the shared views bound to it, e.g. ``GetHuddlesView``."""
    title = family.name.title().replace("-", "").replace("_", "")

    def bound(view: type[V] | None, base: type[V], verb: str) -> type[V]:
        if view is None:
            view = type(f"{verb}{title}View", (base,), {"family": family})
        if view.family != family:
            raise ValueError(f"{view.__name__} is bound to {view.family.name}")
        return view

    return FamilyViews(
        get=bound(get, AnnotationGetView, "Get"),
        save=bound(save, AnnotationSaveView, "Save"),
        delete=bound(delete, AnnotationDeleteView, "Delete"),
    )
