"""Per-principal rate limit of the resolver endpoints (docs/rate-limit-and-logs.md,
"Rate limit")."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from .conf import velt_settings
from .exceptions import VeltConfigurationError

#: ``"<requests>/<period>"``; DRF reads the period's first letter (s, m, h, d).
RATE_PATTERN = re.compile(r"^[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)$")


def is_valid_rate(value: Any) -> bool:
    """Whether ``value`` is ``None`` (no limit) or a rate such as ``"1200/min"``."""
    return value is None or (isinstance(value, str) and bool(RATE_PATTERN.match(value)))


def principal_key(request: Request) -> str | None:
    """Who the request is from, for rate limiting: the ``sub`` claim of ``request.auth``,
    else the authenticated user's id, else ``None`` (the caller falls back to the IP)."""
    claims = getattr(request, "auth", None)
    if isinstance(claims, Mapping):
        sub = claims.get("sub")
        if isinstance(sub, (str, int)) and not isinstance(sub, bool) and sub != "":
            return f"sub:{sub}"
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        user_id = getattr(user, "user_id", None)
        if user_id is None:
            user_id = getattr(user, "pk", None)
        if user_id is not None and user_id != "":
            return f"user:{user_id}"
    return None


class ResolverRateThrottle(SimpleRateThrottle):
    """At most ``VELT["THROTTLE_RATE"]`` requests per principal (see
    :func:`principal_key`; anonymous callers are counted per client IP).

    The counters live in Django's default cache: with several worker processes or hosts
    the cache must be shared (Redis, Memcached) for the limit to be global. A rate of
    ``None`` switches the throttle off.
    """

    scope = "velt"
    cache_format = "throttle_velt_%(ident)s"

    def get_rate(self) -> str | None:
        rate = velt_settings.THROTTLE_RATE
        if not is_valid_rate(rate):
            # velt.E013 reports this at startup; refuse rather than run unlimited.
            raise VeltConfigurationError('VELT["THROTTLE_RATE"] is not a valid rate')
        return rate

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        key = principal_key(request)
        if key is None:
            key = f"ip:{self.get_ident(request)}"
        # Hashed: keys stay short and cache-safe, and never spell out a user id.
        ident = hashlib.sha256(key.encode()).hexdigest()
        return self.cache_format % {"ident": ident}
