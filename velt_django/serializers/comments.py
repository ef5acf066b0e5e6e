"""Request validation for ``comments/*``: the annotation rules with comment field names."""

from __future__ import annotations

from .annotations import COMMENTS, parse_delete, parse_get, parse_save

#: The save event that removes one message from a stored thread (CONTRACT §6.4 step 3).
MESSAGE_DELETE_EVENT = "comment.delete"

__all__ = [
    "COMMENTS",
    "MESSAGE_DELETE_EVENT",
    "parse_delete",
    "parse_get",
    "parse_save",
]
