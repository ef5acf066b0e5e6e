"""The PostgreSQL backend's repositories, through Django's ORM: the twins of the MongoDB
repositories of ``velt_django.repository``, method for method."""

from __future__ import annotations

from .annotations import SqlAnnotationRepository, database_alias
from .comments import SqlCommentRepository
from .reactions import SqlReactionRepository
from .recordings import SqlRecordingRepository

__all__ = [
    "SqlAnnotationRepository",
    "SqlCommentRepository",
    "SqlReactionRepository",
    "SqlRecordingRepository",
    "database_alias",
]
