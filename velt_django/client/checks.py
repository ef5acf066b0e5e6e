"""System checks ``velt.E030``–``E033``: the settings :class:`~velt_django.client.VeltClient`
reads (no request is made)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.core.checks import CheckMessage, Error

from ..conf import DEFAULTS


def check_rest_api(raw: Mapping[str, Any]) -> list[CheckMessage]:
    """Checks of the ``VELT`` REST API keys; ``raw`` is the user's ``VELT`` dict."""
    messages: list[CheckMessage] = []
    url = raw.get("API_BASE_URL", DEFAULTS["API_BASE_URL"])
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
    except ValueError:  # e.g. an unclosed IPv6 bracket
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username
        or parts.password
        or parts.query
        or parts.fragment
    ):
        messages.append(
            Error(
                'VELT["API_BASE_URL"] must be an http(s) URL with a host and no '
                "credentials, query or fragment.",
                hint='The default is "https://api.velt.dev".',
                id="velt.E030",
            )
        )
    timeout = raw.get("API_TIMEOUT", DEFAULTS["API_TIMEOUT"])
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or timeout <= 0
    ):
        messages.append(
            Error(
                'VELT["API_TIMEOUT"] must be a positive number of seconds.',
                id="velt.E031",
            )
        )
    retries = raw.get("API_RETRIES", DEFAULTS["API_RETRIES"])
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        messages.append(
            Error('VELT["API_RETRIES"] must be an integer >= 0.', id="velt.E032")
        )
    for key in ("API_KEY", "AUTH_TOKEN"):
        value = raw.get(key)
        if value is not None and not (isinstance(value, str) and value.strip()):
            messages.append(
                Error(
                    f'VELT["{key}"] must be None or a non-empty string.', id="velt.E033"
                )
            )
    return messages
