"""Ready-made organization access policies for ``VELT["ORGANIZATION_ACCESS"]``.

A policy is a callable ``(request, action, organization_id, document_ids) -> bool`` that
velt_django calls for every organization a request touches, before any read or write
(docs/organization-access.md). ``action`` is one of ``"get"``, ``"save"``,
``"delete"``, ``"resolve"``.

``document_ids`` are the documents involved as far as they can be known: on a save, the
documents the records are saved under *and* the documents they are stored under now; on
a delete, the document the record is stored under; on a get, the documents the request
names, and afterwards, one call per further document the matching records are stored
under (records of a refused document are dropped from the answer).

Finding the stored documents costs a read before each save and delete. A policy that
decides by organization alone can say so with :func:`organization_level`, and those
reads are skipped; the policies shipped here are marked that way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from .conf import velt_settings
from .exceptions import Forbidden

logger = logging.getLogger(__name__)

Policy = TypeVar("Policy", bound=Callable[..., bool])


def organization_level(policy: Policy) -> Policy:
    """Mark ``policy`` as deciding by organization only: it ignores ``document_ids``,
    so velt_django does not look up stored documents for it."""
    policy.velt_document_scoped = False  # type: ignore[attr-defined]
    return policy


def is_document_scoped(policy: Any) -> bool:
    """Whether velt_django must give ``policy`` the stored documents (the safe default
    for any policy not marked with :func:`organization_level`)."""
    return bool(getattr(policy, "velt_document_scoped", True))


@organization_level
def allow_all(
    request: Any, action: str, organization_id: str, document_ids: Sequence[str]
) -> bool:
    """Allow every organization. For local development only; a system check refuses it
    when ``DEBUG`` is off."""
    return True


allow_all.velt_allows_everything = True  # type: ignore[attr-defined]


@organization_level
def deny_all(
    request: Any, action: str, organization_id: str, document_ids: Sequence[str]
) -> bool:
    """Refuse every organization (useful to switch the endpoints off)."""
    return False


@organization_level
def velt_orgs_claim(
    request: Any, action: str, organization_id: str, document_ids: Sequence[str]
) -> bool:
    """Allow an organization iff it is listed in the ``velt_orgs`` claim of ``request.auth``.

    Authentication classes that verify a token set ``request.auth`` to its claims; with
    any other credential ``request.auth`` holds no such claim and every organization is
    refused.
    """
    claims = getattr(request, "auth", None)
    if not isinstance(claims, Mapping):
        return False
    orgs = claims.get("velt_orgs")
    if isinstance(orgs, str):
        return orgs == organization_id
    if isinstance(orgs, Sequence):
        return organization_id in orgs
    return False


def velt_user_id(user: Any) -> str | None:
    """The Velt user id of a Django user: its ``VELT["USER_FIELDS"]["userId"]``
    attribute (or method), the id the user directory answers and the token view puts in
    ``sub``; ``None`` when the user has no such value."""
    field = velt_settings.USER_FIELDS.get("userId") or "username"
    value = getattr(user, field, None)
    if callable(value):
        value = value()
    if value is None or isinstance(value, bool):
        return None
    text = str(value)
    return text or None


def principal_id(request: Any) -> str | None:
    """The Velt user id of the authenticated caller, if any: the token's ``sub``, a
    token principal's ``user_id``, or a Django user's mapped Velt id
    (:func:`velt_user_id`), never its primary key unless the mapping names ``pk``."""
    claims = getattr(request, "auth", None)
    if isinstance(claims, Mapping):
        sub = claims.get("sub")
        if isinstance(sub, str) and sub:
            return sub
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if hasattr(user, "user_id"):
        # A principal that is no Django user (token, shared secret): its own id or none.
        value = user.user_id
        return None if value is None else str(value) or None
    return velt_user_id(user)


def _api_keys(body: Any) -> Iterator[Any]:
    """Every ``metadata.apiKey`` a request carries: the request's own metadata (or the
    ``context`` alias), and the metadata of each record of a save map."""
    if not isinstance(body, dict):
        return
    for name in ("metadata", "context"):
        md = body.get(name)
        if isinstance(md, dict) and "apiKey" in md:
            yield md["apiKey"]
    for value in body.values():
        if not isinstance(value, dict):
            continue
        for record in value.values():
            md = record.get("metadata") if isinstance(record, dict) else None
            if isinstance(md, dict) and "apiKey" in md:
                yield md["apiKey"]


def check_api_keys(body: Any) -> None:
    """The optional API-key allowlist (docs/organization-access.md, "API-key
    allowlist"): with ``ALLOWED_API_KEYS`` set, a request carrying a
    ``metadata.apiKey`` that is not listed is refused with 403.
    Requests without one (gets carry none) pass; the key itself is never logged."""
    allowed = velt_settings.ALLOWED_API_KEYS
    if not allowed:
        return
    for key in _api_keys(body):
        if not isinstance(key, str) or key not in allowed:
            logger.info("request refused: its metadata.apiKey is not allowed")
            raise Forbidden("This Velt API key is not allowed here.")
