"""``reactions/get|save|delete`` (CONTRACT §7)."""

from __future__ import annotations

from ..validation.annotations import REACTIONS
from .annotations import AnnotationDeleteView, AnnotationGetView, AnnotationSaveView


class GetReactionsView(AnnotationGetView):
    family = REACTIONS


class SaveReactionsView(AnnotationSaveView):
    """No event deletes anything here, not even ``reaction.delete`` (A-33)."""

    family = REACTIONS


class DeleteReactionsView(AnnotationDeleteView):
    family = REACTIONS
