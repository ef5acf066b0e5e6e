"""Velt's Real-time Permission Provider, answered by ``VELT["ORGANIZATION_ACCESS"]``.

Velt's servers POST batches of questions ("may user U access organization, folder or
document R?") to ``permissions/check``; each is put to the same policy that guards the
resolver endpoints, with a :class:`ProviderRequest` as ``request``. The policy may answer
``True``/``False`` or a :class:`Decision` carrying an access role and an expiry. See
docs/permission-provider.md.
"""

from __future__ import annotations

from .batch import RESOURCE_TYPES, PermissionQuery, Resource, parse_batch
from .decisions import ACCESS_ROLES, Decision, as_decision
from .principals import (
    Principal,
    ProviderRequest,
    django_user_for,
    load_principals,
)
from .provider import ACTION, ProviderTokenRefused, check_token, decide

__all__ = [
    "ACCESS_ROLES",
    "ACTION",
    "RESOURCE_TYPES",
    "Decision",
    "PermissionQuery",
    "Principal",
    "ProviderRequest",
    "ProviderTokenRefused",
    "Resource",
    "as_decision",
    "check_token",
    "decide",
    "django_user_for",
    "load_principals",
    "parse_batch",
]
