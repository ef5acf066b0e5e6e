"""Whether a payload names a user, and a copy of it with that user anonymised."""

from __future__ import annotations

from typing import Any

from ..repository.base import Document
from ..repository.merge import js_string

#: The user id and name that replace an erased user wherever a record is kept.
ANONYMOUS_USER_ID = "deleted-user"
ANONYMOUS_NAME = "Deleted user"
MENTION_LABEL = "@" + ANONYMOUS_NAME


def anonymous_user() -> Document:
    """The stub that replaces the erased user's user objects."""
    return {"userId": ANONYMOUS_USER_ID, "name": ANONYMOUS_NAME}


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
    """Whether the user is named anywhere in ``value`` (see :mod:`velt_django.gdpr`)."""
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
