"""Comment threads on PostgreSQL: the ``comments`` map merges message by message."""

from __future__ import annotations

from typing import ClassVar

from ...models import CommentAnnotationRecord
from ..comments import CommentRepository
from .annotations import SqlAnnotationRepository


class SqlCommentRepository(SqlAnnotationRepository):
    """``velt_comment_annotations``; the twin of :class:`CommentRepository`."""

    model = CommentAnnotationRecord
    keyed_maps: ClassVar[tuple[str, ...]] = ("comments",)

    #: The ``comment.delete`` step, shared with the MongoDB backend.
    message_removal = staticmethod(CommentRepository.message_removal)
