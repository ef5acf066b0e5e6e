"""Reaction annotations on PostgreSQL: no keyed maps, only ``metadata`` merges by key."""

from __future__ import annotations

from ...models import ReactionAnnotationRecord
from .annotations import SqlAnnotationRepository


class SqlReactionRepository(SqlAnnotationRepository):
    """``velt_reaction_annotations``; the twin of ``ReactionRepository``."""

    model = ReactionAnnotationRecord
