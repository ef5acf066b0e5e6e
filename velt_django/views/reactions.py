"""``reactions/get|save|delete`` (CONTRACT §7)."""

from __future__ import annotations

from ..repository.reactions import ReactionRepository
from ..serializers.reactions import REACTIONS
from .annotations import AnnotationDeleteView, AnnotationGetView, AnnotationSaveView


class GetReactionsView(AnnotationGetView):
    family = REACTIONS
    repository_class = ReactionRepository


class SaveReactionsView(AnnotationSaveView):
    """No event deletes anything here, not even ``reaction.delete`` (A-33)."""

    family = REACTIONS
    repository_class = ReactionRepository


class DeleteReactionsView(AnnotationDeleteView):
    family = REACTIONS
    repository_class = ReactionRepository
