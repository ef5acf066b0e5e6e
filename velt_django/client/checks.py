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
from .base import _credential


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
    messages.extend(_check_user_token_view())
    return messages


def _check_user_token_view() -> list[CheckMessage]:
    """The Velt user token view (``velt:velt-token``) calls the REST API for the
    organizations of ``TOKEN_ORGANIZATIONS``: switched on, it needs both."""
    if not velt_settings.USER_TOKEN_VIEW:
        return []
    messages: list[CheckMessage] = []
    api_key = _credential(None, velt_settings.API_KEY, "VELT_API_KEY")
    auth_token = _credential(None, velt_settings.AUTH_TOKEN, "VELT_AUTH_TOKEN")
    if api_key is None or auth_token is None:
        messages.append(
            Client.E034(
                'VELT["USER_TOKEN_VIEW"] is on but Velt\'s REST API credentials are '
                "missing: every token request would fail.",
                hint='Set VELT["API_KEY"] and VELT["AUTH_TOKEN"] (or the VELT_API_KEY '
                "and VELT_AUTH_TOKEN environment variables).",
            )
        )
    if velt_settings.get("TOKEN_ORGANIZATIONS") is None:
        messages.append(
            Client.E035(
                'VELT["USER_TOKEN_VIEW"] is on but VELT["TOKEN_ORGANIZATIONS"] is not '
                "set: the view cannot tell which organizations a user may open.",
                hint="Point it at a callable (user) -> list of organization ids.",
            )
        )
    return messages
