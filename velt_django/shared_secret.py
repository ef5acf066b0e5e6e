"""A static shared-secret header, for local development only (docs/shared-secret.md)."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.crypto import constant_time_compare
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from .conf import velt_settings

logger = logging.getLogger(__name__)

#: The request header carrying the secret (add it to ``CORS_EXTRA_ALLOWED_HEADERS``
#: when the page is on another origin).
HEADER = "X-Velt-Shared-Secret"

_warned = threading.Event()


def shared_secret_enabled() -> bool:
    """Whether the insecure mode is switched on: a secret is set, the opt-in is exactly
    ``True``, and ``DEBUG`` is on (it never authenticates anyone in production)."""
    return (
        velt_settings.INSECURE_SHARED_SECRET is not None
        and velt_settings.ALLOW_INSECURE_SHARED_SECRET
        and bool(settings.DEBUG)
    )


class SharedSecretPrincipal(AnonymousUser):
    """Whoever knows the secret: authenticated, but with no user identity and no
    organizations (every browser that loads the page holds the same header)."""

    user_id = None

    @property
    def is_authenticated(self) -> bool:  # type: ignore[override]
        return True

    @property
    def is_anonymous(self) -> bool:  # type: ignore[override]
        return False

    def __str__(self) -> str:
        return "SharedSecretPrincipal"


class InsecureSharedSecretAuthentication(BaseAuthentication):
    """Accept requests whose ``X-Velt-Shared-Secret`` header equals
    ``VELT["INSECURE_SHARED_SECRET"]`` (constant-time comparison).

    Inactive (returns ``None``, so other classes decide) unless
    ``VELT["ALLOW_INSECURE_SHARED_SECRET"] is True`` and ``DEBUG`` is on. A wrong secret
    raises ``AuthenticationFailed`` (401). ``request.auth`` is ``None``: there are no
    claims, so ``velt_orgs_claim`` refuses every organization and the mode needs an
    explicit ``ORGANIZATION_ACCESS`` policy. Checks ``velt.W004`` / ``velt.E015`` report it.
    """

    def authenticate(
        self, request: Request
    ) -> tuple[SharedSecretPrincipal, None] | None:
        if not shared_secret_enabled():
            return None
        if not _warned.is_set():
            _warned.set()
            logger.warning(
                "velt_django accepts the insecure shared-secret header %s: anyone who "
                "can load the frontend can use it. Development only.",
                HEADER,
            )
        supplied = request.headers.get(HEADER)
        if supplied is None:
            return None
        expected = velt_settings.INSECURE_SHARED_SECRET or ""
        if not constant_time_compare(supplied, expected):
            logger.info("shared-secret header did not match")
            raise AuthenticationFailed("Invalid shared secret.")
        return SharedSecretPrincipal(), None

    def authenticate_header(self, request: Request) -> str:
        return "SharedSecret"
