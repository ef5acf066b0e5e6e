"""One user's data across velt_django's stores: find it, export it, erase it (GDPR).

A record *mentions* a user when a user object (any object whose ``userId`` is the
user's id) or an id field (``userId``, ``…UserId`` such as ``resolvedByUserId``, or an id
list ``userIds`` / ``…UserIds``) names them anywhere in its payload. Erasing applies one
rule per family (documented in docs/gdpr.md):

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

from .erase import (
    ERASE_ATTEMPTS,
    ERASE_EVENT,
    Change,
    DeletionPlan,
    apply_deletion,
    plan_deletion,
)
from .export import export_user_data
from .families import (
    FAMILIES,
    Eraser,
    Family,
    Roles,
    activity_roles,
    comment_roles,
    erase_comment,
    notification_roles,
    reaction_roles,
    recording_roles,
)
from .matching import (
    ANONYMOUS_NAME,
    ANONYMOUS_USER_ID,
    MENTION_LABEL,
    anonymous_user,
    is_user,
    mentions,
    scrub,
)
from .scan import Found

__all__ = [
    "ANONYMOUS_NAME",
    "ANONYMOUS_USER_ID",
    "ERASE_ATTEMPTS",
    "ERASE_EVENT",
    "FAMILIES",
    "MENTION_LABEL",
    "Change",
    "DeletionPlan",
    "Eraser",
    "Family",
    "Found",
    "Roles",
    "activity_roles",
    "anonymous_user",
    "apply_deletion",
    "comment_roles",
    "erase_comment",
    "export_user_data",
    "is_user",
    "mentions",
    "notification_roles",
    "plan_deletion",
    "reaction_roles",
    "recording_roles",
    "scrub",
]
