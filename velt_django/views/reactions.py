"""``reactions/get|save|delete`` (docs/reactions.md)."""

from __future__ import annotations

from ..validation.annotations import REACTIONS
from .annotations import AnnotationDeleteView, AnnotationGetView, AnnotationSaveView


class GetReactionsView(AnnotationGetView):
    family = REACTIONS


class SaveReactionsView(AnnotationSaveView):
    """No event deletes anything here, not even ``reaction.delete``."""

    family = REACTIONS


class DeleteReactionsView(AnnotationDeleteView):
    family = REACTIONS
