"""One user's data across velt_django's stores: find it, export it, erase it (GDPR).

A record *mentions* a user when a user object (any object whose ``userId`` is the
user's id) or an id field (``userId``, ``…UserId`` such as ``resolvedByUserId``, or an id
list ``userIds`` / ``…UserIds``) names them anywhere in its payload. Erasing applies one
rule per family (documented in the README, "GDPR requests"):

* comment threads: the user's own messages become ``{commentId, from: <stub>}``; a thread
  made only of the user's messages (or an empty thread they started) is deleted; mention
  labels of the user in other messages' text become ``@Deleted user``;
* reactions, recordings: deleted when the user made them (``from``/``user``);
* activities: deleted when the user is the actor (``actionUser``);
* notifications: deleted;
* everything else that mentions the user: each user object naming them is replaced by
  :func:`anonymous_user`, each id field by :data:`ANONYMOUS_USER_ID`;
* files the user uploaded: deleted with their stored objects;
* the user directory entry: deleted (not with an organization, and not from Django's
  user model unless asked; see :func:`plan_deletion`).

Nothing here logs payload content; logs carry ids and counts only.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..directory import DjangoUserDirectory, get_directory
from ..exceptions import RepositoryError
from ..files import remove_file
from ..management.progress import Progress
from ..repository.activities import ActivityRepository
from ..repository.base import BaseRepository, Document, StoredRecord
from ..repository.comments import CommentRepository
from ..repository.files import FileRepository
from ..repository.merge import js_string
from ..repository.notifications import NotificationRepository
from ..repository.reactions import ReactionRepository
from ..repository.recordings import RecordingRepository

logger = logging.getLogger(__name__)

#: The user id and name that replace an erased user wherever a record is kept.
ANONYMOUS_USER_ID = "deleted-user"
ANONYMOUS_NAME = "Deleted user"
MENTION_LABEL = "@" + ANONYMOUS_NAME

#: ``lastEvent`` of records rewritten by an erasure.
ERASE_EVENT = "gdpr.erase"

#: Attempts to erase one record that concurrent saves keep changing.
ERASE_ATTEMPTS = 5


def anonymous_user() -> Document:
    """The stub that replaces the erased user's user objects."""
    return {"userId": ANONYMOUS_USER_ID, "name": ANONYMOUS_NAME}


# ---- matching ---------------------------------------------------------------------


def _same_id(value: Any, user_id: str) -> bool:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return False
    return js_string(value) == user_id


def is_user(value: Any, user_id: str) -> bool:
    """Whether ``value`` is a user object (``{"userId": …}``) of this user."""
    return isinstance(value, dict) and _same_id(value.get("userId"), user_id)


def _id_key(key: str) -> bool:
    return key == "userId" or key.endswith("UserId")


def _ids_key(key: str) -> bool:
    return key == "userIds" or key.endswith("UserIds")


