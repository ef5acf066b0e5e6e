"""Per-collection mappers: velt-py documents as velt_django records, users and files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..exceptions import InvalidInput
from ..files.storage import external_record
from ..repository.activities import ActivityRepository
from ..repository.annotations import AnnotationRepository
from ..repository.backend import resolve
from ..repository.base import Document, RecordWrite
from ..repository.comments import CommentRepository
from ..repository.notifications import NotificationRepository
from ..repository.reactions import ReactionRepository
from ..repository.recordings import RecordingRepository
from ..repository.velt_py import DEFAULT_COLLECTIONS
from ..validation.base import document_of, id_value, organization_of
from ..validation.files import attachment_id_value

#: Keys of Velt's ``User`` object (docs/users.md) taken from velt-py's users by default.
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


@dataclass(frozen=True)
class RecordFamily:
    """A velt-py collection of payload records and the repository it goes into."""

    name: str
    repository: type[AnnotationRepository] | type[ActivityRepository]
    id_key: str
    with_folder: bool = True
    #: A top-level ``organizationId`` wins over the metadata (notifications keep it
    #: there); elsewhere it is only the fallback.
    top_level_org_first: bool = False

    @property
    def is_activity(self) -> bool:
        """Whether the records are activities (append-only: an import only adds)."""
        return issubclass(self.repository, ActivityRepository)

    def open(self) -> AnnotationRepository | ActivityRepository:
        """The target repository on the configured backend (``backend.resolve``):
        ``repository`` is the MongoDB class, which names the target collection."""
        return resolve(self.repository)()


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


def user_document(doc: Document, user_fields: Mapping[str, str] | None) -> Document:
    """The Velt ``User`` of one velt-py user document: :data:`USER_KEYS` under their own
    names, or the keys of ``user_fields`` read from its dotted paths."""
    if user_fields is None:
        return {key: doc[key] for key in USER_KEYS if key in doc}
    return {
        key: _pick(doc, path)
        for key, path in user_fields.items()
        if _pick(doc, path) is not None
    }


def attachment_record(doc: Document) -> Document | None:
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
