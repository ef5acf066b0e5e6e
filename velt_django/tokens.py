"""Resolver tokens: the ``VELT["RESOLVER_TOKEN"]`` settings and :func:`mint_token`."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jwt

from .conf import velt_settings
from .exceptions import VeltConfigurationError

HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
ASYMMETRIC_ALGORITHMS = frozenset(
    {
        "RS256",
        "RS384",
        "RS512",
        "PS256",
        "PS384",
        "PS512",
        "ES256",
        "ES256K",
        "ES384",
        "ES512",
        "EdDSA",
    }
)

#: Keys of ``VELT["RESOLVER_TOKEN"]`` and their defaults.
TOKEN_DEFAULTS: dict[str, Any] = {
    "SECRET": None,
    "PRIVATE_KEY": None,
    "PUBLIC_KEY": None,
    "JWKS_URL": None,
    "JWKS_CACHE_LIFETIME": 300,
    "ALGORITHMS": ["HS256"],
    "ISSUER": None,
    "AUDIENCE": None,
    "LEEWAY": 30,
    "TTL": 600,
    "REQUIRE_EXP": True,
    # The longest lifetime (seconds) a token may have, minted or verified; None: no limit.
    "MAX_TTL": None,
}

#: The verification-key slots; exactly one may be set.
KEY_SLOTS = ("SECRET", "PUBLIC_KEY", "JWKS_URL")


class MintedToken(NamedTuple):
    token: str
    #: Expiry, in seconds since the Unix epoch.
    expires_at: int


def token_settings() -> dict[str, Any]:
    """``VELT["RESOLVER_TOKEN"]`` laid over :data:`TOKEN_DEFAULTS` (read live)."""
    configured = velt_settings.RESOLVER_TOKEN
    merged = dict(TOKEN_DEFAULTS)
    merged.update(configured)
    return merged


def is_configured(config: Mapping[str, Any] | None = None) -> bool:
    """Whether a verification key (secret, public key or JWKS URL) is set."""
    config = token_settings() if config is None else config
    return any(config.get(slot) for slot in KEY_SLOTS)


def looks_like_pem(value: Any) -> bool:
    """A PEM block or an SSH public key: never an HMAC secret (CONTRACT §16.4)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return False
    text = value.strip()
    return "-----BEGIN" in text or text.startswith(("ssh-", "ecdsa-sha2-"))


def _signing_key(config: Mapping[str, Any], algorithm: str) -> Any:
    if algorithm in HMAC_ALGORITHMS:
        key = config.get("SECRET")
        slot = "SECRET"
    else:
        key = config.get("PRIVATE_KEY")
        slot = "PRIVATE_KEY"
    if not key:
        raise VeltConfigurationError(
            f'VELT["RESOLVER_TOKEN"]["{slot}"] is needed to sign {algorithm} tokens.'
        )
    return key


def issue_token(
    user_id: str,
    organization_ids: Sequence[str],
    ttl: int | None = None,
    **claims: Any,
) -> MintedToken:
    """Like :func:`mint_token`, returning the expiry too."""
    if isinstance(organization_ids, str):
        raise TypeError("organization_ids must be a list of organization ids")
    config = token_settings()
    algorithms = list(config["ALGORITHMS"] or [])
    if not algorithms:
        raise VeltConfigurationError('VELT["RESOLVER_TOKEN"]["ALGORITHMS"] is empty.')
    algorithm = str(algorithms[0])
    if algorithm not in HMAC_ALGORITHMS | ASYMMETRIC_ALGORITHMS:
        raise VeltConfigurationError(
            "The first resolver token algorithm cannot sign tokens."
        )
    lifetime = int(config["TTL"] if ttl is None else ttl)
    if lifetime <= 0:
        raise ValueError("ttl must be a positive number of seconds")
    max_ttl = config.get("MAX_TTL")
    if max_ttl is not None and lifetime > int(max_ttl):
        if ttl is None:  # velt.E024 reports this at startup
            raise VeltConfigurationError(
                'VELT["RESOLVER_TOKEN"]["TTL"] is longer than its "MAX_TTL".'
            )
        raise ValueError(f"ttl must be at most {int(max_ttl)} seconds (MAX_TTL)")
    now = int(time.time())
    payload: dict[str, Any] = dict(claims)
    payload.update(
        sub=str(user_id),
        velt_orgs=[str(org) for org in organization_ids],
        iat=now,
        exp=now + lifetime,
    )
    if config.get("ISSUER"):
        payload["iss"] = config["ISSUER"]
    if config.get("AUDIENCE"):
        payload["aud"] = config["AUDIENCE"]
    token = jwt.encode(payload, _signing_key(config, algorithm), algorithm=algorithm)
    return MintedToken(token, now + lifetime)


def mint_token(
    user_id: str,
    organization_ids: Sequence[str],
    ttl: int | None = None,
    **claims: Any,
) -> str:
    """Sign a resolver JWT for ``user_id`` that opens ``organization_ids``.

    Claims: ``sub``, ``velt_orgs`` (list), ``iat``, ``exp`` (now + ``ttl``, default
    ``RESOLVER_TOKEN["TTL"]``), and ``iss``/``aud`` when configured; ``claims`` adds
    more. Signs with the first of ``ALGORITHMS``: ``SECRET`` for HS*, ``PRIVATE_KEY``
    otherwise. Raises :class:`~velt_django.exceptions.VeltConfigurationError` when the
    signing key is missing, and ``ValueError`` when ``ttl`` is not positive or exceeds
    ``RESOLVER_TOKEN["MAX_TTL"]``.
    """
    return issue_token(user_id, organization_ids, ttl, **claims).token
