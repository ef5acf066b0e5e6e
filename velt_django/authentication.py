"""``ResolverTokenAuthentication``: Bearer resolver JWTs (docs/tokens.md)."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import jwt
from jwt.algorithms import has_crypto
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .conf import velt_settings
from .exceptions import ResolverTokenRefused
from .tokens.settings import (
    ASYMMETRIC_ALGORITHMS,
    HMAC_ALGORITHMS,
    is_configured,
    token_settings,
)

logger = logging.getLogger(__name__)

#: The failure codes (``authErrorCode``), the nine of the ``verifyToken`` helper of
#: Velt's backend SDKs (docs/tokens.md, "Refusals").
AUTH_ERROR_CODES = (
    "NOT_CONFIGURED",
    "MISSING_TOKEN",
    "EXPIRED",
    "INVALID_SIGNATURE",
    "CLAIM_MISMATCH",
    "ALGORITHM_NOT_ALLOWED",
    "KEY_RESOLUTION_FAILED",
    "DEPENDENCY_MISSING",
    "VERIFICATION_FAILED",
)

_CLAIM_ERRORS = (
    jwt.InvalidAudienceError,
    jwt.InvalidIssuerError,
    jwt.MissingRequiredClaimError,
    jwt.ImmatureSignatureError,
    jwt.InvalidIssuedAtError,
)

_jwks_clients: dict[tuple[str, float], jwt.PyJWKClient] = {}
_jwks_lock = threading.Lock()

#: Tokens verified lately, by (token, token settings): the browser sends the same token
#: with every request, and verifying it again is a measurable share of a small read
#: (docs/performance.md). An entry is used for at most ``VERIFIED_SECONDS`` and never
#: past the token's ``exp`` (plus ``LEEWAY``); a change of the token settings misses.
#: A per-process memo of a pure check, not state a request depends on.
VERIFIED_SECONDS = 30.0
VERIFIED_ENTRIES = 1024
_verified: OrderedDict[tuple[str, str], tuple[float, dict[str, Any]]] = OrderedDict()
_verified_lock = threading.Lock()


class ResolverPrincipal:
    """The user a verified resolver token names (``request.user``); not a Django user."""

    is_authenticated = True
    is_anonymous = False
    is_active = True

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        self.pk = user_id

    def __str__(self) -> str:
        return self.user_id

    def __repr__(self) -> str:
        return f"<ResolverPrincipal {self.user_id!r}>"


def _refuse(code: str) -> ResolverTokenRefused:
    logger.info("resolver token refused: %s", code)
    return ResolverTokenRefused(code)


def jwks_client(url: str, lifetime: float) -> jwt.PyJWKClient:
    """One cached ``PyJWKClient`` per (URL, cache lifetime) and process."""
    with _jwks_lock:
        client = _jwks_clients.get((url, lifetime))
        if client is None:
            client = jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=lifetime)
            _jwks_clients[(url, lifetime)] = client
        return client


def _verification_key(config: Mapping[str, Any], token: str, algorithm: str) -> Any:
    if algorithm in HMAC_ALGORITHMS:
        secret = config.get("SECRET")
        if not secret:
            raise _refuse("KEY_RESOLUTION_FAILED")
        return secret
    if not has_crypto:
        raise _refuse("DEPENDENCY_MISSING")
    if config.get("PUBLIC_KEY"):
        return config["PUBLIC_KEY"]
    url = config.get("JWKS_URL")
    if not isinstance(url, str) or not url.lower().startswith("https://"):
        # velt.E023 reports this at startup; refuse even if the check is silenced.
        raise _refuse("KEY_RESOLUTION_FAILED")
    try:
        client = jwks_client(url, float(config["JWKS_CACHE_LIFETIME"]))
        return client.get_signing_key_from_jwt(token).key
    except (jwt.PyJWKClientError, jwt.PyJWKError, jwt.DecodeError, ValueError):
        raise _refuse("KEY_RESOLUTION_FAILED") from None


def _lifetime(claims: Mapping[str, Any], config: Mapping[str, Any]) -> float:
    """How long a verified token lives, for ``MAX_TTL``: ``exp - iat``. Without ``iat``
    it is what remains, ``exp - now``, less ``LEEWAY`` for the issuer's clock; that still
    bounds how long the token can be used. PyJWT has checked both are integers."""
    expires = int(claims["exp"])
    if "iat" in claims:
        return expires - int(claims["iat"])
    return expires - time.time() - float(config.get("LEEWAY") or 0)


def verify_token(token: str) -> dict[str, Any]:
    """The verified claims of ``token``, or :class:`ResolverTokenRefused` with its code.

    The header's ``alg`` must be in ``ALGORITHMS`` (``none`` never is); ``sub`` is
    required, ``exp`` too unless ``REQUIRE_EXP`` is off (``MAX_TTL`` requires it
    again), and ``iss``/``aud`` when ``ISSUER``/``AUDIENCE`` are set.
    """
    if not token:
        raise _refuse("MISSING_TOKEN")
    config = token_settings()
    key = (token, repr(sorted(config.items())))
    now = time.monotonic()
    with _verified_lock:
        hit = _verified.get(key)
    if hit is not None and now - hit[0] < VERIFIED_SECONDS:
        expires = hit[1].get("exp")
        leeway = float(config.get("LEEWAY") or 0)
        if expires is None or time.time() <= float(expires) + leeway:
            return dict(hit[1])
    claims = _verify(token, config)
    with _verified_lock:
        _verified[key] = (now, claims)
        _verified.move_to_end(key)
        while len(_verified) > VERIFIED_ENTRIES:
            _verified.popitem(last=False)
    return dict(claims)


def forget_verified_tokens() -> None:
    """Empty the memo of verified tokens (tests; a key revoked in a hurry)."""
    with _verified_lock:
        _verified.clear()


def _verify(token: str, config: Mapping[str, Any]) -> dict[str, Any]:
    if not is_configured(config):
        raise _refuse("NOT_CONFIGURED")
    allowed = [str(alg) for alg in config.get("ALGORITHMS") or []]
    known = HMAC_ALGORITHMS | ASYMMETRIC_ALGORITHMS
    mixed = bool(set(allowed) & HMAC_ALGORITHMS) and bool(
        set(allowed) & ASYMMETRIC_ALGORITHMS
    )
    if not allowed or mixed or not set(allowed) <= known:
        # velt.E021, E027 and E028 report this at startup; refuse even if silenced.
        raise _refuse("NOT_CONFIGURED")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise _refuse("VERIFICATION_FAILED") from None
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in allowed:
        raise _refuse("ALGORITHM_NOT_ALLOWED")
    key = _verification_key(config, token, algorithm)
    max_ttl = config.get("MAX_TTL")
    required = ["sub"]
    if config.get("REQUIRE_EXP", True) or max_ttl is not None:
        required.append("exp")  # a bounded lifetime needs an expiry
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            issuer=config.get("ISSUER") or None,
            audience=config.get("AUDIENCE") or None,
            leeway=float(config.get("LEEWAY") or 0),
            options={"require": required},
        )
    except jwt.ExpiredSignatureError:
        raise _refuse("EXPIRED") from None
    except jwt.InvalidSignatureError:
        raise _refuse("INVALID_SIGNATURE") from None
    except _CLAIM_ERRORS:
        raise _refuse("CLAIM_MISMATCH") from None
    except jwt.InvalidAlgorithmError:
        raise _refuse("ALGORITHM_NOT_ALLOWED") from None
    except jwt.InvalidKeyError:
        raise _refuse("KEY_RESOLUTION_FAILED") from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise _refuse("VERIFICATION_FAILED") from None
    if max_ttl is not None and _lifetime(claims, config) > int(max_ttl):
        raise _refuse("CLAIM_MISMATCH")
    subject = claims.get("sub")
    orgs = claims.get("velt_orgs", [])
    if not isinstance(subject, str) or not subject:
        raise _refuse("CLAIM_MISMATCH")
    if not isinstance(orgs, list) or not all(isinstance(o, str) for o in orgs):
        raise _refuse("CLAIM_MISMATCH")
    return claims


class ResolverTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <resolver JWT>``, verified with ``VELT["RESOLVER_TOKEN"]``.

    On success ``request.user`` is a :class:`ResolverPrincipal` (``user_id`` = ``sub``)
    and ``request.auth`` the verified claims, so ``velt_orgs_claim`` can authorize.
    Any other scheme, or no header, returns ``None`` (the next class may try). Without a
    configured key the class stays out of the way (``None``) when it is only in the
    default ``AUTHENTICATION_CLASSES``, and refuses bearer tokens with
    ``NOT_CONFIGURED`` when a project configured it explicitly.
    """

    def authenticate(
        self, request: Any
    ) -> tuple[ResolverPrincipal, dict[str, Any]] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if not is_configured():
            if velt_settings.is_set("AUTHENTICATION_CLASSES"):
                raise _refuse("NOT_CONFIGURED")
            return None
        if len(parts) == 1:
            raise _refuse("MISSING_TOKEN")
        if len(parts) > 2:
            raise _refuse("VERIFICATION_FAILED")
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise _refuse("VERIFICATION_FAILED") from None
        claims = verify_token(token)
        return ResolverPrincipal(claims["sub"]), claims

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="velt"'
