"""System checks of the settings :class:`~velt_django.client.VeltClient` reads, no
request made: ``velt.E030``–``E039``, defined in :mod:`velt_django.check_codes`.
``API_TIMEOUT``, ``API_RETRIES``, ``API_KEY`` and ``AUTH_TOKEN`` are checked by their
declared kinds (:mod:`velt_django.conf`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.core.checks import CheckMessage

from ..check_codes import Client
from ..conf import VELT_API, velt_settings


def check_rest_api(raw: Mapping[str, Any]) -> list[CheckMessage]:
    """Checks of the ``VELT`` REST API keys; ``raw`` is the user's ``VELT`` dict."""
    messages: list[CheckMessage] = []
    url = velt_settings.get("API_BASE_URL")
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
            Client.E030(
                'VELT["API_BASE_URL"] must be an http(s) URL with a host and no '
                "credentials, query or fragment.",
                hint=f'The default is "{VELT_API}".',
            )
        )
    return messages
