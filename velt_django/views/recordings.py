"""``recordings/get|save|delete`` (docs/recordings.md). The media files are a separate
provider (``recorder.storage``); nothing here touches them."""

from __future__ import annotations

from ..validation.annotations import RECORDINGS
from .annotations import AnnotationDeleteView, AnnotationGetView, AnnotationSaveView


class GetRecordingsView(AnnotationGetView):
    """Query modes as comments; ``folderId`` + ``allDocuments`` honoured."""

    family = RECORDINGS


class SaveRecordingsView(AnnotationSaveView):
    """Upserts only: no event deletes anything, and the answer has no ``data``."""

    family = RECORDINGS


class DeleteRecordingsView(AnnotationDeleteView):
    """Removes the recording annotation; its files stay."""

    family = RECORDINGS
