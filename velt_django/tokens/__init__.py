"""Resolver tokens (docs/tokens.md): signed JWTs that name a Velt user and the
organizations it may open.

* :mod:`.settings`: ``VELT["RESOLVER_TOKEN"]`` as minting and verification read it;
* :mod:`.minting`: :func:`mint_token` and :func:`issue_token`;
* :mod:`.checks`: the system checks of those settings (``velt.E020``–``E025``).

Verification is :class:`velt_django.authentication.ResolverTokenAuthentication`. The
names below were the module ``velt_django.tokens`` before it became this package, and
stay importable from here.
"""

from __future__ import annotations

from .minting import MintedToken, issue_token, mint_token
from .settings import (
    ASYMMETRIC_ALGORITHMS,
    HMAC_ALGORITHMS,
    KEY_SLOTS,
    TOKEN_DEFAULTS,
    is_configured,
    looks_like_pem,
    token_settings,
)

__all__ = [
    "ASYMMETRIC_ALGORITHMS",
    "HMAC_ALGORITHMS",
    "KEY_SLOTS",
    "TOKEN_DEFAULTS",
    "MintedToken",
    "is_configured",
    "issue_token",
    "looks_like_pem",
    "mint_token",
    "token_settings",
]
