"""``comments/get|save|delete`` (CONTRACT §6)."""

from __future__ import annotations

from ..repository.comments import CommentRepository
from ..serializers.comments import COMMENTS, MESSAGE_DELETE_EVENT
from .annotations import AnnotationDeleteView, AnnotationGetView, AnnotationSaveView


class GetCommentsView(AnnotationGetView):
    family = COMMENTS
    repository_class = CommentRepository


class SaveCommentsView(AnnotationSaveView):
    """Every event is an upsert; ``comment.delete`` then removes that one message."""

    family = COMMENTS
    repository_class = CommentRepository
    entry_delete = (MESSAGE_DELETE_EVENT, "comments")


class DeleteCommentsView(AnnotationDeleteView):
    """Removes the whole thread; files it references stay (A-26)."""

    family = COMMENTS
    repository_class = CommentRepository
