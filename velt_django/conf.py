"""The ``VELT`` settings dict, read through one object with defaults."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from .exceptions import VeltConfigurationError

MiB = 1024 * 1024

DEFAULTS: dict[str, Any] = {
    # MongoDB
    "MONGODB_URI": None,
    "DATABASE_NAME": "velt",
    "COLLECTION_PREFIX": "velt_",
    "WRITE_CONCERN": "majority",
    "SERVER_SELECTION_TIMEOUT_MS": 2000,
    "SOCKET_TIMEOUT_MS": 10000,
    "MONGO_CLIENT_OPTIONS": {},
    # Request limits
    "MAX_BODY_SIZE": 10 * MiB,
    "MAX_ID_LIST_LENGTH": 2000,
    "MAX_ID_LENGTH": 512,
    "MAX_RECORDS_PER_SAVE": 500,
    "MAX_RECORD_SIZE": 15 * MiB,
    "MAX_PAYLOAD_DEPTH": 64,
    # Activity retention (CONTRACT §12.5): days until a TTL index removes an activity;
    # None keeps activities until purged.
    "ACTIVITY_RETENTION_DAYS": None,
    # Authentication and authorization (CONTRACT §16)
    # The token class is inactive (returns None) until RESOLVER_TOKEN has a key.
    "AUTHENTICATION_CLASSES": [
        "velt_django.authentication.ResolverTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Resolver JWTs (velt_django.tokens); the configured keys are laid over these.
    "RESOLVER_TOKEN": {
        "SECRET": None,
        "PRIVATE_KEY": None,
        "PUBLIC_KEY": None,
        "JWKS_URL": None,
        "JWKS_CACHE_LIFETIME": 300,
        "ALGORITHMS": ["HS256"],
        "ISSUER": None,
        "AUDIENCE": None,
        "LEEWAY": 30,
        "TTL": 600,
        "REQUIRE_EXP": True,
        # The longest lifetime (seconds) a token may have, minted or verified; None: no
        # limit.
        "MAX_TTL": None,
    },
    # Dotted path of a callable (user) -> list of organization ids, for the token view.
    "TOKEN_ORGANIZATIONS": None,
    "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "ORGANIZATION_ACCESS": "velt_django.access.velt_orgs_claim",
    # Optional post-filter of read results (CONTRACT §16.5), e.g. per-thread visibility.
    "READ_FILTER": None,
    # Optional allowlist of Velt API keys (CONTRACT §16.5); empty: every key is accepted.
    "ALLOWED_API_KEYS": [],
    # CORS (CONTRACT §16.6)
    "CORS_ALLOWED_ORIGINS": [],
    "CORS_ALLOW_CREDENTIALS": False,
    "CORS_EXTRA_ALLOWED_HEADERS": [],
    "CORS_MAX_AGE": 600,
    # User directory (CONTRACT §14.3): users/get and anonymous-users/resolve
    "USER_DIRECTORY_CLASS": "velt_django.directory.DjangoUserDirectory",
    "USER_MODEL": None,
    "USER_FIELDS": {
        "userId": "username",
        "name": "get_full_name",
        "email": "email",
        "photoUrl": None,
        "organizations": None,
    },
    "USER_ORGANIZATION_SCOPED": False,
    # Keep the User fields USER_FIELDS maps to no column in velt_django's VeltUserProfile
    # (AUTH_USER_MODEL only); False: such fields are refused when users are loaded.
    "USER_PROFILE": True,
    # Rate limit per principal (CONTRACT §16.7), kept in Django's cache; None: no limit.
    "THROTTLE_RATE": "1200/min",
    # Static shared-secret header (CONTRACT §16.2): development only, both keys needed.
    "INSECURE_SHARED_SECRET": None,
    "ALLOW_INSECURE_SHARED_SECRET": False,
    # Velt webhooks (velt_django.webhooks, the velt:webhooks-velt receiver). The
    # receiver refuses every delivery (401) until one of the two secrets is set.
    # Basic webhooks: the auth token of Velt's webhook settings, which Velt sends as
    # "Authorization: Basic <token>".
    "WEBHOOK_AUTH_TOKEN": None,
    # Advanced webhooks (Svix): the endpoint's signing secret, "whsec_…".
    "WEBHOOK_SIGNING_SECRET": None,
    # RSA private key (PEM text, or the bare base64 of its DER bytes) whose public key
    # is in Velt's console, for deliveries with payload encryption on.
    "WEBHOOK_PRIVATE_KEY": None,
    # Largest delivery body; larger → 413.
    "WEBHOOK_MAX_BODY_SIZE": 5 * MiB,
    # Days a delivery id is remembered (a TTL index) so that Velt's retries are
    # processed once: longer than Velt's retry schedule (about 28 h) and its 5-day
    # endpoint disabling; at least 2 (velt.E045).
    "WEBHOOK_DEDUP_DAYS": 7,
    # Seconds a worker holds a delivery it processes; a retry arriving meanwhile is
    # answered 409, one arriving after a dead worker's lease expired takes it over.
    "WEBHOOK_LEASE_SECONDS": 60,
    # Seconds a delivery may spend before the built-in e-mails stop (Velt waits 15 s
    # for the answer): the rest is left to Velt's retry (503), which sends only those.
    "WEBHOOK_EMAIL_BUDGET_SECONDS": 10,
    # Built-in notification e-mails (mention, reply, assignment, status change),
    # sent with django.core.mail from the templates velt_django/email/*.
    "WEBHOOK_EMAILS": False,
    # From address of those e-mails; None: DEFAULT_FROM_EMAIL.
    "WEBHOOK_EMAIL_FROM": None,
    # Files (CONTRACT §9-§11): keys of Django's STORAGES, per scope.
    "ATTACHMENT_STORAGE": "default",
    "RECORDING_STORAGE": "default",
    "ATTACHMENT_MAX_SIZE": 25 * MiB,
    "RECORDING_MAX_SIZE": 1024 * MiB,
    # Prefix of every storage key velt_django generates.
    "FILE_KEY_PREFIX": "velt/",
    # "private": a stable velt_django URL that checks access, then streams or redirects;
    # "public": the storage backend's own URL (a public bucket or CDN).
    "FILE_URL_MODE": "private",
    # How the private URL admits a browser: "signature" (a signed URL parameter bound
    # to the file and its organization) and/or "session" (the resolver authentication,
    # e.g. the Django session, plus ORGANIZATION_ACCESS for the file's organization).
    "FILE_ACCESS": ["signature", "session"],
    # Absolute base of returned URLs (e.g. "https://app.example.com"); None: the request's.
    "FILE_URL_BASE": None,
    # Lifetime of the presigned storage URL the private route redirects to (S3).
    "FILE_REDIRECT_SECONDS": 300,
    # Content types (lower case; "type/*" wildcards) refused on upload; an empty allow
    # list allows every type not denied.
    "FILE_ALLOWED_TYPES": [],
    "FILE_DENIED_TYPES": [],
    # Types served inline by the private route; every other type (HTML and SVG
    # included) is served as an attachment download.
    "FILE_INLINE_TYPES": [
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/avif",
        "video/*",
        "audio/*",
        "text/plain",
    ],
    # Velt REST API (velt_django.client.VeltClient). API_KEY and AUTH_TOKEN fall back to
    # the VELT_API_KEY / VELT_AUTH_TOKEN environment variables; secrets have no default.
    "API_KEY": None,
    "AUTH_TOKEN": None,
    "API_BASE_URL": "https://api.velt.dev",
    # Seconds per HTTP attempt (connect and read), and retries of idempotent calls.
    "API_TIMEOUT": 10,
    "API_RETRIES": 3,
}

#: Keys holding dotted import paths; resolved objects are cached until VELT changes.
IMPORT_STRINGS = frozenset(
    {
        "AUTHENTICATION_CLASSES",
        "PERMISSION_CLASSES",
        "ORGANIZATION_ACCESS",
        "READ_FILTER",
        "USER_DIRECTORY_CLASS",
        "TOKEN_ORGANIZATIONS",
    }
)

#: Dotted-path keys that may be ``None`` (feature off).
OPTIONAL_IMPORTS = frozenset({"READ_FILTER", "TOKEN_ORGANIZATIONS"})

#: Integer settings that must be positive.
POSITIVE_INTS = frozenset(
    {
        "SERVER_SELECTION_TIMEOUT_MS",
        "SOCKET_TIMEOUT_MS",
        "MAX_BODY_SIZE",
        "MAX_ID_LIST_LENGTH",
        "MAX_ID_LENGTH",
        "MAX_RECORDS_PER_SAVE",
        "MAX_RECORD_SIZE",
        "MAX_PAYLOAD_DEPTH",
        "CORS_MAX_AGE",
        "ATTACHMENT_MAX_SIZE",
        "RECORDING_MAX_SIZE",
        "FILE_REDIRECT_SECONDS",
        "WEBHOOK_MAX_BODY_SIZE",
        "WEBHOOK_DEDUP_DAYS",
        "WEBHOOK_LEASE_SECONDS",
        "WEBHOOK_EMAIL_BUDGET_SECONDS",
    }
)

OrganizationAccess = Callable[[Any, str, str, "list[str]"], bool]
ReadFilter = Callable[[Any, str, str, "dict[str, dict[str, Any]]"], Any]


class VeltSettings:
    """Typed, always-fresh view of ``settings.VELT``.

    Values are read from Django settings on every access, so ``override_settings`` and
    pytest-django's ``settings`` fixture work without helpers. Imported dotted paths are
    cached and the cache is cleared when ``VELT`` changes.
    """

    def __init__(self) -> None:
        self._imports: dict[str, Any] = {}

    @property
    def user_settings(self) -> Mapping[str, Any]:
        value = getattr(settings, "VELT", {})
        return value if isinstance(value, Mapping) else {}

    def get(self, key: str) -> Any:
        if key not in DEFAULTS:
            raise AttributeError(f"Unknown velt_django setting: {key}")
        return self.user_settings.get(key, DEFAULTS[key])

    def is_set(self, key: str) -> bool:
        return key in self.user_settings

    def _import(self, key: str) -> Any:
        if key in self._imports:
            return self._imports[key]
        value = self.get(key)
        try:
            if value is None and key in OPTIONAL_IMPORTS:
                resolved: Any = None
            elif isinstance(value, str):
                resolved = import_string(value)
            else:
                resolved = [import_string(path) for path in value]
        except (ImportError, TypeError) as err:
            raise VeltConfigurationError(
                f"VELT[{key!r}] could not be imported: {err}"
            ) from err
        self._imports[key] = resolved
        return resolved

    def clear_cache(self) -> None:
        self._imports.clear()

    # MongoDB
    @property
    def MONGODB_URI(self) -> str | None:
        value = self.get("MONGODB_URI")
        return str(value) if value else None

    @property
    def DATABASE_NAME(self) -> str:
        return str(self.get("DATABASE_NAME"))

    @property
    def COLLECTION_PREFIX(self) -> str:
        return str(self.get("COLLECTION_PREFIX"))

    @property
    def WRITE_CONCERN(self) -> str | int:
        value: str | int = self.get("WRITE_CONCERN")
        return value

    @property
    def SERVER_SELECTION_TIMEOUT_MS(self) -> int:
        return int(self.get("SERVER_SELECTION_TIMEOUT_MS"))

    @property
    def SOCKET_TIMEOUT_MS(self) -> int:
        return int(self.get("SOCKET_TIMEOUT_MS"))

    @property
    def MONGO_CLIENT_OPTIONS(self) -> dict[str, Any]:
        return dict(self.get("MONGO_CLIENT_OPTIONS") or {})

    # Limits
    @property
    def MAX_BODY_SIZE(self) -> int:
        return int(self.get("MAX_BODY_SIZE"))

    @property
    def MAX_ID_LIST_LENGTH(self) -> int:
        return int(self.get("MAX_ID_LIST_LENGTH"))

    @property
    def MAX_ID_LENGTH(self) -> int:
        return int(self.get("MAX_ID_LENGTH"))

    @property
    def MAX_RECORDS_PER_SAVE(self) -> int:
        return int(self.get("MAX_RECORDS_PER_SAVE"))

    @property
    def MAX_RECORD_SIZE(self) -> int:
        return int(self.get("MAX_RECORD_SIZE"))

    @property
    def MAX_PAYLOAD_DEPTH(self) -> int:
        return int(self.get("MAX_PAYLOAD_DEPTH"))

    @property
    def ACTIVITY_RETENTION_DAYS(self) -> int | None:
        value = self.get("ACTIVITY_RETENTION_DAYS")
        return None if value is None else int(value)

    # Security
    @property
    def AUTHENTICATION_CLASSES(self) -> list[type]:
        return list(self._import("AUTHENTICATION_CLASSES"))

    @property
    def PERMISSION_CLASSES(self) -> list[type]:
        return list(self._import("PERMISSION_CLASSES"))

    @property
    def RESOLVER_TOKEN(self) -> dict[str, Any]:
        """The default keys with the configured ones laid over them."""
        configured = self.get("RESOLVER_TOKEN")
        merged: dict[str, Any] = dict(DEFAULTS["RESOLVER_TOKEN"])
        if isinstance(configured, Mapping):
            merged.update(configured)
        return merged

    @property
    def TOKEN_ORGANIZATIONS(self) -> Callable[[Any], Any] | None:
        hook: Callable[[Any], Any] | None = self._import("TOKEN_ORGANIZATIONS")
        return hook

    @property
    def ORGANIZATION_ACCESS(self) -> OrganizationAccess:
        hook: OrganizationAccess = self._import("ORGANIZATION_ACCESS")
        return hook

    @property
    def READ_FILTER(self) -> ReadFilter | None:
        hook: ReadFilter | None = self._import("READ_FILTER")
        return hook

    # CORS
    @property
    def CORS_ALLOWED_ORIGINS(self) -> list[str]:
        return [str(origin) for origin in self.get("CORS_ALLOWED_ORIGINS") or []]

    @property
    def CORS_ALLOW_CREDENTIALS(self) -> bool:
        return bool(self.get("CORS_ALLOW_CREDENTIALS"))

    @property
    def CORS_EXTRA_ALLOWED_HEADERS(self) -> list[str]:
        return [str(h) for h in self.get("CORS_EXTRA_ALLOWED_HEADERS") or []]

    @property
    def CORS_MAX_AGE(self) -> int:
        return int(self.get("CORS_MAX_AGE"))

    @property
    def ALLOWED_API_KEYS(self) -> frozenset[str]:
        return frozenset(str(key) for key in self.get("ALLOWED_API_KEYS") or [])

    # User directory
    @property
    def USER_DIRECTORY_CLASS(self) -> type:
        cls: type = self._import("USER_DIRECTORY_CLASS")
        return cls

    @property
    def USER_MODEL(self) -> str | None:
        value = self.get("USER_MODEL")
        return str(value) if value else None

    @property
    def USER_FIELDS(self) -> dict[str, str | None]:
        """The default mapping with the configured keys laid over it."""
        configured = self.get("USER_FIELDS")
        merged: dict[str, str | None] = dict(DEFAULTS["USER_FIELDS"])
        if isinstance(configured, Mapping):
            merged.update(configured)
        return merged

    @property
    def USER_ORGANIZATION_SCOPED(self) -> bool:
        return bool(self.get("USER_ORGANIZATION_SCOPED"))

    @property
    def USER_PROFILE(self) -> bool:
        return bool(self.get("USER_PROFILE"))

    # Rate limit and development-only shared secret
    @property
    def THROTTLE_RATE(self) -> str | None:
        value: str | None = self.get("THROTTLE_RATE")
        return value

    @property
    def INSECURE_SHARED_SECRET(self) -> str | None:
        value = self.get("INSECURE_SHARED_SECRET")
        return value if isinstance(value, str) and value else None

    @property
    def ALLOW_INSECURE_SHARED_SECRET(self) -> bool:
        return self.get("ALLOW_INSECURE_SHARED_SECRET") is True

    # Velt webhooks
    @property
    def WEBHOOK_AUTH_TOKEN(self) -> str | None:
        value = self.get("WEBHOOK_AUTH_TOKEN")
        return value if isinstance(value, str) and value else None

    @property
    def WEBHOOK_SIGNING_SECRET(self) -> str | None:
        value = self.get("WEBHOOK_SIGNING_SECRET")
        return value if isinstance(value, str) and value else None

    @property
    def WEBHOOK_PRIVATE_KEY(self) -> str | None:
        value = self.get("WEBHOOK_PRIVATE_KEY")
        if isinstance(value, bytes):
            value = value.decode("ascii", "replace")
        return value if isinstance(value, str) and value.strip() else None

    @property
    def WEBHOOK_MAX_BODY_SIZE(self) -> int:
        return int(self.get("WEBHOOK_MAX_BODY_SIZE"))

    @property
    def WEBHOOK_DEDUP_DAYS(self) -> int:
        return int(self.get("WEBHOOK_DEDUP_DAYS"))

    @property
    def WEBHOOK_LEASE_SECONDS(self) -> int:
        return int(self.get("WEBHOOK_LEASE_SECONDS"))

    @property
    def WEBHOOK_EMAIL_BUDGET_SECONDS(self) -> int:
        return int(self.get("WEBHOOK_EMAIL_BUDGET_SECONDS"))

    @property
    def WEBHOOK_EMAILS(self) -> bool:
        return self.get("WEBHOOK_EMAILS") is True

    @property
    def WEBHOOK_EMAIL_FROM(self) -> str | None:
        value = self.get("WEBHOOK_EMAIL_FROM")
        return value if isinstance(value, str) and value else None

    # Files
    def storage_alias(self, scope: str) -> str:
        """The ``STORAGES`` key of a file scope (``"attachment"`` or ``"recording"``)."""
        return str(self.get(f"{scope.upper()}_STORAGE"))

    def max_file_size(self, scope: str) -> int:
        return int(self.get(f"{scope.upper()}_MAX_SIZE"))

    @property
    def FILE_KEY_PREFIX(self) -> str:
        return str(self.get("FILE_KEY_PREFIX") or "")

    @property
    def FILE_URL_MODE(self) -> str:
        return str(self.get("FILE_URL_MODE"))

    @property
    def FILE_ACCESS(self) -> frozenset[str]:
        return frozenset(str(v) for v in self.get("FILE_ACCESS") or [])

    @property
    def FILE_URL_BASE(self) -> str | None:
        value = self.get("FILE_URL_BASE")
        return str(value).rstrip("/") if value else None

    @property
    def FILE_REDIRECT_SECONDS(self) -> int:
        return int(self.get("FILE_REDIRECT_SECONDS"))

    @property
    def FILE_ALLOWED_TYPES(self) -> list[str]:
        return [str(t).lower() for t in self.get("FILE_ALLOWED_TYPES") or []]

    @property
    def FILE_DENIED_TYPES(self) -> list[str]:
        return [str(t).lower() for t in self.get("FILE_DENIED_TYPES") or []]

    @property
    def FILE_INLINE_TYPES(self) -> list[str]:
        return [str(t).lower() for t in self.get("FILE_INLINE_TYPES") or []]

    # Velt REST API (the environment fallback of the secrets lives in client.py)
    @property
    def API_KEY(self) -> str | None:
        value = self.get("API_KEY")
        return value if isinstance(value, str) and value else None

    @property
    def AUTH_TOKEN(self) -> str | None:
        value = self.get("AUTH_TOKEN")
        return value if isinstance(value, str) and value else None

    @property
    def API_BASE_URL(self) -> str:
        return str(self.get("API_BASE_URL") or DEFAULTS["API_BASE_URL"]).rstrip("/")

    @property
    def API_TIMEOUT(self) -> float:
        return float(self.get("API_TIMEOUT"))

    @property
    def API_RETRIES(self) -> int:
        return int(self.get("API_RETRIES"))


velt_settings = VeltSettings()


@receiver(setting_changed)
def _reload_velt_settings(*, setting: str, **kwargs: Any) -> None:
    if setting == "VELT":
        velt_settings.clear_cache()
