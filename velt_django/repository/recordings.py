"""Recorder annotations (docs/recordings.md): one record per recording annotation."""

from __future__ import annotations

from typing import ClassVar

from .annotations import AnnotationRepository


class RecordingRepository(AnnotationRepository):
    """``velt_recorder_annotations``; ``recordingEditVersions`` and ``chunkUrls`` merge
    entry by entry (docs/wire-protocol.md, "Merge rule"), ``attachments`` (an array)
    and ``transcription`` are replaced whole like every other key."""

    collection_suffix = "recorder_annotations"
    keyed_maps: ClassVar[tuple[str, ...]] = ("recordingEditVersions", "chunkUrls")
