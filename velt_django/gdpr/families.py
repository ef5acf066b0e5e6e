"""Per-family rules: how the user takes part in a record and how it is erased."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..repository.activities import ActivityRepository
from ..repository.backend import resolve
from ..repository.base import BaseRepository, Document
from ..repository.comments import CommentRepository
from ..repository.notifications import NotificationRepository
from ..repository.reactions import ReactionRepository
from ..repository.recordings import RecordingRepository
from .matching import MENTION_LABEL, _same_id, anonymous_user, is_user, scrub

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
    """The thread without the user (the rule is in :mod:`velt_django.gdpr`);
    ``None`` to delete it."""
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
    (a new payload, or ``None`` to delete the record).

    ``repository`` is the MongoDB class, which names the family's collection and id
    field; :meth:`open` gives the implementation of the configured storage backend."""

    name: str
    repository: type[BaseRepository]
    roles: Roles
    erase: Eraser
    #: How ``velt_gdpr export`` counts its records ("3 comment threads"); the name if unset.
    label: str | None = None

    def open(self) -> BaseRepository:
        """The family's repository on the configured backend (``backend.resolve``)."""
        return resolve(self.repository)()


FAMILIES: tuple[Family, ...] = (
    Family(
        "comments",
        CommentRepository,
        comment_roles,
        erase_comment,
        label="comment threads",
    ),
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
