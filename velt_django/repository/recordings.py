"""Recorder annotations (CONTRACT §8): one record per recording annotation."""

from __future__ import annotations

from typing import ClassVar

from .annotations import AnnotationRepository


class RecordingRepository(AnnotationRepository):
    """``velt_recorder_annotations``; ``recordingEditVersions`` and ``chunkUrls`` merge
    entry by entry (§8.4), ``attachments`` (an array) and ``transcription`` are replaced
    whole like every other key."""

    collection_suffix = "recorder_annotations"
    keyed_maps: ClassVar[tuple[str, ...]] = ("recordingEditVersions", "chunkUrls")
