"""System checks ``velt.E040``–``E049`` / ``velt.W040``–``W049``: the webhook settings."""

from __future__ import annotations

import base64
import binascii
import importlib.util
from collections.abc import Mapping
from typing import Any

from django.core.checks import CheckMessage, Error, Warning
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from ..conf import DEFAULTS, velt_settings
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


def _check_secrets(raw: Mapping[str, Any]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    token = raw.get("WEBHOOK_AUTH_TOKEN")
    if token is not None and not (isinstance(token, str) and token.strip()):
        messages.append(
            Error(
                'VELT["WEBHOOK_AUTH_TOKEN"] must be a non-empty string.', id="velt.E040"
            )
        )
    elif isinstance(token, str) and len(token) < MIN_TOKEN_LENGTH:
        messages.append(
            Warning(
                f'VELT["WEBHOOK_AUTH_TOKEN"] is shorter than {MIN_TOKEN_LENGTH} characters.',
                hint="Anyone who guesses it can send webhook events; use a long random token.",
                id="velt.W041",
            )
        )
    secret = raw.get("WEBHOOK_SIGNING_SECRET")
    if secret is not None:
        if not (isinstance(secret, str) and secret and _secret_is_valid(secret)):
            messages.append(
                Error(
                    'VELT["WEBHOOK_SIGNING_SECRET"] must be the endpoint\'s Svix signing '
                    'secret, "whsec_" followed by base64.',
                    id="velt.E041",
                )
            )
        elif importlib.util.find_spec("svix") is None:
            messages.append(
                Error(
                    "Svix-signed webhooks need the svix package.",
                    hint='pip install "velt-django[webhooks]"',
                    id="velt.E042",
                )
            )
    key = raw.get("WEBHOOK_PRIVATE_KEY")
    if key is not None:
        try:
            if isinstance(key, bytes):
                key = key.decode("ascii")
            if not isinstance(key, str):
                raise VeltConfigurationError("not text")
            parse_private_key(key)
        except (VeltConfigurationError, UnicodeDecodeError):
            messages.append(
                Error(
                    'VELT["WEBHOOK_PRIVATE_KEY"] must be an unencrypted RSA private key: '
                    "PEM text, or the base64 of its DER bytes.",
                    id="velt.E043",
                )
            )
    return messages


def _check_emails(raw: Mapping[str, Any]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    enabled = raw.get("WEBHOOK_EMAILS", False)
    if not isinstance(enabled, bool):
        messages.append(
            Error('VELT["WEBHOOK_EMAILS"] must be True or False.', id="velt.E044")
        )
    sender = raw.get("WEBHOOK_EMAIL_FROM")
    if sender is not None and not (isinstance(sender, str) and sender.strip()):
        messages.append(
            Error(
                'VELT["WEBHOOK_EMAIL_FROM"] must be None or a non-empty string.',
                id="velt.E044",
            )
        )
    if enabled is not True:
        return messages
    if not raw.get("WEBHOOK_AUTH_TOKEN") and not raw.get("WEBHOOK_SIGNING_SECRET"):
        messages.append(
            Warning(
                'VELT["WEBHOOK_EMAILS"] is on, but neither WEBHOOK_AUTH_TOKEN nor '
                "WEBHOOK_SIGNING_SECRET is set: every delivery is refused.",
                id="velt.W040",
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
            Warning(
                f"Notification e-mail templates are not found: {', '.join(missing)}.",
                hint='Configure a DjangoTemplates backend with "APP_DIRS": True (it '
                "finds velt_django's templates), or provide these templates.",
                id="velt.W042",
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
        Warning(
            'VELT["WEBHOOK_EMAILS"] is on, but the Django user directory has no '
            'USER_FIELDS["organizations"]: no notification e-mail can be sent.',
            hint="E-mails go only to users known to belong to the delivery's "
            'organization. Set USER_FIELDS["organizations"] to an ORM lookup from the '
            'user model to an organization id (e.g. "groups__name"), or use '
            "MongoUserDirectory.",
            id="velt.W043",
        )
    ]


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _check_retries(raw: Mapping[str, Any]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    days = raw.get("WEBHOOK_DEDUP_DAYS", DEFAULTS["WEBHOOK_DEDUP_DAYS"])
    if _positive_int(days) and days < MIN_DEDUP_DAYS:
        messages.append(
            Error(
                f'VELT["WEBHOOK_DEDUP_DAYS"] must be at least {MIN_DEDUP_DAYS}.',
                hint="Velt retries a failed delivery for about 28 hours; a delivery id "
                "forgotten sooner makes a late retry send its e-mails again.",
                id="velt.E045",
            )
        )
    lease = raw.get("WEBHOOK_LEASE_SECONDS", DEFAULTS["WEBHOOK_LEASE_SECONDS"])
    budget = raw.get(
        "WEBHOOK_EMAIL_BUDGET_SECONDS", DEFAULTS["WEBHOOK_EMAIL_BUDGET_SECONDS"]
    )
    if _positive_int(lease) and _positive_int(budget) and lease <= budget:
        messages.append(
            Error(
                'VELT["WEBHOOK_LEASE_SECONDS"] must be longer than '
                'VELT["WEBHOOK_EMAIL_BUDGET_SECONDS"].',
                hint="A retry could take over a delivery whose worker is still sending "
                "its e-mails, and send them twice.",
                id="velt.E046",
            )
        )
    if _positive_int(budget) and budget >= VELT_TIMEOUT_SECONDS:
        messages.append(
            Warning(
                f'VELT["WEBHOOK_EMAIL_BUDGET_SECONDS"] is not under Velt\'s '
                f"{VELT_TIMEOUT_SECONDS} s timeout.",
                hint="Velt counts a slower answer as failed and retries the delivery.",
                id="velt.W044",
            )
        )
    return messages


def check_webhooks(raw: Mapping[str, Any]) -> list[CheckMessage]:
    """Every check on the ``WEBHOOK_*`` keys of ``VELT``."""
    return _check_secrets(raw) + _check_emails(raw) + _check_retries(raw)
