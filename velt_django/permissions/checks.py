"""System checks ``velt.E060``–``E069`` / ``velt.W060``–``W069``: the permission
provider's settings (the type checks of ``PERMISSION_PROVIDER_TTL`` and ``_MAX_BATCH``,
``velt.E062``/``E063``, come with their declarations in :mod:`velt_django.conf`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.checks import CheckMessage

from ..check_codes import Permissions

#: Shorter tokens are guessable (velt.W060).
MIN_TOKEN_LENGTH = 16
#: Longer ones exceed what servers accept in a header line (velt.E061).
MAX_TOKEN_LENGTH = 4096


def _header_safe(token: str) -> bool:
    return (
        len(token) <= MAX_TOKEN_LENGTH
        and token.isprintable()
        and not any(char.isspace() for char in token)
    )


def check_permission_provider(raw: Mapping[str, Any]) -> list[CheckMessage]:
    """The checks of ``PERMISSION_PROVIDER_TOKEN`` beyond its type (``velt.E060``)."""
    token = raw.get("PERMISSION_PROVIDER_TOKEN")
    if not isinstance(token, str) or not token.strip():
        return []
    if not _header_safe(token):
        return [
            Permissions.E061(
                'VELT["PERMISSION_PROVIDER_TOKEN"] must be at most '
                f"{MAX_TOKEN_LENGTH} printable characters without whitespace.",
                hint="Velt sends it in the Authorization header, which cannot carry "
                "such a value.",
            )
        ]
    if len(token) < MIN_TOKEN_LENGTH:
        return [
            Permissions.W060(
                f'VELT["PERMISSION_PROVIDER_TOKEN"] is shorter than {MIN_TOKEN_LENGTH} '
                "characters.",
                hint="Anyone who guesses it learns who may access what; use a long "
                "random token (python -c 'import secrets; print(secrets.token_urlsafe())').",
            )
        ]
    return []
