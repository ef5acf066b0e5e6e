"""Private comment threads: who may read a thread whose stored payload carries Velt's
``visibilityConfig`` (``CommentAnnotationVisibilityConfig``).

Velt keeps a thread's visibility in its own database; velt_django sees it only when the
frontend lists ``visibilityConfig`` in the comment provider's ``additionalFields`` (then
every save carries a copy). Threads without it are served as before.

The rule, applied to every ``comments/get`` after the organization policy:

* no ``visibilityConfig``, a value that is not an object, or ``type: "public"``: visible
  to whoever may read the organization;
* ``type: "organizationPrivate"``: visible to the users of the next item, and to a
  caller the policy lets ``get`` one of ``organizationIds`` ∪ {``organizationId``} (the
  record's own organization when neither is set);
* any other type (``"restricted"``, and unknown values such as ``"private"``, which fail
  closed): visible only to the users in ``userIds`` and to the thread's author;
* a caller with no user id never sees a thread that is not public.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

PUBLIC = "public"
ORGANIZATION_PRIVATE = "organizationPrivate"

#: The payload key Velt's SDK uses for a thread's visibility.
FIELD = "visibilityConfig"


def _ids(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value} if value else set()
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        return {str(v) for v in value if isinstance(v, (str, int)) and str(v)}
    return set()


def restriction(payload: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The thread's visibility config when it restricts readers, else ``None``."""
    config = payload.get(FIELD)
    if not isinstance(config, Mapping) or config.get("type") == PUBLIC:
        return None
    return config


def author_id(payload: Mapping[str, Any]) -> str | None:
    """The thread author's user id (the annotation's ``from``)."""
    author = payload.get("from")
    if isinstance(author, Mapping):
        user_id = author.get("userId")
        return str(user_id) if isinstance(user_id, (str, int)) and user_id else None
    return None


def allowed_users(payload: Mapping[str, Any]) -> set[str] | None:
    """The user ids a restricted thread names (``userIds`` and its author), or ``None``
    for a thread anyone in the organization may see."""
    config = restriction(payload)
    if config is None:
        return None
    users = _ids(config.get("userIds"))
    author = author_id(payload)
    if author is not None:
        users.add(author)  # records older than SDK 5.0.4 may lack the author
    return users


def private_organizations(
    payload: Mapping[str, Any], record_organization: str
) -> set[str] | None:
    """For an ``organizationPrivate`` thread, the organizations whose readers may see
    it; ``None`` for any other type."""
    config = restriction(payload)
    if config is None or config.get("type") != ORGANIZATION_PRIVATE:
        return None
    orgs = _ids(config.get("organizationIds")) | _ids(config.get("organizationId"))
    return orgs or {record_organization}


def is_visible(
    payload: Mapping[str, Any],
    record_organization: str,
    user_id: str | None,
    may_read_organization: Callable[[str], bool],
) -> bool:
    """Whether the caller ``user_id`` may receive this thread. ``may_read_organization``
    asks the organization policy (action ``get``) for one organization."""
    users = allowed_users(payload)
    if users is None:
        return True
    if user_id is None:
        return False
    if user_id in users:
        return True
    orgs = private_organizations(payload, record_organization)
    return orgs is not None and any(may_read_organization(org) for org in sorted(orgs))
