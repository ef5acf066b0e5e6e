"""``VeltClient``: a thin, typed wrapper over Velt's REST API (https://api.velt.dev)."""

from __future__ import annotations

from .base import (
    GDPR_DELETE_TIMEOUT,
    RETRY_STATUSES,
    USER_AGENT,
    AccessType,
    JSONObject,
    Order,
    PermissionResource,
    Record,
    VeltClient,
)

__all__ = [
    "GDPR_DELETE_TIMEOUT",
    "RETRY_STATUSES",
    "USER_AGENT",
    "AccessType",
    "JSONObject",
    "Order",
    "PermissionResource",
    "Record",
    "VeltClient",
]
