"""The ``VELT["RESOLVER_TOKEN"]`` settings as minting and verification read them: the
algorithm families, the verification-key slots, and the configured keys laid over
their defaults (``DEFAULTS["RESOLVER_TOKEN"]`` in :mod:`velt_django.conf`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..conf import DEFAULTS, velt_settings

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

#: Keys of ``VELT["RESOLVER_TOKEN"]`` and their defaults (the settings' own entry).
TOKEN_DEFAULTS: Mapping[str, Any] = DEFAULTS["RESOLVER_TOKEN"]

#: The verification-key slots; exactly one may be set.
KEY_SLOTS = ("SECRET", "PUBLIC_KEY", "JWKS_URL")


def token_settings() -> dict[str, Any]:
    """``VELT["RESOLVER_TOKEN"]`` laid over :data:`TOKEN_DEFAULTS` (read live)."""
    return velt_settings.RESOLVER_TOKEN


def is_configured(config: Mapping[str, Any] | None = None) -> bool:
    """Whether a verification key (secret, public key or JWKS URL) is set."""
    config = token_settings() if config is None else config
    return any(config.get(slot) for slot in KEY_SLOTS)


def looks_like_pem(value: Any) -> bool:
    """A PEM block or an SSH public key: never an HMAC secret (whoever knows a public
    key could sign tokens with it; check ``velt.E029``)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return False
    text = value.strip()
    return "-----BEGIN" in text or text.startswith(("ssh-", "ecdsa-sha2-"))
