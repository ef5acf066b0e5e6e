"""System checks of the webhook settings: ``velt.E040``–``E049`` / ``velt.W040``–``W049``,
defined in :mod:`velt_django.check_codes`. The types of ``WEBHOOK_AUTH_TOKEN``,
``WEBHOOK_EMAILS`` and ``WEBHOOK_EMAIL_FROM`` are checked by their declared kinds
(:mod:`velt_django.conf`)."""

from __future__ import annotations

import base64
import binascii
import importlib.util
from collections.abc import Mapping
from typing import Any

from django.core.checks import CheckMessage
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from ..check_codes import Webhooks
from ..conf import velt_settings
from ..directory import DjangoUserDirectory
from ..exceptions import VeltConfigurationError
from .crypto import parse_private_key
from .emails import KINDS, template_names

#: Shorter auth tokens are guessable (velt.W041).
MIN_TOKEN_LENGTH = 16
#: Velt retries a delivery for about 28 hours (velt.E045).
MIN_DEDUP_DAYS = 2
#: How long Velt waits for an answer (velt.W044).
VELT_TIMEOUT_SECONDS = 15


def _secret_is_valid(secret: str) -> bool:
    body = secret.removeprefix("whsec_")
    try:
        return bool(base64.b64decode(body + "==", validate=False))
    except (binascii.Error, ValueError):
        return False


def _check_secrets() -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    token = velt_settings.get("WEBHOOK_AUTH_TOKEN")
    # A token that is not a non-empty string is velt.E040 (its declared kind).
    if isinstance(token, str) and token.strip() and len(token) < MIN_TOKEN_LENGTH:
        messages.append(
            Webhooks.W041(
                f'VELT["WEBHOOK_AUTH_TOKEN"] is shorter than {MIN_TOKEN_LENGTH} characters.',
                hint="Anyone who guesses it can send webhook events; use a long random token.",
            )
        )
    secret = velt_settings.get("WEBHOOK_SIGNING_SECRET")
    if secret is not None:
        if not (isinstance(secret, str) and secret and _secret_is_valid(secret)):
            messages.append(
                Webhooks.E041(
                    'VELT["WEBHOOK_SIGNING_SECRET"] must be the endpoint\'s Svix signing '
                    'secret, "whsec_" followed by base64.'
                )
            )
        elif importlib.util.find_spec("svix") is None:
            messages.append(
                Webhooks.E042(
                    "Svix-signed webhooks need the svix package.",
                    hint='pip install "velt-django[webhooks]"',
                )
            )
    key = velt_settings.get("WEBHOOK_PRIVATE_KEY")
    if key is not None:
        try:
            if isinstance(key, bytes):
                key = key.decode("ascii")
            if not isinstance(key, str):
                raise VeltConfigurationError("not text")
            parse_private_key(key)
        except (VeltConfigurationError, UnicodeDecodeError):
            messages.append(
                Webhooks.E043(
                    'VELT["WEBHOOK_PRIVATE_KEY"] must be an unencrypted RSA private key: '
                    "PEM text, or the base64 of its DER bytes."
                )
            )
    return messages


def _check_emails() -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if velt_settings.get("WEBHOOK_EMAILS") is not True:
        return messages
    if not velt_settings.get("WEBHOOK_AUTH_TOKEN") and not velt_settings.get(
        "WEBHOOK_SIGNING_SECRET"
    ):
        messages.append(
            Webhooks.W040(
                'VELT["WEBHOOK_EMAILS"] is on, but neither WEBHOOK_AUTH_TOKEN nor '
                "WEBHOOK_SIGNING_SECRET is set: every delivery is refused."
            )
        )
    messages.extend(_check_recipient_directory())
    missing = []
    for kind in KINDS:
        for name in template_names(kind):
            try:
                get_template(name)
            except TemplateDoesNotExist:
                missing.append(name)
    if missing:
        messages.append(
            Webhooks.W042(
                f"Notification e-mail templates are not found: {', '.join(missing)}.",
                hint='Configure a DjangoTemplates backend with "APP_DIRS": True (it '
                "finds velt_django's templates), or provide these templates.",
            )
        )
    return messages


def _check_recipient_directory() -> list[CheckMessage]:
    """E-mail recipients are the directory's members of the delivery's organization:
    the Django directory knows memberships only through ``USER_FIELDS
    ["organizations"]``."""
    try:
        directory = velt_settings.USER_DIRECTORY_CLASS
    except VeltConfigurationError:
        return []  # velt.E003 reports the failed import
    if not (isinstance(directory, type) and issubclass(directory, DjangoUserDirectory)):
        return []
    if velt_settings.USER_FIELDS.get("organizations"):
        return []
    return [
        Webhooks.W043(
            'VELT["WEBHOOK_EMAILS"] is on, but the Django user directory has no '
            'USER_FIELDS["organizations"]: no notification e-mail can be sent.',
            hint="E-mails go only to users known to belong to the delivery's "
            'organization. Set USER_FIELDS["organizations"] to an ORM lookup from the '
            'user model to an organization id (e.g. "groups__name"), or use '
            "MongoUserDirectory.",
        )
    ]


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _check_retries() -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    days = velt_settings.get("WEBHOOK_DEDUP_DAYS")
    if _positive_int(days) and days < MIN_DEDUP_DAYS:
        messages.append(
            Webhooks.E045(
                f'VELT["WEBHOOK_DEDUP_DAYS"] must be at least {MIN_DEDUP_DAYS}.',
                hint="Velt retries a failed delivery for about 28 hours; a delivery id "
                "forgotten sooner makes a late retry send its e-mails again.",
            )
        )
    lease = velt_settings.get("WEBHOOK_LEASE_SECONDS")
    budget = velt_settings.get("WEBHOOK_EMAIL_BUDGET_SECONDS")
    if _positive_int(lease) and _positive_int(budget) and lease <= budget:
        messages.append(
            Webhooks.E046(
                'VELT["WEBHOOK_LEASE_SECONDS"] must be longer than '
                'VELT["WEBHOOK_EMAIL_BUDGET_SECONDS"].',
                hint="A retry could take over a delivery whose worker is still sending "
                "its e-mails, and send them twice.",
            )
        )
    if _positive_int(budget) and budget >= VELT_TIMEOUT_SECONDS:
        messages.append(
            Webhooks.W044(
                f'VELT["WEBHOOK_EMAIL_BUDGET_SECONDS"] is not under Velt\'s '
                f"{VELT_TIMEOUT_SECONDS} s timeout.",
                hint="Velt counts a slower answer as failed and retries the delivery.",
            )
        )
    return messages


def check_webhooks(raw: Mapping[str, Any]) -> list[CheckMessage]:
    """Every check on the ``WEBHOOK_*`` keys of ``VELT``; ``raw`` is the user's ``VELT``
    dict (read through :data:`~velt_django.conf.velt_settings`)."""
    return _check_secrets() + _check_emails() + _check_retries()
