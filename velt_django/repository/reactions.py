"""Reaction annotations (docs/reactions.md): one record per reaction annotation."""

from __future__ import annotations

from .annotations import AnnotationRepository


class ReactionRepository(AnnotationRepository):
    """``velt_reaction_annotations``; no keyed maps, only ``metadata`` merges by key."""

    collection_suffix = "reaction_annotations"
