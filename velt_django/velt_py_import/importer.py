"""The import run: reads each velt-py collection, saves what changed, counts it all."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import cast

from ..conf import velt_settings
from ..directory import MongoUserDirectory, User, get_directory
from ..exceptions import InvalidInput, InvalidRecordError, RecordTooLargeError
from ..progress import Progress
from ..repository.activities import ActivityRepository
from ..repository.annotations import AnnotationRepository
from ..repository.backend import resolve
from ..repository.base import Document, RecordWrite
from ..repository.files import FileRepository
from ..repository.merge import merge_payload
from ..repository.users import UserWrite
from ..repository.velt_py import Source
from ..users import user_write
from .mapping import (
    RECORD_FAMILIES,
    RecordFamily,
    _adds_to_activity,
    _without_empty,
    attachment_record,
    record_write,
    user_document,
)

logger = logging.getLogger(__name__)

#: ``lastEvent`` of records written by an import.
IMPORT_EVENT = "velt_py.import"


@dataclass
class Counts:
    """What happened to the documents of one source collection."""

    source: str | None
    target: str
    found: bool = True
    imported: int = 0
    unchanged: int = 0
    skipped_without_organization: int = 0
    invalid: int = 0
    #: (record id, field paths) of the records imported without fields that held a
    #: number JSON cannot spell (NaN, ±Infinity); never the values.
    dropped_fields: list[tuple[str, list[str]]] = field(default_factory=list)

    def as_dict(self) -> Document:
        return {
            "source": self.source,
            "target": self.target,
            "found": self.found,
            "imported": self.imported,
            "unchanged": self.unchanged,
            "skippedWithoutOrganization": self.skipped_without_organization,
            "invalid": self.invalid,
            "droppedFields": [
                {"id": record_id, "fields": paths}
                for record_id, paths in self.dropped_fields
            ],
        }

    def note_dropped(self, record_id: str, paths: list[str]) -> None:
        if paths:
            logger.warning(
                "velt-py import: %s %s: non-finite numbers left out at %s",
                self.source,
                record_id,
                ", ".join(paths),
            )
            self.dropped_fields.append((record_id, paths))


@dataclass
class Importer:
    """One import run; :meth:`run` returns the counts per velt-py collection.

    ``user_fields`` maps Velt ``User`` keys to velt-py user fields (dotted paths allowed)
    and replaces the default of :data:`USER_KEYS` read under their own names.
    """

    source: Source
    names: dict[str, str | None]
    dry_run: bool = False
    progress: Progress = field(default_factory=Progress.silent)
    user_fields: Mapping[str, str] | None = None

    def run(self) -> dict[str, Counts]:
        present = self.source.collection_names()
        results: dict[str, Counts] = {}
        for family in RECORD_FAMILIES:
            results[family.name] = self._collection(
                family.name, family.repository.collection_name(), present
            )
            if results[family.name].found:
                self._import_records(family, results[family.name])
        results["users"] = self._collection("users", "user directory", present)
        if results["users"].found:
            self._import_users(results["users"])
        results["attachments"] = self._collection(
            "attachments", FileRepository.collection_name(), present
        )
        if results["attachments"].found:
            self._import_attachments(results["attachments"])
        logger.info(
            "velt-py import dry_run=%s %s",
            self.dry_run,
            " ".join(f"{k}={v.imported}/{v.unchanged}" for k, v in results.items()),
        )
        return results

    def _collection(self, name: str, target: str, present: set[str]) -> Counts:
        source = self.names.get(name)
        return Counts(source, target, found=source is not None and source in present)

    def _documents(self, counts: Counts) -> Iterator[tuple[Document, list[str]]]:
        """Each document with the paths of its fields left out (see ``json_ready``)."""
        assert counts.source is not None
        self.progress.start(
            f"importing {counts.source}", self.source.count(counts.source)
        )
        for doc, dropped in self.source.documents(counts.source):
            yield doc, dropped
            self.progress.advance()
        self.progress.finish()

    # ---- payload records ---------------------------------------------------------

    def _import_records(self, family: RecordFamily, counts: Counts) -> None:
        repo = family.open()
        batch: list[RecordWrite] = []
        keys: set[tuple[str, str]] = set()
        limit = velt_settings.MAX_RECORDS_PER_SAVE
        for doc, dropped in self._documents(counts):
            try:
                record = record_write(doc, family)
            except InvalidInput:
                counts.invalid += 1
                continue
            if record is None:
                counts.skipped_without_organization += 1
                continue
            counts.note_dropped(record.record_id, dropped)
            key = (record.organization_id, record.record_id)
            if key in keys or len(batch) >= limit:
                # A repeated key goes into the next batch: it merges over the first.
                self._flush(family, repo, batch, counts)
                batch, keys = [], set()
            batch.append(record)
            keys.add(key)
        self._flush(family, repo, batch, counts)

    def _stored(
        self,
        repo: AnnotationRepository | ActivityRepository,
        records: Iterable[RecordWrite],
    ) -> dict[tuple[str, str], Document]:
        by_org: dict[str, list[str]] = {}
        for record in records:
            by_org.setdefault(record.organization_id, []).append(record.record_id)
        stored: dict[tuple[str, str], Document] = {}
        for org, ids in by_org.items():
            for found in repo.find(org, ids):
                stored[(org, found.record_id)] = found.payload
        return stored

    def _changes(
        self,
        family: RecordFamily,
        repo: AnnotationRepository | ActivityRepository,
        stored: Document | None,
        payload: Document,
    ) -> bool:
        if stored is None:
            return True
        if family.is_activity:
            return _adds_to_activity(stored, payload)
        # Not an activity family: the repository (or its twin) is an annotation one.
        merged = cast("AnnotationRepository", repo).merged_keys
        return merge_payload(stored, payload, merged) != stored

    def _save(
        self,
        repo: AnnotationRepository | ActivityRepository,
        records: list[RecordWrite],
    ) -> None:
        repo.save_many(records, IMPORT_EVENT)

    def _flush(
        self,
        family: RecordFamily,
        repo: AnnotationRepository | ActivityRepository,
        batch: list[RecordWrite],
        counts: Counts,
    ) -> None:
        if not batch:
            return
        stored = self._stored(repo, batch)
        changed = [
            record
            for record in batch
            if self._changes(
                family,
                repo,
                stored.get((record.organization_id, record.record_id)),
                record.payload,
            )
        ]
        counts.unchanged += len(batch) - len(changed)
        if not changed:
            return
        if self.dry_run:
            counts.imported += len(changed)
            return
        try:
            self._save(repo, changed)
            counts.imported += len(changed)
        except (InvalidRecordError, RecordTooLargeError):
            # Saves validate every record before writing any: store the good ones.
            for record in changed:
                try:
                    self._save(repo, [record])
                    counts.imported += 1
                except (InvalidRecordError, RecordTooLargeError):
                    logger.warning(
                        "velt-py import: %s %s cannot be stored",
                        counts.source,
                        record.record_id,
                    )
                    counts.invalid += 1

    # ---- users -------------------------------------------------------------------

    def _import_users(self, counts: Counts) -> None:
        writes: list[UserWrite] = []
        for doc, dropped in self._documents(counts):
            try:
                writes.append(user_write(user_document(doc, self.user_fields)))
            except InvalidRecordError:
                counts.invalid += 1
                continue
            counts.note_dropped(writes[-1].user_id, dropped)
            if len(writes) >= velt_settings.MAX_RECORDS_PER_SAVE:
                self._flush_users(writes, counts)
                writes = []
        self._flush_users(writes, counts)

    def _flush_users(self, writes: list[UserWrite], counts: Counts) -> None:
        if not writes:
            return
        # One write per user id (the last one wins, as a second upsert would).
        unique = list({write.user_id: write for write in writes}.values())
        counts.unchanged += len(writes) - len(unique)
        directory = get_directory()
        ids = [write.user_id for write in unique]
        before = directory.get_users(ids, None)
        exact = isinstance(directory, MongoUserDirectory)

        def same(view: Mapping[str, User], write: UserWrite) -> bool:
            current = view.get(write.user_id)
            if current is None:
                return False
            if exact:
                return dict(current) == {**write.fields, "userId": write.user_id}
            return _without_empty(current) == _without_empty(write.fields)

        changed = [write for write in unique if not same(before, write)]
        counts.unchanged += len(unique) - len(changed)
        if not changed:
            return
        if self.dry_run:
            counts.imported += len(changed)
            return
        directory.upsert(changed)
        if exact:
            counts.imported += len(changed)
            return
        # A directory that keeps fewer keys than the source has (Django's user model
        # without a photoUrl column) never compares equal: count what its view shows.
        after = directory.get_users([write.user_id for write in changed], None)
        for write in changed:
            if after.get(write.user_id) == before.get(write.user_id):
                counts.unchanged += 1
            else:
                counts.imported += 1

    # ---- attachments -------------------------------------------------------------

    def _import_attachments(self, counts: Counts) -> None:
        repo = resolve(FileRepository)()
        for doc, dropped in self._documents(counts):
            try:
                record = attachment_record(doc)
            except InvalidInput:
                counts.invalid += 1
                continue
            if record is None:
                counts.skipped_without_organization += 1
                continue
            counts.note_dropped(str(record["attachmentId"]), dropped)
            if self.dry_run:
                new = repo.by_public_id(str(record["publicId"])) is None
            else:
                new = repo.import_external(record)
            if new:
                counts.imported += 1
            else:
                counts.unchanged += 1
