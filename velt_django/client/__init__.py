"""``VeltClient``: a thin, typed wrapper over Velt's REST API (https://api.velt.dev)."""

from __future__ import annotations

from .base import (
    GDPR_DELETE_TIMEOUT,
    RETRY_STATUSES,
    USER_AGENT,
    AccessType,
    BaseClient,
    JSONObject,
    Order,
    PermissionResource,
    Record,
)
from .comments import CommentsMixin
from .organizations import OrganizationsMixin
from .users import UsersMixin
from .workspace import WorkspaceMixin

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


class VeltClient(
    UsersMixin, OrganizationsMixin, CommentsMixin, WorkspaceMixin, BaseClient
):
    """Calls Velt's REST API with the workspace credentials.

    Each argument falls back to ``VELT`` (``API_KEY``, ``AUTH_TOKEN``, ``API_BASE_URL``,
    ``API_TIMEOUT``, ``API_RETRIES``), then, for the two secrets, to the environment
    variables ``VELT_API_KEY`` and ``VELT_AUTH_TOKEN``. The ``requests.Session`` is created
    on the first call and reused; :meth:`close` (or ``with VeltClient() as client``)
    releases its connections.

    Every call is a POST with a JSON body and a timeout. A non-2xx answer, an answer
    whose body is Velt's ``{"error": {...}}`` envelope, a timeout or a connection failure
    raises :class:`~velt_django.exceptions.VeltAPIError` (``status`` is ``None`` when no
    answer arrived; ``body`` holds the parsed answer). Missing credentials raise
    :class:`~velt_django.exceptions.VeltConfigurationError` at the first call.

    Retries: Velt's API is POST-only, so urllib3's ``Retry`` is told per call whether
    POST may be repeated. Reads, deletes, updates and settings writes leave the same
    state however often they arrive; they are retried with exponential backoff (and
    ``Retry-After``) on connection errors, timeouts, 429 and 5xx. Calls that create
    something (``add_*``, ``broadcast_event``) could create it twice, so they are only
    retried when the connection could not be opened, i.e. nothing was sent.
    A ``Retry-After`` is honoured up to 10 s (``RETRY_AFTER_CAP``) or the timeout,
    whichever is shorter, and a call with its retries and pauses gets at most
    ``timeout x (retries + 1)`` seconds: a retry that could not end by then is not
    made, and the last answer or error is raised.
    """
