"""``recordings/get|save|delete`` (CONTRACT §8). The media files are a separate provider
(``recorder.storage``); nothing here touches them."""

from __future__ import annotations

from ..validation.annotations import RECORDINGS
from .annotations import AnnotationDeleteView, AnnotationGetView, AnnotationSaveView


class GetRecordingsView(AnnotationGetView):
    """Query modes as comments (§6.3); ``folderId`` + ``allDocuments`` honoured (A-25)."""

    family = RECORDINGS


class SaveRecordingsView(AnnotationSaveView):
    """Upserts only: no event deletes anything, and the answer has no ``data`` (A-23)."""

    family = RECORDINGS


class DeleteRecordingsView(AnnotationDeleteView):
    """Removes the recording annotation; its files stay (A-26)."""

    family = RECORDINGS
