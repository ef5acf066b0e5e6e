"""Checks ``velt.E020``–``velt.E025`` and ``velt.W020``: resolver-token settings (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.checks import CheckMessage, Error, Warning
from jwt.algorithms import has_crypto

from .settings import (
    ASYMMETRIC_ALGORITHMS,
    HMAC_ALGORITHMS,
    KEY_SLOTS,
    TOKEN_DEFAULTS,
    is_configured,
    looks_like_pem,
)

TOKEN_CLASS = "velt_django.authentication.ResolverTokenAuthentication"
#: HMAC secrets shorter than this are guessable offline from one token (RFC 7518 §3.2).
MIN_SECRET_BYTES = 32


def _explicit_token_class(raw: Mapping[str, Any]) -> bool:
    classes = raw.get("AUTHENTICATION_CLASSES")
    return isinstance(classes, (list, tuple)) and TOKEN_CLASS in classes


def _check_values(token: Mapping[str, Any]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for key in sorted(set(token) - set(TOKEN_DEFAULTS)):
        messages.append(
            Error(f'Unknown VELT["RESOLVER_TOKEN"] key "{key}".', id="velt.E024")
        )
    for key in ("LEEWAY", "TTL", "JWKS_CACHE_LIFETIME"):
        value = token.get(key, TOKEN_DEFAULTS[key])
        minimum = 0 if key == "LEEWAY" else 1
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            messages.append(
                Error(
                    f'VELT["RESOLVER_TOKEN"]["{key}"] must be an integer >= {minimum} (seconds).',
                    id="velt.E024",
                )
            )
    max_ttl = token.get("MAX_TTL")
    ttl = token.get("TTL", TOKEN_DEFAULTS["TTL"])
    if max_ttl is not None and (
        isinstance(max_ttl, bool)
        or not isinstance(max_ttl, int)
        or max_ttl < 1
        or (isinstance(ttl, int) and max_ttl < ttl)
    ):
        messages.append(
            Error(
                'VELT["RESOLVER_TOKEN"]["MAX_TTL"] must be None or an integer >= TTL (seconds).',
                hint="Tokens are minted with TTL, so it cannot be longer than MAX_TTL.",
                id="velt.E024",
            )
        )
    if not isinstance(token.get("REQUIRE_EXP", True), bool):
        messages.append(
            Error(
                'VELT["RESOLVER_TOKEN"]["REQUIRE_EXP"] must be True or False.',
                id="velt.E024",
            )
        )
    return messages


def _check_algorithms(algorithms: Any) -> tuple[list[CheckMessage], set[str]]:
    if (
        not isinstance(algorithms, (list, tuple))
        or not algorithms
        or not all(isinstance(a, str) for a in algorithms)
    ):
        return [
            Error(
                'VELT["RESOLVER_TOKEN"]["ALGORITHMS"] must be a non-empty list of algorithm names.',
                id="velt.E021",
            )
        ], set()
    chosen = set(algorithms)
    if any(a.lower() == "none" for a in chosen):
        return [
            Error(
                'VELT["RESOLVER_TOKEN"]["ALGORITHMS"] must not contain "none".',
                hint="Unsigned tokens can be forged by anyone.",
                id="velt.E021",
            )
        ], set()
    unknown = chosen - HMAC_ALGORITHMS - ASYMMETRIC_ALGORITHMS
    if unknown:
        return [
            Error(
                f'VELT["RESOLVER_TOKEN"]["ALGORITHMS"] has unsupported algorithms: {sorted(unknown)}.',
                id="velt.E021",
            )
        ], set()
    if chosen & HMAC_ALGORITHMS and chosen & ASYMMETRIC_ALGORITHMS:
        return [
            Error(
                'VELT["RESOLVER_TOKEN"]["ALGORITHMS"] mixes HMAC (HS*) and public-key algorithms.',
                hint="A public key used as an HMAC secret lets anyone sign tokens. Pick one family.",
                id="velt.E021",
            )
        ], set()
    return [], chosen


def _check_keys(token: Mapping[str, Any], chosen: set[str]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    slots = [slot for slot in KEY_SLOTS if token.get(slot)]
    if len(slots) > 1:
        messages.append(
            Error(
                f'VELT["RESOLVER_TOKEN"] sets several verification keys ({", ".join(slots)}); set one.',
                id="velt.E022",
            )
        )
    secret = token.get("SECRET")
    if secret and looks_like_pem(secret):
        messages.append(
            Error(
                'VELT["RESOLVER_TOKEN"]["SECRET"] holds a PEM or SSH key.',
                hint="Public keys go in PUBLIC_KEY with RS*/ES* algorithms, never in the HMAC slot.",
                id="velt.E022",
            )
        )
    elif secret and not isinstance(secret, (str, bytes)):
        messages.append(
            Error('VELT["RESOLVER_TOKEN"]["SECRET"] must be a string.', id="velt.E022")
        )
    elif isinstance(secret, (str, bytes)) and len(secret) < MIN_SECRET_BYTES:
        messages.append(
            Warning(
                f'VELT["RESOLVER_TOKEN"]["SECRET"] is shorter than {MIN_SECRET_BYTES} bytes.',
                hint="Use a random secret of at least 32 bytes, e.g. secrets.token_urlsafe(48).",
                id="velt.W020",
            )
        )
    if chosen and secret and not chosen & HMAC_ALGORITHMS:
        messages.append(
            Error(
                'VELT["RESOLVER_TOKEN"]["SECRET"] is set but ALGORITHMS has no HS* algorithm.',
                id="velt.E022",
            )
        )
    if chosen & HMAC_ALGORITHMS and (token.get("PUBLIC_KEY") or token.get("JWKS_URL")):
        messages.append(
            Error(
                'VELT["RESOLVER_TOKEN"]: PUBLIC_KEY and JWKS_URL need RS*/ES*/PS*/EdDSA algorithms.',
                id="velt.E022",
            )
        )
    url = token.get("JWKS_URL")
    if url and (not isinstance(url, str) or not url.lower().startswith("https://")):
        messages.append(
            Error(
                'VELT["RESOLVER_TOKEN"]["JWKS_URL"] must be an https:// URL.',
                hint="Keys fetched over plain HTTP can be replaced in transit.",
                id="velt.E023",
            )
        )
    if chosen & ASYMMETRIC_ALGORITHMS and not has_crypto:
        messages.append(
            Error(
                "RS*/ES*/PS*/EdDSA resolver tokens need the cryptography package.",
                hint='pip install "PyJWT[crypto]"',
                id="velt.E025",
            )
        )
    return messages


def check_resolver_token(raw: Mapping[str, Any]) -> list[CheckMessage]:
    """Every check on ``VELT["RESOLVER_TOKEN"]`` and the token class's configuration."""
    token = raw.get("RESOLVER_TOKEN", {})
    if not isinstance(token, Mapping):
        return [Error('VELT["RESOLVER_TOKEN"] must be a dict.', id="velt.E024")]
    messages = _check_values(token)
    algorithm_messages, chosen = _check_algorithms(
        token.get("ALGORITHMS", TOKEN_DEFAULTS["ALGORITHMS"])
    )
    messages += algorithm_messages
    messages += _check_keys(token, chosen)
    if _explicit_token_class(raw) and not is_configured(token):
        messages.append(
            Error(
                "ResolverTokenAuthentication is configured but no verification key is set.",
                hint='Set VELT["RESOLVER_TOKEN"]["SECRET"], ["PUBLIC_KEY"] or ["JWKS_URL"].',
                id="velt.E020",
            )
        )
    return messages
