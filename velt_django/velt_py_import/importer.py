"""Import a database written by the velt-py SDK into velt_django's collections.

Each velt-py document is a flat payload (see ``VELT_PY_LAYOUT``): its ``_id`` is dropped,
its organization, document and folder are read from its metadata (``client…`` first),
then from a top-level ``organizationId``; a record with no organization is counted and
left out, never guessed. Records go through the repositories' save paths, so they are
stored exactly as if Velt had saved them, and a record whose save would change nothing
is skipped: importing the same database twice writes nothing the second time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..conf import velt_settings
from ..directory import MongoUserDirectory, User, get_directory
from ..exceptions import InvalidInput, InvalidRecordError, RecordTooLargeError
from ..files import external_record
from ..management.progress import Progress
from ..repository.activities import ActivityRepository
from ..repository.annotations import AnnotationRepository
from ..repository.base import Document, RecordWrite
from ..repository.comments import CommentRepository
from ..repository.files import FileRepository
from ..repository.merge import merge_payload
from ..repository.notifications import NotificationRepository
from ..repository.reactions import ReactionRepository
from ..repository.recordings import RecordingRepository
from ..repository.users import UserWrite
from ..repository.velt_py import DEFAULT_COLLECTIONS, VeltPySource
from ..serializers.base import document_of, id_value, organization_of
from ..serializers.files import attachment_id_value
from ..users import user_write

logger = logging.getLogger(__name__)

#: ``lastEvent`` of records written by an import.
IMPORT_EVENT = "velt_py.import"

#: Keys of Velt's ``User`` object (CONTRACT §3.4) taken from velt-py's users by default.
#: Other columns of the integrator's user documents (password hashes, tokens …) are
#: never imported: whatever a directory stores can be answered to browsers.
USER_KEYS = (
    "userId",
    "name",
    "email",
    "photoUrl",
    "initial",
    "color",
    "textColor",
    "isAdmin",
    "plan",
    "type",
    "isReadOnly",
    "isAnonymous",
    "isGuest",
    "accessRole",
    "groupId",
    "clientGroupId",
)


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

    def as_dict(self) -> Document:
        return {
            "source": self.source,
            "target": self.target,
            "found": self.found,
            "imported": self.imported,
            "unchanged": self.unchanged,
            "skippedWithoutOrganization": self.skipped_without_organization,
            "invalid": self.invalid,
        }


@dataclass(frozen=True)
class RecordFamily:
    """A velt-py collection of payload records and the repository it goes into."""

    name: str
    repository: type[AnnotationRepository] | type[ActivityRepository]
    id_key: str
    with_folder: bool = True
    #: A top-level ``organizationId`` wins over the metadata (notifications keep it
    #: there, §13); elsewhere it is only the fallback.
    top_level_org_first: bool = False


RECORD_FAMILIES: tuple[RecordFamily, ...] = (
    RecordFamily("comment_annotations", CommentRepository, "annotationId"),
    RecordFamily("reaction_annotations", ReactionRepository, "annotationId"),
    RecordFamily("recorder_annotations", RecordingRepository, "annotationId"),
    RecordFamily("activities", ActivityRepository, "id", with_folder=False),
    RecordFamily(
        "notifications",
        NotificationRepository,
        "notificationId",
        with_folder=False,
        top_level_org_first=True,
    ),
)


def collection_names(overrides: Mapping[str, Any] | None) -> dict[str, str | None]:
    """velt-py's collection names with ``overrides`` applied (``None`` skips one).

    Raises :class:`ValueError` for an unknown key or a value that is not a non-empty
    string or ``None``.
    """
    names: dict[str, str | None] = dict(DEFAULT_COLLECTIONS)
    for key, value in (overrides or {}).items():
        if key not in names:
            known = ", ".join(DEFAULT_COLLECTIONS)
            raise ValueError(f"unknown collection {key!r} (known: {known})")
        if value is not None and not (isinstance(value, str) and value):
            raise ValueError(f"the collection name of {key} must be a string or null")
        names[key] = value
    return names


def _organization(doc: Document, top_level_first: bool) -> str | None:
    metadata = doc.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    top = id_value(doc.get("organizationId"), "organizationId")
    from_metadata = organization_of(metadata, "metadata")
    return (top or from_metadata) if top_level_first else (from_metadata or top)


def record_write(doc: Document, family: RecordFamily) -> RecordWrite | None:
    """The velt_django record of one velt-py document; ``None`` when it names no
    organization. Raises :class:`InvalidInput` for a missing or malformed id."""
    record_id = id_value(doc.get(family.id_key), family.id_key, required=True)
    assert record_id is not None
    org = _organization(doc, family.top_level_org_first)
    if org is None:
        return None
    metadata = doc.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    folder = None
    if family.with_folder:
        folder = id_value(metadata.get("folderId"), "metadata.folderId")
    payload = dict(doc)
    payload[family.id_key] = record_id
    return RecordWrite(
        organization_id=org,
        record_id=record_id,
        payload=payload,
        document_id=document_of(metadata, "metadata"),
        folder_id=folder,
    )


def _adds_to_activity(stored: Document, incoming: Document) -> bool:
    """Whether an append-only activity save of ``incoming`` would add anything."""
    for key, value in incoming.items():
        if key not in stored:
            return True
        current = stored[key]
        if key == "metadata" and isinstance(value, dict) and isinstance(current, dict):
            if any(entry not in current for entry in value):
                return True
    return False


def _pick(doc: Document, path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _without_empty(user: Mapping[str, Any]) -> Document:
    return {
        key: value
        for key, value in user.items()
        if key != "organizationId" and value not in (None, "")
    }


@dataclass
class Importer:
    """One import run; :meth:`run` returns the counts per velt-py collection.

    ``user_fields`` maps Velt ``User`` keys to velt-py user fields (dotted paths allowed)
    and replaces the default of :data:`USER_KEYS` read under their own names.
    """

    source: VeltPySource
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

    def _documents(self, counts: Counts) -> Iterator[Document]:
        assert counts.source is not None
        self.progress.start(
            f"importing {counts.source}", self.source.count(counts.source)
        )
        for doc in self.source.documents(counts.source):
            yield doc
            self.progress.advance()
        self.progress.finish()

    # ---- payload records ---------------------------------------------------------

    def _import_records(self, family: RecordFamily, counts: Counts) -> None:
        repo = family.repository()
        batch: list[RecordWrite] = []
        keys: set[tuple[str, str]] = set()
        limit = velt_settings.MAX_RECORDS_PER_SAVE
        for doc in self._documents(counts):
            try:
                record = record_write(doc, family)
            except InvalidInput:
                counts.invalid += 1
                continue
            if record is None:
                counts.skipped_without_organization += 1
                continue
            key = (record.organization_id, record.record_id)
            if key in keys or len(batch) >= limit:
                # A repeated key goes into the next batch: it merges over the first.
                self._flush(repo, batch, counts)
                batch, keys = [], set()
            batch.append(record)
            keys.add(key)
        self._flush(repo, batch, counts)

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
        repo: AnnotationRepository | ActivityRepository,
        stored: Document | None,
        payload: Document,
    ) -> bool:
        if stored is None:
            return True
        if isinstance(repo, ActivityRepository):
            return _adds_to_activity(stored, payload)
        return merge_payload(stored, payload, repo.merged_keys) != stored

    def _save(
        self,
        repo: AnnotationRepository | ActivityRepository,
        records: list[RecordWrite],
    ) -> None:
        repo.save_many(records, IMPORT_EVENT)

    def _flush(
        self,
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

    def _user(self, doc: Document) -> Document:
        if self.user_fields is None:
            return {key: doc[key] for key in USER_KEYS if key in doc}
        return {
            key: _pick(doc, path)
            for key, path in self.user_fields.items()
            if _pick(doc, path) is not None
        }

    def _import_users(self, counts: Counts) -> None:
        writes: list[UserWrite] = []
        for doc in self._documents(counts):
            try:
                writes.append(user_write(self._user(doc)))
            except InvalidRecordError:
                counts.invalid += 1
                continue
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
        repo = FileRepository()
        for doc in self._documents(counts):
            try:
                record = self._attachment(doc)
            except InvalidInput:
                counts.invalid += 1
                continue
            if record is None:
                counts.skipped_without_organization += 1
                continue
            if self.dry_run:
                new = repo.by_public_id(str(record["publicId"])) is None
            else:
                new = repo.import_external(record)
            if new:
                counts.imported += 1
            else:
                counts.unchanged += 1

    @staticmethod
    def _attachment(doc: Document) -> Document | None:
        """The external file record of a velt-py attachment (its URL is kept as it
        is); ``None`` without an organization. Raises :class:`InvalidInput`."""
        attachment_id = attachment_id_value(doc.get("attachmentId"), "attachmentId")
        url = doc.get("url")
        if attachment_id is None or not isinstance(url, str) or not url:
            raise InvalidInput("an attachment needs an attachmentId and a url")
        org = _organization(doc, top_level_first=False)
        if org is None:
            return None
        metadata = doc.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        extra: Document = {
            "folderId": id_value(metadata.get("folderId"), "metadata.folderId")
        }
        for key in ("name", "mimeType", "size"):
            if doc.get(key) is not None:
                extra[key] = doc[key]
        return external_record(
            organization_id=org,
            url=url,
            attachment_id=attachment_id,
            scope="attachment",
            document_id=document_of(metadata, "metadata"),
            **extra,
        )
