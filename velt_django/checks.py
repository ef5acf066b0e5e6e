"""System checks of the core settings (``velt.E001``–``E019``, ``velt.W001``–``W009``),
of the storage backend (``velt.E070``–``E079``) and the entry point that runs every feature's checks. They inspect settings only (no
I/O); every ID is defined in :mod:`velt_django.check_codes`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage

from .check_codes import Core, SharedSecret, Storage, misconfigured
from .client.checks import check_rest_api
from .conf import DEFAULTS, IMPORT_STRINGS, SETTINGS, velt_settings
from .directory.checks import check_user_directory
from .exceptions import VeltConfigurationError
from .files.checks import check_files
from .permissions.checks import check_permission_provider
from .repository.connection import acknowledged_write_concern
from .throttling import is_valid_rate
from .tokens.checks import check_resolver_token
from .webhooks.checks import check_webhooks


def _is_allow_all(hook: Any) -> bool:
    return bool(getattr(hook, "velt_allows_everything", False))


def _check_throttle_and_shared_secret() -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if not is_valid_rate(velt_settings.get("THROTTLE_RATE")):
        messages.append(
            Core.E013(
                'VELT["THROTTLE_RATE"] must be None (no limit) or "<requests>/<period>", '
                'e.g. "1200/min" (period: s, sec, m, min, h, hour, d, day).'
            )
        )
    secret = velt_settings.get("INSECURE_SHARED_SECRET")
    if secret is not None and not (isinstance(secret, str) and secret):
        messages.append(
            SharedSecret.E014(
                'VELT["INSECURE_SHARED_SECRET"] must be a non-empty string.'
            )
        )
    if velt_settings.get("ALLOW_INSECURE_SHARED_SECRET") is True and secret:
        if not settings.DEBUG:
            messages.append(
                SharedSecret.E015(
                    "The insecure shared-secret header is enabled while DEBUG is off.",
                    hint="Every browser that loads the frontend holds the header. Use "
                    "per-user tokens; the header is refused while DEBUG is off.",
                )
            )
        else:
            messages.append(
                SharedSecret.W004(
                    "The insecure shared-secret header is enabled (development only).",
                    hint="It identifies no user; pair it with an explicit "
                    "ORGANIZATION_ACCESS policy.",
                )
            )
    return messages


#: The Django database engines the PostgreSQL backend runs on (PostGIS is PostgreSQL's
#: engine with geometry types added).
POSTGRESQL_ENGINES = frozenset(
    {"django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis"}
)


def _check_storage_backend(raw: Mapping[str, Any]) -> list[CheckMessage]:
    """With the PostgreSQL backend, ``DATABASE_ALIAS`` must name a PostgreSQL database
    of ``DATABASES`` (the value of ``STORAGE_BACKEND`` itself is a declared check)."""
    if raw.get("STORAGE_BACKEND") != "postgresql":
        return []
    alias = raw.get("DATABASE_ALIAS", DEFAULTS["DATABASE_ALIAS"])
    databases = getattr(settings, "DATABASES", {})
    if not isinstance(alias, str) or alias not in databases:
        return [
            Storage.E071(
                f'VELT["DATABASE_ALIAS"] must name a key of DATABASES, got {alias!r}.',
                hint="Add the PostgreSQL database to DATABASES, or point "
                "DATABASE_ALIAS at the alias that has it.",
            )
        ]
    engine = databases[alias].get("ENGINE")
    if engine not in POSTGRESQL_ENGINES:
        return [
            Storage.E072(
                f'DATABASES["{alias}"] uses ENGINE {engine!r}; the "postgresql" storage '
                'backend needs "django.db.backends.postgresql".',
                hint="SQLite, MySQL and other engines are not supported: the backend "
                "relies on PostgreSQL's JSONB and row locks. Use MongoDB "
                '(STORAGE_BACKEND "mongodb") or a PostgreSQL database.',
            )
        ]
    return []


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every check on the ``VELT`` dict."""
    raw = getattr(settings, "VELT", None)
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        return [Core.E002("VELT must be a dict.")]
    messages: list[CheckMessage] = []
    if raw.get("STORAGE_BACKEND", "mongodb") == "mongodb" and not raw.get(
        "MONGODB_URI"
    ):
        messages.append(
            Core.E001(
                'VELT["MONGODB_URI"] is not set.',
                hint='Set it to a MongoDB connection string, e.g. "mongodb://localhost:27017".',
            )
        )
    hook = None
    for key in sorted(IMPORT_STRINGS):
        try:
            value = velt_settings._import(key)
        except VeltConfigurationError as err:
            messages.append(Core.E003(str(err)))
            continue
        if key == "ORGANIZATION_ACCESS":
            hook = value
    if hook is not None and _is_allow_all(hook):
        if not settings.DEBUG:
            messages.append(
                Core.E004(
                    "ORGANIZATION_ACCESS allows every organization while DEBUG is off.",
                    hint="Any caller could read or change any organization's data. Use a real policy.",
                )
            )
        else:
            messages.append(
                Core.W002(
                    "ORGANIZATION_ACCESS allows every organization (development only)."
                )
            )
    # The type checks every declaration's kind implies (positive integers, booleans,
    # optional strings, lists, …), each with its setting's own code.
    messages.extend(misconfigured(SETTINGS, raw))
    messages.extend(_check_storage_backend(raw))
    if "WRITE_CONCERN" in raw and not acknowledged_write_concern(raw["WRITE_CONCERN"]):
        messages.append(
            Core.E007(
                'VELT["WRITE_CONCERN"] must acknowledge writes: "majority", a tag-set name '
                "or an integer >= 1.",
                hint="With w=0 a save answers 200 before MongoDB has stored anything.",
            )
        )
    messages.extend(check_user_directory(raw))
    messages.extend(check_resolver_token(raw))
    messages.extend(_check_throttle_and_shared_secret())
    messages.extend(check_files(raw))
    messages.extend(check_webhooks(raw))
    messages.extend(check_rest_api(raw))
    messages.extend(check_permission_provider(raw))
    if "rest_framework" not in settings.INSTALLED_APPS:
        messages.append(Core.E006('"rest_framework" must be in INSTALLED_APPS.'))
    for key in sorted(set(raw) - set(DEFAULTS)):
        messages.append(
            Core.W001(f'Unknown VELT setting "{key}".', hint="Check for a typo.")
        )
    if not velt_settings.is_set("ORGANIZATION_ACCESS"):
        messages.append(
            Core.W003(
                'VELT["ORGANIZATION_ACCESS"] is not set; the default only allows organizations '
                "listed in a velt_orgs claim of request.auth.",
                hint="Point it at a callable (request, action, organization_id, document_ids) -> bool.",
            )
        )
    return messages
