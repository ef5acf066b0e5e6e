"""Minting resolver tokens: :func:`mint_token` and :func:`issue_token` sign a JWT with the
first of ``VELT["RESOLVER_TOKEN"]["ALGORITHMS"]``."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jwt

from ..exceptions import VeltConfigurationError
from .settings import ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS, token_settings


class MintedToken(NamedTuple):
    token: str
    #: Expiry, in seconds since the Unix epoch.
    expires_at: int


def _signing_algorithm(config: Mapping[str, Any]) -> str:
    """The first of ``ALGORITHMS``, which tokens are signed with."""
    algorithms = list(config.get("ALGORITHMS") or [])
    if not algorithms:
        raise VeltConfigurationError('VELT["RESOLVER_TOKEN"]["ALGORITHMS"] is empty.')
    algorithm = str(algorithms[0])
    if algorithm not in HMAC_ALGORITHMS | ASYMMETRIC_ALGORITHMS:
        raise VeltConfigurationError(
            "The first resolver token algorithm cannot sign tokens."
        )
    return algorithm


def can_sign(config: Mapping[str, Any] | None = None) -> bool:
    """Whether :func:`issue_token` has what it signs with: a first algorithm it knows
    and that algorithm's key (``SECRET`` for HS*, ``PRIVATE_KEY`` otherwise)."""
    config = token_settings() if config is None else config
    try:
        _signing_key(config, _signing_algorithm(config))
    except VeltConfigurationError:
        return False
    return True


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
    algorithm = _signing_algorithm(config)
    lifetime = int(config["TTL"] if ttl is None else ttl)
    if lifetime <= 0:
        raise ValueError("ttl must be a positive number of seconds")
    max_ttl = config.get("MAX_TTL")
    if max_ttl is not None and lifetime > int(max_ttl):
        if ttl is None:  # velt.E125 reports this at startup
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
