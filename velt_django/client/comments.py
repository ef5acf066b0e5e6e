"""Comment annotation and comment endpoints (v2) of ``VeltClient``."""

from __future__ import annotations

from collections.abc import Sequence

from .base import BaseClient, JSONObject, Record, _body


class CommentsMixin(BaseClient):
    """Comment annotations and the comments in them (``v2/commentannotations``)."""

    # ---- comment annotations and comments (v2) -----------------------------------

    def add_comment_annotations(
        self,
        *,
        organization_id: str,
        document_id: str,
        annotations: Sequence[Record],
        extra: Record | None = None,
    ) -> JSONObject:
        """``v2/commentannotations/add``: each annotation with its ``commentData``."""
        return self._call_once(
            "v2/commentannotations/add",
            _body(
                extra,
                organizationId=organization_id,
                documentId=document_id,
                commentAnnotations=annotations,
            ),
        )

    def get_comment_annotations(
        self,
        *,
        organization_id: str,
        document_id: str | None = None,
        document_ids: Sequence[str] | None = None,
        folder_id: str | None = None,
        location_ids: Sequence[str] | None = None,
        annotation_ids: Sequence[str] | None = None,
        user_ids: Sequence[str] | None = None,
        status_ids: Sequence[str] | None = None,
        updated_after: int | None = None,
        updated_before: int | None = None,
        created_after: int | None = None,
        created_before: int | None = None,
        group_by_document_id: bool | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> JSONObject:
        """``v2/commentannotations/get``; timestamps are epoch milliseconds."""
        return self._call_retried(
            "v2/commentannotations/get",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                documentIds=document_ids,
                folderId=folder_id,
                locationIds=location_ids,
                annotationIds=annotation_ids,
                userIds=user_ids,
                statusIds=status_ids,
                updatedAfter=updated_after,
                updatedBefore=updated_before,
                createdAfter=created_after,
                createdBefore=created_before,
                groupByDocumentId=group_by_document_id,
                pageSize=page_size,
                pageToken=page_token,
            ),
        )

    def count_comment_annotations(
        self,
        *,
        organization_id: str,
        document_ids: Sequence[str],
        user_id: str | None = None,
        status_ids: Sequence[str] | None = None,
    ) -> JSONObject:
        """``v2/commentannotations/count/get``: total and unread per document."""
        return self._call_retried(
            "v2/commentannotations/count/get",
            _body(
                organizationId=organization_id,
                documentIds=document_ids,
                userId=user_id,
                statusIds=status_ids,
            ),
        )

    def update_comment_annotations(
        self,
        *,
        organization_id: str,
        document_id: str,
        updated_data: Record | None = None,
        update_users: Sequence[Record] | None = None,
        annotation_ids: Sequence[str] | None = None,
        location_ids: Sequence[str] | None = None,
        user_ids: Sequence[str] | None = None,
    ) -> JSONObject:
        """``v2/commentannotations/update``: ``updated_data`` (status, priority, ...)
        or ``update_users`` (``{"oldUser", "newUser"}`` pairs) on the selected ones."""
        return self._call_retried(
            "v2/commentannotations/update",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                annotationIds=annotation_ids,
                locationIds=location_ids,
                userIds=user_ids,
                updatedData=updated_data,
                updateUsers=update_users,
            ),
        )

    def delete_comment_annotations(
        self,
        *,
        document_id: str,
        organization_id: str | None = None,
        annotation_ids: Sequence[str] | None = None,
        location_ids: Sequence[str] | None = None,
        user_ids: Sequence[str] | None = None,
    ) -> JSONObject:
        """``v2/commentannotations/delete`` (``organization_id`` may be left out for a
        document created without one)."""
        return self._call_retried(
            "v2/commentannotations/delete",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                annotationIds=annotation_ids,
                locationIds=location_ids,
                userIds=user_ids,
            ),
        )

    def add_comments(
        self,
        *,
        organization_id: str,
        document_id: str,
        annotation_id: str,
        comments: Sequence[Record],
    ) -> JSONObject:
        """``v2/commentannotations/comments/add`` (``commentData``)."""
        return self._call_once(
            "v2/commentannotations/comments/add",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                annotationId=annotation_id,
                commentData=comments,
            ),
        )

    def get_comments(
        self,
        *,
        organization_id: str,
        document_id: str,
        annotation_id: str,
        comment_ids: Sequence[int] | None = None,
        user_ids: Sequence[str] | None = None,
    ) -> JSONObject:
        """``v2/commentannotations/comments/get``."""
        return self._call_retried(
            "v2/commentannotations/comments/get",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                annotationId=annotation_id,
                commentIds=comment_ids,
                userIds=user_ids,
            ),
        )

    def update_comments(
        self,
        *,
        organization_id: str,
        document_id: str,
        annotation_id: str,
        comment_ids: Sequence[int],
        updated_data: Record,
    ) -> JSONObject:
        """``v2/commentannotations/comments/update``."""
        return self._call_retried(
            "v2/commentannotations/comments/update",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                annotationId=annotation_id,
                commentIds=comment_ids,
                updatedData=updated_data,
            ),
        )

    def delete_comments(
        self,
        *,
        organization_id: str,
        document_id: str,
        annotation_id: str,
        comment_ids: Sequence[int] | None = None,
    ) -> JSONObject:
        """``v2/commentannotations/comments/delete`` (every comment without ids)."""
        return self._call_retried(
            "v2/commentannotations/comments/delete",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                annotationId=annotation_id,
                commentIds=comment_ids,
            ),
        )