def mentions(value: Any, user_id: str) -> bool:
    """Whether the user is named anywhere in ``value`` (see the module docstring)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if _id_key(key) and _same_id(item, user_id):
                return True
            if _ids_key(key) and isinstance(item, list):
                if any(_same_id(entry, user_id) for entry in item):
                    return True
            if isinstance(item, (dict, list)) and mentions(item, user_id):
                return True
        return False
    if isinstance(value, list):
        return any(
            mentions(item, user_id) for item in value if isinstance(item, (dict, list))
        )
    return False


def scrub(value: Any, user_id: str) -> Any:
    """A copy of ``value`` in which every user object of the user is replaced by
    :func:`anonymous_user` and every id field naming them by :data:`ANONYMOUS_USER_ID`.
    ``value`` itself is never replaced, only what it contains."""
    if isinstance(value, dict):
        out: Document = {}
        for key, item in value.items():
            if is_user(item, user_id):
                out[key] = anonymous_user()
            elif _id_key(key) and _same_id(item, user_id):
                out[key] = ANONYMOUS_USER_ID
            elif _ids_key(key) and isinstance(item, list):
                out[key] = [
                    ANONYMOUS_USER_ID
                    if _same_id(entry, user_id)
                    else scrub(entry, user_id)
                    for entry in item
                ]
            else:
                out[key] = scrub(item, user_id)
        return out
    if isinstance(value, list):
        return [
            anonymous_user() if is_user(item, user_id) else scrub(item, user_id)
            for item in value
        ]
    return value


# ---- per-family rules ---------------------------------------------------------------

#: How the user takes part in a record (empty: only mentioned somewhere).
Roles = Callable[[Document, str], list[str]]
#: The payload with the user erased, or ``None`` to delete the record.
Eraser = Callable[[Document, str], "Document | None"]


def _messages(payload: Document) -> dict[str, Any]:
    comments = payload.get("comments")
    return comments if isinstance(comments, dict) else {}


def _tags_of(message: Document, user_id: str) -> list[Document]:
    tags = message.get("taggedUserContacts")
    if not isinstance(tags, list):
        return []
    return [
        tag
        for tag in tags
        if is_user(tag, user_id)
        or (isinstance(tag, dict) and is_user(tag.get("contact"), user_id))
    ]


def _is_tagged(message: Document, user_id: str) -> bool:
    to = message.get("to")
    if isinstance(to, list) and any(is_user(entry, user_id) for entry in to):
        return True
    return bool(_tags_of(message, user_id))


def _unlabel(message: Document, user_id: str) -> Document:
    """The message with the user's mention labels (``taggedUserContacts[].text``, e.g.
    ``@Priya``) replaced by :data:`MENTION_LABEL` in its text and HTML."""
    labels = {
        tag["text"]
        for tag in _tags_of(message, user_id)
        if isinstance(tag.get("text"), str) and tag["text"].strip()
    }
    if not labels:
        return message
    # Longest first, and never inside a longer word ("@Sam" must not hit "@Samantha").
    pattern = re.compile(
        "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True))
        + r"(?!\w)"
    )
    out = dict(message)
    for key in ("commentText", "commentHtml"):
        if isinstance(out.get(key), str):
            out[key] = pattern.sub(MENTION_LABEL, out[key])
    return out


def comment_roles(payload: Document, user_id: str) -> list[str]:
    """How the user takes part in a comment thread."""
    messages = [m for m in _messages(payload).values() if isinstance(m, dict)]
    checks = (
        ("creator", is_user(payload.get("from"), user_id)),
        ("assignee", is_user(payload.get("assignedTo"), user_id)),
        ("resolver", _same_id(payload.get("resolvedByUserId"), user_id)),
        ("author", any(is_user(m.get("from"), user_id) for m in messages)),
        ("tagged", any(_is_tagged(m, user_id) for m in messages)),
    )
    return [role for role, found in checks if found]


def erase_comment(payload: Document, user_id: str) -> Document | None:
    """The thread without the user (see the module docstring); ``None`` to delete it."""
    messages = _messages(payload)
    own = {
        key
        for key, message in messages.items()
        if isinstance(message, dict) and is_user(message.get("from"), user_id)
    }
    if messages and len(own) == len(messages):
        return None
    if not messages and is_user(payload.get("from"), user_id):
        return None
    result = dict(payload)
    if messages:
        kept: Document = {}
        for key, message in messages.items():
            if key in own:
                stub: Document = {"from": anonymous_user()}
                if "commentId" in message:
                    stub = {"commentId": message["commentId"], **stub}
                kept[key] = stub
            elif isinstance(message, dict):
                kept[key] = _unlabel(message, user_id)
            else:
                kept[key] = message
        result["comments"] = kept
    erased: Document = scrub(result, user_id)
    return erased


def _made_by(payload: Document, user_id: str) -> bool:
    return is_user(payload.get("from"), user_id) or is_user(
        payload.get("user"), user_id
    )


def reaction_roles(payload: Document, user_id: str) -> list[str]:
    return ["reactor"] if _made_by(payload, user_id) else []


def recording_roles(payload: Document, user_id: str) -> list[str]:
    return ["recorder"] if is_user(payload.get("from"), user_id) else []


def activity_roles(payload: Document, user_id: str) -> list[str]:
    return ["actor"] if is_user(payload.get("actionUser"), user_id) else []


def notification_roles(payload: Document, user_id: str) -> list[str]:
    headline = payload.get("displayHeadlineMessageTemplateData")
    headline = headline if isinstance(headline, dict) else {}
    notify = payload.get("notifyUsers")
    checks = (
        (
            "actor",
            is_user(payload.get("actionUser"), user_id)
            or is_user(headline.get("actionUser"), user_id),
        ),
        (
            "recipient",
            is_user(headline.get("recipientUser"), user_id)
            or (
                isinstance(notify, list)
                and any(is_user(entry, user_id) for entry in notify)
            ),
        ),
    )
    return [role for role, found in checks if found]


def _delete_if(roles: Callable[[Document, str], list[str]]) -> Eraser:
    def erase(payload: Document, user_id: str) -> Document | None:
        if roles(payload, user_id):
            return None
        kept: Document = scrub(payload, user_id)
        return kept

    return erase


def _always_delete(payload: Document, user_id: str) -> Document | None:
    return None


@dataclass(frozen=True)
class Family:
    """A record family: its repository, how the user takes part, and how it is erased
    (a new payload, or ``None`` to delete the record)."""

    name: str
    repository: type[BaseRepository]
    roles: Roles
    erase: Eraser


FAMILIES: tuple[Family, ...] = (
    Family("comments", CommentRepository, comment_roles, erase_comment),
    Family("reactions", ReactionRepository, reaction_roles, _delete_if(reaction_roles)),
    Family(
        "recordings",
        RecordingRepository,
        recording_roles,
        _delete_if(recording_roles),
    ),
    Family(
        "activities", ActivityRepository, activity_roles, _delete_if(activity_roles)
    ),
    Family("notifications", NotificationRepository, notification_roles, _always_delete),
)


# ---- scanning -----------------------------------------------------------------------


@dataclass
class Found:
    """A record that mentions the user, with how the user takes part in it."""

    family: Family
    record: StoredRecord
    roles: list[str]


def _scan(
    user_id: str, organization_id: str | None, progress: Progress
) -> Iterable[Found]:
    for family in FAMILIES:
        repo = family.repository()
        progress.start(
            f"scanning {repo.collection_name()}", repo.count_records(organization_id)
        )
        for record in repo.scan(organization_id):
            progress.advance()
            if mentions(record.payload, user_id):
                roles = family.roles(record.payload, user_id) or ["mentioned"]
                yield Found(family, record, roles)
        progress.finish()


def _files(user_id: str, organization_id: str | None) -> list[Document]:
    return [
        record
        for record in FileRepository().find_by_uploader(user_id)
        if organization_id is None or record.get("organizationId") == organization_id
    ]


def _json_ready(value: Any) -> Any:
    """File records may hold datetimes and ObjectIds: written as text."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items() if k != "_id"}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def export_user_data(
    user_id: str, organization_id: str | None = None, progress: Progress | None = None
) -> Document:
    """Every record that mentions the user, as one JSON-ready document:
    ``{userId, organizationId, exportedAt, comments: [...], reactions, recordings,
    activities, notifications, files, user}``. Each record entry holds its
    ``organizationId``, id, ``documentId``, ``involvement`` (how the user takes part:
    ``author``, ``tagged``, ``reactor``, ``mentioned`` …) and its ``payload`` as Velt
    sent it (so also what other users wrote in the same thread).

    ``organization_id`` limits the records to one organization (the directory entry is
    global and always included). Raises the repositories' errors.
    """
    progress = progress or Progress.silent()
    now = datetime.datetime.now(datetime.timezone.utc)
    export: Document = {
        "userId": user_id,
        "organizationId": organization_id,
        "exportedAt": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    for family in FAMILIES:
        export[family.name] = []
    for found in _scan(user_id, organization_id, progress):
        repo = found.family.repository
        export[found.family.name].append(
            {
                "organizationId": found.record.organization_id,
                repo.id_field: found.record.record_id,
                "documentId": found.record.document_id,
                "involvement": found.roles,
                "payload": found.record.payload,
            }
        )
    export["files"] = [_json_ready(r) for r in _files(user_id, organization_id)]
    export["user"] = get_directory().get_users([user_id], None).get(user_id)
    logger.info(
        "gdpr export user=%s org=%s records=%d",
        user_id,
        organization_id,
        sum(len(export[f.name]) for f in FAMILIES),
    )
    return export


# ---- erasing ------------------------------------------------------------------------


@dataclass
class Change:
    """What erasing does to one record: a new payload, or ``None`` (delete it)."""

    found: Found
    payload: Document | None


@dataclass
class DeletionPlan:
    """Everything an erasure will change, computed before anything is written."""

    user_id: str
    organization_id: str | None
    changes: list[Change] = field(default_factory=list)
    files: list[Document] = field(default_factory=list)
    user_found: bool = False
    #: Why the directory entry is kept (``None``: it is deleted when found).
    user_kept_because: str | None = None

    def summary(self) -> Document:
        """Counts per family of what the plan does (what ``--dry-run`` reports)."""
        out: Document = {}
        for family in FAMILIES:
            changes = [c for c in self.changes if c.found.family is family]
            deleted = sum(1 for c in changes if c.payload is None)
            out[family.name] = {
                "found": len(changes),
                "anonymised": len(changes) - deleted,
                "deleted": deleted,
            }
        out["files"] = {"found": len(self.files), "deleted": len(self.files)}
        deletes_user = self.user_found and self.user_kept_because is None
        out["user"] = {
            "found": int(self.user_found),
            "deleted": int(deletes_user),
            "keptBecause": self.user_kept_because if self.user_found else None,
        }
        return out

    @property
    def total(self) -> int:
        """How many records, files and directory entries the plan touches."""
        user = int(self.user_found and self.user_kept_because is None)
        return len(self.changes) + len(self.files) + user


def plan_deletion(
    user_id: str,
    organization_id: str | None = None,
    *,
    delete_django_user: bool = False,
    progress: Progress | None = None,
) -> DeletionPlan:
    """What erasing the user changes (nothing is written).

    The directory entry is kept when ``organization_id`` is given (a user id is a global
    identity) and, unless ``delete_django_user``, when the directory is Django's user
    model (that row is the application's own account).
    """
    progress = progress or Progress.silent()
    plan = DeletionPlan(user_id, organization_id)
    for found in _scan(user_id, organization_id, progress):
        payload = found.family.erase(found.record.payload, user_id)
        plan.changes.append(Change(found, payload))
    plan.files = _files(user_id, organization_id)
    directory = get_directory()
    plan.user_found = bool(directory.get_users([user_id], None))
    if organization_id is not None:
        plan.user_kept_because = "organization"
    elif isinstance(directory, DjangoUserDirectory) and not delete_django_user:
        plan.user_kept_because = "django-user-model"
    return plan


def _erase_one(change: Change, user_id: str) -> str | None:
    """Apply one change, re-reading and deciding again after a concurrent write.
    Returns ``"deleted"``, ``"anonymised"`` or ``None`` (nothing left to do)."""
    family = change.found.family
    repo = family.repository()
    record, payload = change.found.record, change.payload
    for _attempt in range(ERASE_ATTEMPTS):
        if repo.rewrite_if_unchanged(record, payload, ERASE_EVENT):
            return "deleted" if payload is None else "anonymised"
        current = repo.read_record(record.organization_id, record.record_id)
        if current is None or not mentions(current.payload, user_id):
            return None
        record, payload = current, family.erase(current.payload, user_id)
    logger.warning(
        "gdpr erase of %s %s gave up after concurrent writes",
        family.name,
        record.record_id,
    )
    raise RepositoryError("a record kept changing while it was being erased")


def apply_deletion(plan: DeletionPlan, progress: Progress | None = None) -> Document:
    """Carry out a plan; returns the counts of what was done (same shape as
    :meth:`DeletionPlan.summary`). A record changed since the plan was made is read
    again and erased by the same rule. Raises the repositories' and storage errors."""
    progress = progress or Progress.silent()
    summary = plan.summary()
    for family in FAMILIES:
        summary[family.name].update(anonymised=0, deleted=0)
    progress.start("erasing records", len(plan.changes))
    for change in plan.changes:
        outcome = _erase_one(change, plan.user_id)
        if outcome is not None:
            summary[change.found.family.name][outcome] += 1
        progress.advance()
    progress.finish()
    progress.start("deleting files", len(plan.files))
    deleted_files = 0
    for record in plan.files:
        remove_file(record)
        deleted_files += 1
        progress.advance()
    progress.finish()
    summary["files"]["deleted"] = deleted_files
    deleted_users = 0
    if plan.user_found and plan.user_kept_because is None:
        deleted_users = get_directory().delete([plan.user_id])
    summary["user"]["deleted"] = deleted_users
    logger.info(
        "gdpr erase user=%s org=%s records=%d files=%d user=%d",
        plan.user_id,
        plan.organization_id,
        len(plan.changes),
        deleted_files,
        deleted_users,
    )
    return summary
