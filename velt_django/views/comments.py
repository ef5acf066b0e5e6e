"""``comments/get|save|delete`` (docs/comments.md)."""

from __future__ import annotations

import logging

from ..repository.annotations import PostMerge
from ..repository.comments import CommentRepository
from ..validation.annotations import COMMENTS, MESSAGE_DELETE_EVENT, SaveRequest
from .annotations import AnnotationDeleteView, AnnotationGetView, AnnotationSaveView

logger = logging.getLogger(__name__)


class GetCommentsView(AnnotationGetView):
    """Private threads (a stored ``visibilityConfig``) reach only the users they allow."""

    family = COMMENTS
    private_threads = True


class SaveCommentsView(AnnotationSaveView):
    """Every event is an upsert; ``comment.delete`` then removes that one message."""

    family = COMMENTS

    def post_merge(self, save: SaveRequest) -> PostMerge | None:
        if save.event != MESSAGE_DELETE_EVENT:
            return None
        if save.comment_id is None:
            logger.warning(
                "comments save: %s without commentId removes nothing", save.event
            )
            return None
        return CommentRepository.message_removal(save.comment_id)


class DeleteCommentsView(AnnotationDeleteView):
    """Removes the whole thread; files it references stay."""

    family = COMMENTS
