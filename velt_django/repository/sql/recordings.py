"""Recording annotations on PostgreSQL: ``recordingEditVersions`` and ``chunkUrls`` merge
entry by entry."""

from __future__ import annotations

from typing import ClassVar

from ...models import RecordingAnnotationRecord
from .annotations import SqlAnnotationRepository


class SqlRecordingRepository(SqlAnnotationRepository):
    """``velt_recorder_annotations``; the twin of ``RecordingRepository``."""

    model = RecordingAnnotationRecord
    keyed_maps: ClassVar[tuple[str, ...]] = ("recordingEditVersions", "chunkUrls")
