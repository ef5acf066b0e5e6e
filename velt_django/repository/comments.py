"""Comment threads (CONTRACT §6): one record per comment annotation."""

from __future__ import annotations

from typing import ClassVar

from .base import AnnotationRepository


class CommentRepository(AnnotationRepository):
    """``velt_comment_annotations``; the ``comments`` map merges message by message."""

    collection_suffix = "comment_annotations"
    keyed_maps: ClassVar[tuple[str, ...]] = ("comments",)
    entry_id_fields: ClassVar[dict[str, str]] = {"comments": "commentId"}
