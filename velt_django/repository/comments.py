"""Comment threads (docs/comments.md): one record per comment annotation."""

from __future__ import annotations

from typing import ClassVar

from .annotations import AnnotationRepository, PostMerge
from .base import Document
from .merge import js_string


def remove_map_entry(
    payload: Document, map_key: str, entry_id: str, id_field: str
) -> None:
    """Remove from ``payload[map_key]`` the entry keyed ``entry_id`` and any
    entry whose ``id_field`` value stringifies to it."""
    entries = payload.get(map_key)
    if not isinstance(entries, dict):
        return
    payload[map_key] = {
        key: value
        for key, value in entries.items()
        if key != entry_id
        and not (
            isinstance(value, dict)
            and id_field in value
            and js_string(value[id_field]) == entry_id
        )
    }


class CommentRepository(AnnotationRepository):
    """``velt_comment_annotations``; the ``comments`` map merges message by message."""

    collection_suffix = "comment_annotations"
    keyed_maps: ClassVar[tuple[str, ...]] = ("comments",)

    @staticmethod
    def message_removal(comment_id: str) -> PostMerge:
        """The ``comment.delete`` step (docs/wire-protocol.md, "Event values"): after
        the merge, drop the message keyed ``comment_id``, or whose ``commentId`` value
        is ``comment_id`` (Velt's ids are numbers; map keys are their decimal
        strings)."""

        def remove(payload: Document) -> None:
            remove_map_entry(payload, "comments", comment_id, "commentId")

        return remove
