"""The typed event a Velt webhook becomes, and the names of Velt's event kinds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Basic webhooks' comment ``actionType`` → the dotted name Velt uses for the same
#: event in its advanced webhooks and resolver events (docs/wire-protocol.md, "Event
#: values").
COMMENT_ACTIONS: Mapping[str, str] = {
    "newlyAdded": "comment_annotation.add",
    "added": "comment.add",
    "updated": "comment.update",
    "deleted": "comment.delete",
    "approved": "comment_annotation.approve",
    "accepted": "comment_annotation.accept",
    "rejected": "comment_annotation.reject",
    "assigned": "comment_annotation.assign",
    "statusChanged": "comment_annotation.status_change",
    "priorityChanged": "comment_annotation.priority_change",
    "accessModeChanged": "comment_annotation.access_mode_change",
    "customListChanged": "comment_annotation.custom_list_change",
    "reactionAdded": "comment.reaction_add",
    "reactionDeleted": "comment.reaction_delete",
    "subscribed": "comment_annotation.subscribe",
    "unsubscribed": "comment_annotation.unsubscribe",
    "suggestionAccepted": "comment_annotation.suggestion_accept",
    "suggestionRejected": "comment_annotation.suggestion_reject",
}

#: Basic webhooks' other ``(notificationSource, actionType)`` → the advanced name.
#: Velt's huddle sample says ``joined`` where the list says ``join``: both are read.
OTHER_ACTIONS: Mapping[tuple[str | None, str], str] = {
    ("huddle", "created"): "huddle.create",
    ("huddle", "join"): "huddle.join",
    ("huddle", "joined"): "huddle.join",
    ("crdt", "updateData"): "crdt.update_data",
}

#: Events that publish a message (a new thread, or a reply).
MESSAGE_ADDED = frozenset({"comment_annotation.add", "comment.add"})
UPDATED = "comment.update"
ASSIGNED = "comment_annotation.assign"
STATUS_CHANGED = "comment_annotation.status_change"


@dataclass(frozen=True)
class VeltUser:
    """A user the event names, with what the user directory knows about them."""

    user_id: str
    name: str | None = field(default=None, repr=False)
    email: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class VeltWebhookEvent:
    """One Velt webhook event, filled in from the self-hosted store.

    ``event_type`` is Velt's dotted event name (``"comment.add"``,
    ``"comment_annotation.assign"`` …); basic webhooks' ``actionType`` is translated
    to it and also kept as ``action_type``. Content and users come from the stored
    thread (``comments/save``) and the user directory; whatever they lack (a deleted
    thread, an unknown user) is taken from the delivery or left empty, so an event is
    always built. Fields holding personal data are left out of ``repr``.
    """

    webhook_id: str
    #: ``"basic"`` (auth token) or ``"advanced"`` (Svix-signed).
    channel: str
    #: Velt's ``notificationSource``: ``"comment"``, ``"huddle"``, ``"crdt"``, ``"recorder"`` …
    source: str | None
    action_type: str | None
    event_type: str
    organization_id: str | None = None
    document_id: str | None = None
    annotation_id: str | None = None
    comment_id: str | None = None
    #: Whether the thread was found in the self-hosted store.
    thread_found: bool = False
    comment_text: str | None = field(default=None, repr=False)
    comment_html: str | None = field(default=None, repr=False)
    #: Who wrote the message the event concerns (for thread events: the first one).
    author: VeltUser | None = None
    #: Who performed the action (assigned, changed the status …).
    action_user: VeltUser | None = None
    mentioned_users: tuple[VeltUser, ...] = ()
    assigned_users: tuple[VeltUser, ...] = ()
    #: The thread's creator and every message author, in thread order.
    participants: tuple[VeltUser, ...] = ()
    #: Recipients Velt computed itself in its processed payload, by kind
    #: (``"mention"``: newly tagged users, ``"reply"``: users to update).
    velt_recipients: Mapping[str, tuple[VeltUser, ...]] = field(
        default_factory=dict, repr=False
    )
    #: User ids Velt says must not be told (private comments, permission provider).
    access_denied_user_ids: frozenset[str] = field(default_factory=frozenset)
    #: The delivery's ``visibility`` (Velt's mirror of a private comment's settings).
    visibility: Mapping[str, Any] | None = None
    #: For a private thread (the stored ``visibilityConfig`` or the delivery's
    #: visibility), the only users who may be told about it: its ``userIds`` and its
    #: author. ``None`` when every member of the organization may see the thread.
    visible_user_ids: frozenset[str] | None = None
    #: Users' notification settings Velt sent (``usersOrganizationNotificationsConfig``
    #: or ``usersDocumentNotificationsConfig``): user id → channel → ``ALL`` /
    #: ``MINE`` / ``NONE``.
    notification_config: Mapping[str, Mapping[str, Any]] = field(
        default_factory=dict, repr=False
    )
    status: str | None = None
    page_url: str | None = field(default=None, repr=False)
    page_title: str | None = field(default=None, repr=False)
    #: The stored thread (``PartialCommentAnnotation``) when found.
    annotation: Mapping[str, Any] | None = field(default=None, repr=False)
    #: The decoded delivery as Velt sent it.
    payload: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_comment_event(self) -> bool:
        return self.source == "comment"

    def users(self) -> dict[str, VeltUser]:
        """Every user the event names, by id."""
        found: dict[str, VeltUser] = {}
        groups: list[tuple[VeltUser, ...]] = [
            tuple(u for u in (self.author, self.action_user) if u is not None),
            self.mentioned_users,
            self.assigned_users,
            self.participants,
            *self.velt_recipients.values(),
        ]
        for group in groups:
            for user in group:
                found.setdefault(user.user_id, user)
        return found
