"""Builds a :class:`VeltWebhookEvent` from a delivery, the stored thread and the users."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from .. import users, visibility
from ..repository.backend import resolve
from ..repository.comments import CommentRepository
from .delivery import ADVANCED, Delivery
from .events import (
    COMMENT_ACTIONS,
    MESSAGE_ADDED,
    OTHER_ACTIONS,
    VeltUser,
    VeltWebhookEvent,
)

logger = logging.getLogger(__name__)

Obj = Mapping[str, Any]
_EMPTY: Obj = {}


def _obj(value: Any) -> Obj:
    return value if isinstance(value, Mapping) else _EMPTY


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, str)):
        return str(value) or None
    return None


def _first(*values: Any) -> str | None:
    return next((t for t in map(_text, values) if t is not None), None)


def _messages(value: Any) -> list[Obj]:
    """The messages of a thread: Velt sends a list, the store keeps a map by id."""
    items = value.values() if isinstance(value, Mapping) else value
    if not isinstance(items, Iterable) or isinstance(items, (str, bytes)):
        return []
    return [m for m in items if isinstance(m, Mapping)]


def _message(messages: list[Obj], comment_id: str | None) -> Obj:
    if comment_id is None:
        return messages[0] if messages else _EMPTY
    for message in messages:
        if _text(message.get("commentId")) == comment_id:
            return message
    return _EMPTY


# A user reference: {"userId": …} (maybe with a name), a tagged contact
# {"userId": …, "contact": {…}}, or a bare id string. Only the id and a display name
# are read: an e-mail address comes from the user directory alone, never from what a
# delivery or a stored thread says.
UserRef = tuple[str, str | None]


def _user_ref(value: Any) -> UserRef | None:
    if isinstance(value, str):
        return (value, None) if value else None
    ref = _obj(value)
    contact = _obj(ref.get("contact"))
    user_id = _first(ref.get("userId"), contact.get("userId"))
    if user_id is None:
        return None
    return user_id, _first(ref.get("name"), contact.get("name"))


def _user_refs(*values: Any) -> Iterator[UserRef]:
    for value in values:
        items = value if isinstance(value, list) else [value]
        for item in items:
            ref = _user_ref(item)
            if ref is not None:
                yield ref


def _ids_only(refs: Iterable[UserRef]) -> list[UserRef]:
    """References of the stored thread: any member of the organization writes it
    through ``comments/save``, so only its user ids are used, never its names."""
    return [(user_id, None) for user_id, _ in refs]


def _mentions(message: Obj) -> list[UserRef]:
    return list(_user_refs(message.get("to"), message.get("taggedUserContacts")))


def _web_url(*values: Any) -> str | None:
    """The first http(s) URL: anything else (``javascript:`` …) never reaches an e-mail."""
    for value in values:
        url = _text(value)
        if url and urlsplit(url).scheme in ("http", "https"):
            return url
    return None


def _status(value: Any) -> str | None:
    status = _obj(value)
    return _first(status.get("name"), status.get("id")) if status else _text(value)


def _is_v2(delivery: Delivery) -> bool:
    """Whether the payload is an advanced (v2) one, its fields nested under ``data``:
    a top-level string ``event`` says so (``eventType``, from older samples, too),
    whichever channel delivered it."""
    payload = delivery.payload
    if not isinstance(payload.get("data"), Mapping):
        return False
    named = payload.get("event", payload.get("eventType"))
    return isinstance(named, str) or delivery.channel == ADVANCED


def _event_type(v2: bool, payload: Obj, content: Obj, source: str | None) -> str:
    action = _first(payload.get("actionType"), content.get("actionType"))
    if v2:
        named = _first(
            payload.get("event"),
            payload.get("eventType"),
            payload.get("type"),
            content.get("eventType"),
        )
        if named and "." in named:
            return named
    if source == "comment" and action is not None and action in COMMENT_ACTIONS:
        return COMMENT_ACTIONS[action]
    if action is not None and (source, action) in OTHER_ACTIONS:
        return OTHER_ACTIONS[(source, action)]
    return f"{source or 'unknown'}.{action or 'unknown'}"


def _source(payload: Obj, content: Obj) -> str | None:
    source = _first(
        payload.get("notificationSource"),
        payload.get("source"),
        content.get("notificationSource"),
    )
    if source:
        return source
    named = _first(payload.get("event"), payload.get("eventType"), payload.get("type"))
    if named and "." in named:
        prefix = named.split(".", 1)[0]
        return "comment" if prefix.startswith("comment") else prefix
    if "commentAnnotation" in content:
        return "comment"
    return None


def _stored_thread(org: str | None, annotation_id: str | None) -> Obj | None:
    if org is None or annotation_id is None:
        return None
    try:
        return (
            resolve(CommentRepository)()
            .get_many(org, [annotation_id])
            .get(annotation_id)
        )
    except Exception as err:  # an event is always built, with what is known
        logger.warning(
            "velt webhook: stored thread unavailable (%s)", type(err).__name__
        )
        return None


def _scoped_id(kind: str, content: Obj, annotation: Obj) -> str | None:
    """The organization or document id (``kind``): the integrator's ``client…`` ids
    first, then the flat id, from the delivery's metadata (where v2 nests them in
    ``organization`` / ``document`` and ``…Metadata`` objects), then the thread's
    metadata, then the delivery itself. Never a user's ``organizationId``: Velt puts
    its internal id there."""
    metadata = _obj(content.get("metadata"))
    nested = _obj(metadata.get(kind.lower()))
    nested_md = _obj(metadata.get(f"{kind.lower()}Metadata"))
    thread_md = _obj(annotation.get("metadata"))
    key = f"{kind[0].lower()}{kind[1:]}Id"
    client = f"client{kind}Id"
    return _first(
        metadata.get(client),
        nested.get(client),
        nested_md.get(client),
        nested.get(key),
        nested_md.get(key),
        metadata.get(key),
        thread_md.get(client),
        thread_md.get(key),
        content.get(key),
    )


def _user_ids(*values: Any) -> frozenset[str]:
    """User ids of lists of ids or user objects (``accessDeniedUsers``)."""
    found: set[str] = set()
    for value in values:
        for item in value if isinstance(value, list) else []:
            ref = _user_ref(item)
            if ref is not None:
                found.add(ref[0])
    return frozenset(found)


#: Keys of the users' notification settings; a delivery carries at most one.
NOTIFICATION_CONFIGS = (
    "usersOrganizationNotificationsConfig",
    "usersDocumentNotificationsConfig",
)


def _notification_config(payload: Obj, content: Obj) -> dict[str, Obj]:
    for key in NOTIFICATION_CONFIGS:
        for source in (payload, content):
            config = source.get(key)
            if isinstance(config, Mapping):
                return {
                    str(user_id): channels
                    for user_id, channels in config.items()
                    if isinstance(channels, Mapping)
                }
    return {}


def _visible_user_ids(
    org: str | None, threads: Iterable[Obj | None]
) -> frozenset[str] | None:
    """Who of ``org``'s members may hear of a thread, given each version of it that
    may carry its visibility (docs/webhooks.md, "Notification e-mails"): ``None``
    when all may; else the users every restricting version allows (its ``userIds`` and
    author). An ``organizationPrivate`` thread that names ``org`` (or no organization:
    the thread's own) restricts nothing here, as recipients are ``org``'s members."""
    allowed: frozenset[str] | None = None
    for thread in threads:
        if thread is None:
            continue
        named = visibility.allowed_users(thread)
        if named is None:
            continue
        orgs = visibility.private_organizations(thread, org or "")
        if org is not None and orgs is not None and org in orgs:
            continue
        allowed = frozenset(named) if allowed is None else allowed & named
    return allowed


class _UserBook:
    """The users an event names, looked up in the user directory in one query.

    E-mail addresses and directory names are those of members of the delivery's
    organization only: the directory marks a user it knows to belong to the requested
    organization with that ``organizationId`` (docs/users.md, "``users/get``"),
    whether or not ``USER_ORGANIZATION_SCOPED`` is on. For the MongoDB directory that is
    the user's stored ``organizationIds``; for the Django directory the ``USER_FIELDS
    ["organizations"]`` lookup. A directory that keeps no memberships (the Django one
    without that lookup) cannot tell, and then nobody gets an e-mail: a user only of
    another organization must never be mailed about this one. Anyone else keeps the
    display name Velt's delivery gave, and no e-mail.
    """

    def __init__(self, refs: list[UserRef], org: str | None, webhook_id: str) -> None:
        self.names: dict[str, str] = {}
        for user_id, name in refs:
            if name is not None:
                self.names.setdefault(user_id, name)
        self.members: Mapping[str, Any] = {}
        ids = list(dict.fromkeys(ref[0] for ref in refs))
        if not ids or org is None:
            return
        try:
            found = users.get_many(ids, org)
        except Exception as err:  # an event is always built, with what is known
            logger.warning(
                "velt webhook: user directory unavailable (%s)", type(err).__name__
            )
            return
        self.members = {
            user_id: entry
            for user_id, entry in found.items()
            if _obj(entry).get("organizationId") == org
        }
        if len(self.members) < len(found):
            logger.info(
                "velt webhook %s: %d user(s) not known as members of %s get no e-mail",
                webhook_id,
                len(found) - len(self.members),
                org,
            )

    def user(self, ref: UserRef) -> VeltUser:
        entry = _obj(self.members.get(ref[0]))
        name = _first(entry.get("name"), self.names.get(ref[0]))
        return VeltUser(ref[0], name, _first(entry.get("email")))

    def unique(self, refs: list[UserRef]) -> tuple[VeltUser, ...]:
        seen: dict[str, VeltUser] = {}
        for ref in refs:
            seen.setdefault(ref[0], self.user(ref))
        return tuple(seen.values())


def build_event(delivery: Delivery) -> VeltWebhookEvent:
    """The event of ``delivery``; never raises for missing or odd data."""
    payload = delivery.payload
    v2 = _is_v2(delivery)
    content = _obj(payload.get("data")) if v2 else payload
    source = _source(payload, content)
    event_type = _event_type(v2, payload, content, source)
    annotation = _obj(content.get("commentAnnotation"))
    metadata = _obj(content.get("metadata")) or _obj(annotation.get("metadata"))
    org = _scoped_id("Organization", content, annotation)
    document = _scoped_id("Document", content, annotation)
    annotation_id = _first(
        annotation.get("annotationId"),
        content.get("annotationId"),
        content.get("commentAnnotationId"),
    )
    target = _obj(content.get("targetComment")) or _obj(content.get("comment"))
    comment_id = _first(target.get("commentId"), content.get("commentId"))

    stored = _stored_thread(org, annotation_id) if source == "comment" else None
    stored_messages = _messages(_obj(stored).get("comments"))
    sent_messages = _messages(annotation.get("comments"))
    if comment_id is None and event_type in MESSAGE_ADDED and sent_messages:
        # No targetComment: the message added is the last of the delivery's array.
        comment_id = _text(sent_messages[-1].get("commentId"))
    stored_msg = _message(stored_messages, comment_id)
    sent_msg = target or _message(sent_messages, comment_id)
    if comment_id is None:
        comment_id = _first(stored_msg.get("commentId"), sent_msg.get("commentId"))

    # The author is who Velt's delivery says wrote the message; the stored thread (which
    # the client writes) only fills in an id the delivery lacks.
    author_refs = list(_user_refs(sent_msg.get("from"), content.get("from")))
    author_refs += _ids_only(_user_refs(stored_msg.get("from")))
    mention_refs = _ids_only(_mentions(stored_msg)) + _mentions(sent_msg)
    mention_refs += list(_user_refs(content.get("toContactsTagged")))
    assigned_refs = list(_user_refs(annotation.get("assignedTo")))
    assigned_refs += _ids_only(_user_refs(_obj(stored).get("assignedTo")))
    participant_refs = _ids_only(_user_refs(_obj(stored).get("from")))
    participant_refs += _user_refs(annotation.get("from"))
    authors = _user_refs(*(m.get("from") for m in stored_messages or sent_messages))
    participant_refs += _ids_only(authors) if stored_messages else authors
    actor_refs = list(_user_refs(content.get("actionUser"), payload.get("actionUser")))
    recipients = {
        "mention": list(_user_refs(content.get("toContactsTagged"))),
        "reply": list(_user_refs(content.get("toContactsUpdated"))),
    }

    refs = author_refs + mention_refs + assigned_refs + participant_refs + actor_refs
    refs += [r for group in recipients.values() for r in group]
    book = _UserBook(refs, org, delivery.webhook_id)
    user, unique = book.user, book.unique

    page = _obj(annotation.get("pageInfo")) or _obj(metadata.get("pageInfo"))
    mirror = content.get("visibility", payload.get("visibility"))
    mirror = mirror if isinstance(mirror, Mapping) else None
    # Velt's mirror of the visibility, read like a stored thread's: with its author.
    mirrored = {
        visibility.FIELD: mirror,
        "from": annotation.get("from") or _obj(stored).get("from"),
    }
    restricting = (stored, annotation, mirrored if mirror is not None else None)
    return VeltWebhookEvent(
        webhook_id=delivery.webhook_id,
        channel=delivery.channel,
        source=source,
        action_type=_first(payload.get("actionType"), content.get("actionType")),
        event_type=event_type,
        organization_id=org,
        document_id=document,
        annotation_id=annotation_id,
        comment_id=comment_id,
        thread_found=stored is not None,
        comment_text=_first(
            stored_msg.get("commentText"),
            sent_msg.get("commentText"),
            content.get("commentText"),
        ),
        comment_html=_first(stored_msg.get("commentHtml"), sent_msg.get("commentHtml")),
        author=user(author_refs[0]) if author_refs else None,
        action_user=user(actor_refs[0]) if actor_refs else None,
        mentioned_users=unique(mention_refs),
        assigned_users=unique(assigned_refs),
        participants=unique(participant_refs),
        velt_recipients={k: unique(v) for k, v in recipients.items() if v},
        access_denied_user_ids=_user_ids(
            payload.get("accessDeniedUsers"), content.get("accessDeniedUsers")
        ),
        visibility=mirror,
        visible_user_ids=_visible_user_ids(org, restricting),
        notification_config=_notification_config(payload, content),
        status=_status(annotation.get("status") or content.get("status")),
        page_url=_web_url(
            page.get("commentUrl"), page.get("url"), content.get("pageUrl")
        ),
        page_title=_first(page.get("title"), content.get("pageTitle")),
        annotation=stored,
        payload=payload,
    )
