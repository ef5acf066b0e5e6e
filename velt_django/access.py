"""Ready-made organization access policies for ``VELT["ORGANIZATION_ACCESS"]``.

A policy is a callable ``(request, action, organization_id, document_ids) -> bool`` that
velt_django calls for every organization a request touches, before any read or write
(CONTRACT §16.5). ``action`` is one of ``"get"``, ``"save"``, ``"delete"``, ``"resolve"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def allow_all(
    request: Any, action: str, organization_id: str, document_ids: Sequence[str]
) -> bool:
    """Allow every organization. For local development only; a system check refuses it
    when ``DEBUG`` is off."""
    return True


allow_all.velt_allows_everything = True  # type: ignore[attr-defined]


def deny_all(
    request: Any, action: str, organization_id: str, document_ids: Sequence[str]
) -> bool:
    """Refuse every organization (useful to switch the endpoints off)."""
    return False


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
