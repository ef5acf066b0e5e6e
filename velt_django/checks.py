"""System checks ``velt.E00x`` / ``velt.W00x``: they inspect settings only (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from .client.checks import check_rest_api
from .conf import DEFAULTS, IMPORT_STRINGS, POSITIVE_INTS, velt_settings
from .directory.checks import check_user_directory
from .exceptions import VeltConfigurationError
from .files.checks import check_files
from .repository.connection import acknowledged_write_concern
from .throttling import is_valid_rate
from .tokens.checks import check_resolver_token
from .webhooks.checks import check_webhooks


def _is_allow_all(hook: Any) -> bool:
    return bool(getattr(hook, "velt_allows_everything", False))


def _check_throttle_and_shared_secret(raw: Mapping[str, Any]) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if not is_valid_rate(raw.get("THROTTLE_RATE", DEFAULTS["THROTTLE_RATE"])):
        messages.append(
            Error(
                'VELT["THROTTLE_RATE"] must be None (no limit) or "<requests>/<period>", '
                'e.g. "1200/min" (period: s, sec, m, min, h, hour, d, day).',
                id="velt.E013",
            )
        )
    secret = raw.get("INSECURE_SHARED_SECRET")
    allowed = raw.get("ALLOW_INSECURE_SHARED_SECRET", False)
    if secret is not None and not (isinstance(secret, str) and secret):
        messages.append(
            Error(
                'VELT["INSECURE_SHARED_SECRET"] must be a non-empty string.',
                id="velt.E014",
            )
        )
    if not isinstance(allowed, bool):
        messages.append(
            Error(
                'VELT["ALLOW_INSECURE_SHARED_SECRET"] must be True or False.',
                id="velt.E014",
            )
        )
    if allowed is True and secret:
        if not settings.DEBUG:
            messages.append(
                Error(
                    "The insecure shared-secret header is enabled while DEBUG is off.",
                    hint="Every browser that loads the frontend holds the header. Use "
                    "per-user tokens; the header is refused while DEBUG is off.",
                    id="velt.E015",
                )
            )
        else:
            messages.append(
                Warning(
                    "The insecure shared-secret header is enabled (development only).",
                    hint="It identifies no user; pair it with an explicit "
                    "ORGANIZATION_ACCESS policy.",
                    id="velt.W004",
                )
            )
    return messages


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every check on the ``VELT`` dict, in ID order."""
    raw = getattr(settings, "VELT", None)
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        return [Error("VELT must be a dict.", id="velt.E002")]
    messages: list[CheckMessage] = []
    if not raw.get("MONGODB_URI"):
        messages.append(
            Error(
                'VELT["MONGODB_URI"] is not set.',
                hint='Set it to a MongoDB connection string, e.g. "mongodb://localhost:27017".',
                id="velt.E001",
            )
        )
    hook = None
    for key in sorted(IMPORT_STRINGS):
        try:
            value = velt_settings._import(key)
        except VeltConfigurationError as err:
            messages.append(Error(str(err), id="velt.E003"))
            continue
        if key == "ORGANIZATION_ACCESS":
            hook = value
    if hook is not None and _is_allow_all(hook):
        if not settings.DEBUG:
            messages.append(
                Error(
                    "ORGANIZATION_ACCESS allows every organization while DEBUG is off.",
                    hint="Any caller could read or change any organization's data. Use a real policy.",
                    id="velt.E004",
                )
            )
        else:
            messages.append(
                Warning(
                    "ORGANIZATION_ACCESS allows every organization (development only).",
                    id="velt.W002",
                )
            )
    for key in sorted(POSITIVE_INTS & set(raw)):
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            messages.append(
                Error(f'VELT["{key}"] must be a positive integer.', id="velt.E005")
            )
    prefix = raw.get("COLLECTION_PREFIX", DEFAULTS["COLLECTION_PREFIX"])
    if not isinstance(prefix, str) or "$" in prefix or "\x00" in prefix:
        messages.append(
            Error(
                'VELT["COLLECTION_PREFIX"] must be a string without "$".',
                id="velt.E005",
            )
        )
    if "WRITE_CONCERN" in raw and not acknowledged_write_concern(raw["WRITE_CONCERN"]):
        messages.append(
            Error(
                'VELT["WRITE_CONCERN"] must acknowledge writes: "majority", a tag-set name '
                "or an integer >= 1.",
                hint="With w=0 a save answers 200 before MongoDB has stored anything.",
                id="velt.E007",
            )
        )
    if "ACTIVITY_RETENTION_DAYS" in raw:
        days = raw["ACTIVITY_RETENTION_DAYS"]
        if days is not None and (
            isinstance(days, bool) or not isinstance(days, int) or days <= 0
        ):
            messages.append(
                Error(
                    'VELT["ACTIVITY_RETENTION_DAYS"] must be None (keep activities) or a '
                    "positive integer (days).",
                    id="velt.E008",
                )
            )
    messages.extend(check_user_directory(raw))
    messages.extend(check_resolver_token(raw))
    messages.extend(_check_throttle_and_shared_secret(raw))
    messages.extend(check_files(raw))
    messages.extend(check_webhooks(raw))
    messages.extend(check_rest_api(raw))
    api_keys = raw.get("ALLOWED_API_KEYS", [])
    if (
        api_keys is not None
        and not isinstance(api_keys, (list, tuple, set, frozenset))
        or any(not isinstance(k, str) or not k for k in api_keys or [])
    ):
        messages.append(
            Error(
                'VELT["ALLOWED_API_KEYS"] must be a list of non-empty strings.',
                id="velt.E016",
            )
        )
    if "rest_framework" not in settings.INSTALLED_APPS:
        messages.append(
            Error('"rest_framework" must be in INSTALLED_APPS.', id="velt.E006")
        )
    for key in sorted(set(raw) - set(DEFAULTS)):
        messages.append(
            Warning(
                f'Unknown VELT setting "{key}".',
                hint="Check for a typo.",
                id="velt.W001",
            )
        )
    if not velt_settings.is_set("ORGANIZATION_ACCESS"):
        messages.append(
            Warning(
                'VELT["ORGANIZATION_ACCESS"] is not set; the default only allows organizations '
                "listed in a velt_orgs claim of request.auth.",
                hint="Point it at a callable (request, action, organization_id, document_ids) -> bool.",
                id="velt.W003",
            )
        )
    return messages
