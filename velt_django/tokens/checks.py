"""Checks of the resolver-token settings (no I/O): ``velt.E020``–``E029``,
``E120``–``E129`` and ``velt.W020``–``W029``, defined in :mod:`velt_django.check_codes`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.checks import CheckMessage
from jwt.algorithms import has_crypto

from ..check_codes import Tokens, misconfigured
from ..conf import TOKEN_KEYS, VeltSettings, velt_settings
from .settings import (
    ASYMMETRIC_ALGORITHMS,
    HMAC_ALGORITHMS,
    KEY_SLOTS,
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
    for key in sorted(set(token) - VeltSettings.RESOLVER_TOKEN.key_names):
        messages.append(Tokens.E123(f'Unknown VELT["RESOLVER_TOKEN"] key "{key}".'))
    messages += misconfigured(TOKEN_KEYS, token, 'VELT["RESOLVER_TOKEN"]')
    max_ttl = token.get("MAX_TTL")
    ttl = velt_settings.RESOLVER_TOKEN["TTL"]
    if max_ttl is not None and (
        isinstance(max_ttl, bool)
        or not isinstance(max_ttl, int)
        or max_ttl < 1
        or (isinstance(ttl, int) and max_ttl < ttl)
    ):
        messages.append(
            Tokens.E125(
                'VELT["RESOLVER_TOKEN"]["MAX_TTL"] must be None or an integer >= TTL (seconds).',
                hint="Tokens are minted with TTL, so it cannot be longer than MAX_TTL.",
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
            Tokens.E021(
                'VELT["RESOLVER_TOKEN"]["ALGORITHMS"] must be a non-empty list of algorithm names.'
            )
        ], set()
    chosen = set(algorithms)
    if any(a.lower() == "none" for a in chosen):
        return [
            Tokens.E026(
                'VELT["RESOLVER_TOKEN"]["ALGORITHMS"] must not contain "none".',
                hint="Unsigned tokens can be forged by anyone.",
            )
        ], set()
    unknown = chosen - HMAC_ALGORITHMS - ASYMMETRIC_ALGORITHMS
    if unknown:
        return [
            Tokens.E027(
                f'VELT["RESOLVER_TOKEN"]["ALGORITHMS"] has unsupported algorithms: {sorted(unknown)}.'
            )
        ], set()
    if chosen & HMAC_ALGORITHMS and chosen & ASYMMETRIC_ALGORITHMS:
        return [
            Tokens.E028(
                'VELT["RESOLVER_TOKEN"]["ALGORITHMS"] mixes HMAC (HS*) and public-key algorithms.',
                hint="A public key used as an HMAC secret lets anyone sign tokens. Pick one family.",
            )
        ], set()
    return [], chosen


def _check_keys(token: Mapping[str, Any], chosen: set[str]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    slots = [slot for slot in KEY_SLOTS if token.get(slot)]
    if len(slots) > 1:
        messages.append(
            Tokens.E022(
                f'VELT["RESOLVER_TOKEN"] sets several verification keys ({", ".join(slots)}); set one.'
            )
        )
    secret = token.get("SECRET")
    if secret and looks_like_pem(secret):
        messages.append(
            Tokens.E029(
                'VELT["RESOLVER_TOKEN"]["SECRET"] holds a PEM or SSH key.',
                hint="Public keys go in PUBLIC_KEY with RS*/ES* algorithms, never in the HMAC slot.",
            )
        )
    elif secret and not isinstance(secret, (str, bytes)):
        messages.append(
            Tokens.E120('VELT["RESOLVER_TOKEN"]["SECRET"] must be a string.')
        )
    elif isinstance(secret, (str, bytes)) and len(secret) < MIN_SECRET_BYTES:
        messages.append(
            Tokens.W020(
                f'VELT["RESOLVER_TOKEN"]["SECRET"] is shorter than {MIN_SECRET_BYTES} bytes.',
                hint="Use a random secret of at least 32 bytes, e.g. secrets.token_urlsafe(48).",
            )
        )
    if chosen and secret and not chosen & HMAC_ALGORITHMS:
        messages.append(
            Tokens.E121(
                'VELT["RESOLVER_TOKEN"]["SECRET"] is set but ALGORITHMS has no HS* algorithm.'
            )
        )
    if chosen & HMAC_ALGORITHMS and (token.get("PUBLIC_KEY") or token.get("JWKS_URL")):
        messages.append(
            Tokens.E122(
                'VELT["RESOLVER_TOKEN"]: PUBLIC_KEY and JWKS_URL need RS*/ES*/PS*/EdDSA algorithms.'
            )
        )
    url = token.get("JWKS_URL")
    if url and (not isinstance(url, str) or not url.lower().startswith("https://")):
        messages.append(
            Tokens.E023(
                'VELT["RESOLVER_TOKEN"]["JWKS_URL"] must be an https:// URL.',
                hint="Keys fetched over plain HTTP can be replaced in transit.",
            )
        )
    if chosen & ASYMMETRIC_ALGORITHMS and not has_crypto:
        messages.append(
            Tokens.E025(
                "RS*/ES*/PS*/EdDSA resolver tokens need the cryptography package.",
                hint='pip install "PyJWT[crypto]"',
            )
        )
    return messages


def check_resolver_token(raw: Mapping[str, Any]) -> list[CheckMessage]:
    """Every check on ``VELT["RESOLVER_TOKEN"]`` and the token class's configuration."""
    token = velt_settings.get("RESOLVER_TOKEN")
    if not isinstance(token, Mapping):
        return [Tokens.E024('VELT["RESOLVER_TOKEN"] must be a dict.')]
    messages = _check_values(token)
    algorithm_messages, chosen = _check_algorithms(
        velt_settings.RESOLVER_TOKEN["ALGORITHMS"]
    )
    messages += algorithm_messages
    messages += _check_keys(token, chosen)
    if _explicit_token_class(raw) and not is_configured(token):
        messages.append(
            Tokens.E020(
                "ResolverTokenAuthentication is configured but no verification key is set.",
                hint='Set VELT["RESOLVER_TOKEN"]["SECRET"], ["PUBLIC_KEY"] or ["JWKS_URL"].',
            )
        )
    return messages
