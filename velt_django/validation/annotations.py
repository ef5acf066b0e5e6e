"""The annotation families (comments, reactions, recordings): their declarations and the
validation of their requests."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import InvalidInput
from ..repository.annotations import AnnotationRepository
from ..repository.base import RecordWrite
from ..repository.comments import CommentRepository
from ..repository.reactions import ReactionRepository
from ..repository.recordings import RecordingRepository
from .base import (
    document_of,
    event_value,
    id_list,
    id_value,
    optional_object,
    optional_organization,
    organization_of,
    record_writes,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnnotationFamily:
    """One annotation-shaped resolver family (get by ids, documents and folder; save a
    map of records; delete one by id): the field names its provider uses on the wire
    and the repository of its collection.

    ``name`` is the path prefix below the mount (``reactions`` for ``reactions/get``)
    and the ``family`` of the write signals. The family's views
    (:func:`velt_django.views.annotations.family_views`) and routes
    (:func:`velt_django.urls.family_patterns`) are built from the declaration; a family
    is served once it is in :data:`ANNOTATION_FAMILIES`.
    """

    name: str
    ids_field: str
    save_field: str
    delete_field: str
    repository: type[AnnotationRepository]
    id_key: str = "annotationId"
    #: Other names the save map is accepted under when ``save_field`` is absent.
    save_aliases: tuple[str, ...] = ()


@dataclass
class GetRequest:
    #: ``None``: an org-less get by ids (docs/wire-protocol.md, "Requests without an
    #: organization").
    organization_id: str | None
    ids: list[str] = field(default_factory=list)
    document_ids: list[str] = field(default_factory=list)
    folder_id: str | None = None


@dataclass
class SaveRequest:
    records: list[RecordWrite]
    event: str | None = None
    comment_id: str | None = None


@dataclass
class DeleteRequest:
    record_id: str
    organization_id: str | None
    document_id: str | None
    event: str | None = None


def parse_get(body: dict[str, Any], family: AnnotationFamily) -> GetRequest:
    """``{organizationId, <ids>, documentIds, folderId, allDocuments}``
    (docs/wire-protocol.md, "Gets").

    With ``organizationId`` missing, ``null`` or blank, only a get by ids is accepted
    (the SDK fetches threads by id that way); by documents or folder it is ``400``.
    """
    org = optional_organization(body.get("organizationId"), "organizationId")
    folder = id_value(body.get("folderId"), "folderId")
    query = GetRequest(
        organization_id=org,
        ids=id_list(body.get(family.ids_field), family.ids_field),
        document_ids=id_list(body.get("documentIds"), "documentIds"),
        # The folder selects only together with `allDocuments: true`.
        folder_id=folder if body.get("allDocuments") is True else None,
    )
    if org is None and (
        not query.ids or query.document_ids or query.folder_id is not None
    ):
        raise InvalidInput(
            f"organizationId is required unless the request selects by "
            f"{family.ids_field} alone"
        )
    return query


def _request_metadata(body: dict[str, Any]) -> dict[str, Any]:
    if body.get("metadata") is None and isinstance(body.get("context"), dict):
        # Hand-written callbacks send the request metadata as `context`.
        return optional_object(body.get("context"), "context")
    return optional_object(body.get("metadata"), "metadata")


def parse_save(body: dict[str, Any], family: AnnotationFamily) -> SaveRequest:
    """``{<save map>, event, metadata, commentId, targetComment}`` (docs/wire-protocol.md,
    "Saves").

    Every record gets its organization from its own metadata, then from the request's
    ("The organization of a request"); a record with none fails the whole request.
    """
    records_map = body.get(family.save_field)
    source = family.save_field
    # Tolerated aliases, only when the canonical field is absent: the family's own, then
    # `annotations` from Velt's example backend code.
    for alias in (*family.save_aliases, "annotations"):
        if records_map is None and body.get(alias) is not None:
            records_map, source = body.get(alias), alias
    if records_map is None:
        raise InvalidInput(f"{family.save_field} is required")
    request_md = _request_metadata(body)
    records = record_writes(
        records_map,
        source,
        family.id_key,
        family.name,
        organization_of(request_md, "metadata"),
        document_of(request_md, "metadata"),
        id_value(request_md.get("folderId"), "metadata.folderId"),
    )
    return SaveRequest(
        records=records,
        event=event_value(body.get("event")),
        comment_id=id_value(body.get("commentId"), "commentId"),
    )


def parse_delete(body: dict[str, Any], family: AnnotationFamily) -> DeleteRequest:
    """``{<delete id>, metadata, event}`` with the ``annotationId`` alias
    (docs/wire-protocol.md, "Deletes")."""
    record_id = id_value(body.get(family.delete_field), family.delete_field)
    if record_id is None:
        record_id = id_value(body.get("annotationId"), "annotationId")  # alias
    if record_id is None:
        raise InvalidInput(f"{family.delete_field} is required")
    md = optional_object(body.get("metadata"), "metadata")
    return DeleteRequest(
        record_id=record_id,
        organization_id=organization_of(md, "metadata"),
        document_id=document_of(md, "metadata"),
        # Informational on deletes: a malformed one is ignored, not refused (a refusal
        # would leave the record undeletable).
        event=event_value(body.get("event"), strict=False),
    )


COMMENTS = AnnotationFamily(
    name="comments",
    ids_field="commentAnnotationIds",
    save_field="commentAnnotation",
    delete_field="commentAnnotationId",
    repository=CommentRepository,
)
#: The comment save event that removes one message (``commentId``) from a stored thread.
MESSAGE_DELETE_EVENT = "comment.delete"

REACTIONS = AnnotationFamily(
    name="reactions",
    ids_field="reactionAnnotationIds",
    save_field="reactionAnnotation",
    delete_field="reactionAnnotationId",
    repository=ReactionRepository,
)
RECORDINGS = AnnotationFamily(
    name="recordings",
    ids_field="recorderAnnotationIds",
    save_field="recorderAnnotation",
    delete_field="recorderAnnotationId",
    repository=RecordingRepository,
    # Velt's documented request key is singular; hand-written callbacks that
    # mirror the plural get selector send `recorderAnnotations`, accepted as an alias.
    save_aliases=("recorderAnnotations",),
)

#: Every annotation family velt_django serves, in the order of its routes.
ANNOTATION_FAMILIES: tuple[AnnotationFamily, ...] = (COMMENTS, REACTIONS, RECORDINGS)
