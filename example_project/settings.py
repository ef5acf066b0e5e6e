"""Settings of the example project; deployment values come from the environment.

Environment variables:

- ``VELT_MONGODB_URI``: MongoDB connection string. Unset (and DEBUG on): the process that
  serves requests starts an embedded SecantusDB server (``example_project.devdb``), and
  other commands use it while it runs.
- ``VELT_DATABASE_NAME``: database name (default ``velt_example``).
- ``VELT_DATABASE_URL`` (or ``DATABASE_URL``): a ``postgres://user:password@host:port/name``
  URL puts everything in that PostgreSQL database instead: Django's users and
  velt_django's records (``STORAGE_BACKEND`` ``"postgresql"`` on the ``default`` alias;
  ``manage.py migrate`` creates the tables, a serving process with DEBUG on runs it
  itself). Query parameters become connection options (``?sslmode=require``). A
  ``DATABASE_URL`` of another kind is ignored; a ``VELT_DATABASE_URL`` of another kind is
  an error.
- ``VELT_CORS_ALLOWED_ORIGINS``: comma-separated page origins allowed to call ``/velt/``.
- ``VELT_ORGANIZATION_ACCESS``: dotted path of the organization access policy.
- ``VELT_AUTHENTICATION_CLASSES``: comma-separated dotted paths of DRF authentication classes.
- ``VELT_RESOLVER_TOKEN_SECRET``: token mode (DEBUG on or off): the endpoints accept
  resolver JWTs signed with this secret, authorized by ``velt_orgs_claim``; mint one with
  ``manage.py velt_resolver_token --user u1 --organization acme-corp``.
- ``VELT_API_KEY`` / ``VELT_AUTH_TOKEN``: Velt's REST API credentials (read by
  velt_django's REST client). With both set, ``POST /velt/velt-token`` answers a signed-in
  user's page with Velt's own user token for the SDK's ``authProvider`` (the index page
  fetches it), for the organizations named by the user's groups.
- ``VELT_API_BASE_URL``: another base URL of Velt's REST API (default
  ``https://api.velt.dev``).
- ``VELT_WEBHOOK_AUTH_TOKEN`` / ``VELT_WEBHOOK_SIGNING_SECRET``: the auth token of
  Velt's basic webhooks / the Svix secret of its advanced webhooks; the receiver
  ``/velt/webhooks/velt`` refuses every delivery until one is set.
- ``VELT_PERMISSION_PROVIDER_TOKEN``: the auth token of Velt's permission provider
  (``/velt/permissions/check``); with DEBUG on it defaults to a development token.
- ``VELT_WEBHOOK_PRIVATE_KEY_FILE``: PEM file of the RSA key for encrypted deliveries.
- ``VELT_WEBHOOK_EMAILS`` (default: on with DEBUG once a webhook secret is set):
  send the notification e-mails through ``DJANGO_EMAIL_BACKEND`` (default: the
  console backend, which prints them).
- ``DJANGO_DEBUG`` (default on), ``DJANGO_SECRET_KEY`` (required when DEBUG is off),
  ``DJANGO_ALLOWED_HOSTS`` (comma-separated).
- ``VELT_EXAMPLE_DATA_DIR``: where the embedded server keeps its data, next to the
  SQLite database of Django's users and the uploaded files (default
  ``example_project/.data``).
- ``VELT_S3_BUCKET``: keep uploaded attachments and recordings in this S3 bucket instead
  (needs the ``s3`` extra; credentials from boto3's usual sources such as
  ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``), with ``VELT_S3_ENDPOINT_URL`` for an
  S3-compatible store (MinIO, R2) and ``VELT_S3_REGION``.
- ``VELT_FILE_URL_BASE``: absolute base of the file URLs handed to Velt, e.g.
  ``https://app.example.com`` behind a proxy (default: the request's own host).

With DEBUG on and neither ``VELT_ORGANIZATION_ACCESS`` nor ``VELT_AUTHENTICATION_CLASSES``
set, the endpoints accept unauthenticated calls for every organization, so the demo can be
tried with curl. velt_django's system check ``velt.E004`` refuses that policy when DEBUG
is off.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off."
    )


def _env_list(name: str) -> list[str]:
    return [
        item.strip() for item in os.environ.get(name, "").split(",") if item.strip()
    ]


DEBUG = _env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-velt-example-development-only"

# Empty with DEBUG on still admits localhost, 127.0.0.1 and [::1].
ALLOWED_HOSTS = _env_list("DJANGO_ALLOWED_HOSTS")

INSTALLED_APPS = [
    # DRF's anonymous user lives in django.contrib.auth; sessions back the sign-in page
    # of token mode, where /velt/token mints a token for the signed-in user.
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "rest_framework",
    # Before velt_django: its velt_ensure_indexes command wraps velt_django's.
    "example_project.devdb",
    "velt_django",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
# The sign-in page of token mode (example_project/urls.py); velt_django's own views do
# their CSRF checks themselves (DRF), so no CsrfViewMiddleware is needed.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "index"

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

#: Data directory of the embedded SecantusDB server (see ``example_project.devdb``) and
#: of the SQLite database holding Django's users.
EXAMPLE_DATA_DIR = Path(os.environ.get("VELT_EXAMPLE_DATA_DIR") or BASE_DIR / ".data")

# velt_django keeps its PII in MongoDB; the users that users/get and
# anonymous-users/resolve answer with come from Django's user model (velt_django's
# default user directory), kept in SQLite for the demo. With a postgres:// URL in
# VELT_DATABASE_URL (or DATABASE_URL) both live in that database instead. A serving
# process with DEBUG on applies the migrations itself (example_project.devdb).
DATABASES: dict[str, Any] = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": EXAMPLE_DATA_DIR / "example.sqlite3",
    }
}

POSTGRES_SCHEMES = ("postgres", "postgresql")


def _database_options(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Query parameters as ``OPTIONS``. Django turns server-side binding on only for
    the value ``True`` (the text ``"true"`` would silently leave it off), and psycopg
    wants ``prepare_threshold`` as a number or ``None``."""
    options: dict[str, Any] = dict(pairs)
    if "server_side_binding" in options:
        flag = options["server_side_binding"].strip().lower()
        if flag not in ("true", "1", "yes", "on", "false", "0", "no", "off"):
            raise ImproperlyConfigured(
                "the database URL's server_side_binding must be true or false"
            )
        options["server_side_binding"] = flag in ("true", "1", "yes", "on")
    if "prepare_threshold" in options:
        threshold = options["prepare_threshold"].strip().lower()
        if threshold in ("", "none"):
            options["prepare_threshold"] = None
        elif threshold.isdigit():
            options["prepare_threshold"] = int(threshold)
        else:
            raise ImproperlyConfigured(
                "the database URL's prepare_threshold must be a number or none"
            )
    return options


def postgres_database(url: str) -> dict[str, Any]:
    """The ``DATABASES`` entry of a ``postgres://`` URL (percent-escapes decoded, query
    parameters as ``OPTIONS``)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError as err:
        raise ImproperlyConfigured("the database URL has an invalid port") from err
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured("the database URL names no database (…/name)")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": unquote(parts.hostname or ""),
        "PORT": str(port or ""),
        "OPTIONS": _database_options(parse_qsl(parts.query)),
        # Keep each worker thread's connection between requests (Django's default, 0,
        # opens a new one for every request: a few milliseconds each on PostgreSQL);
        # the health check replaces one the server or a pooler closed.
        "CONN_MAX_AGE": int(os.environ.get("VELT_DATABASE_CONN_MAX_AGE") or 60),
        "CONN_HEALTH_CHECKS": True,
    }


_velt_database_url = os.environ.get("VELT_DATABASE_URL", "").strip()
_database_url = _velt_database_url or os.environ.get("DATABASE_URL", "").strip()
if _velt_database_url and urlsplit(_velt_database_url).scheme not in POSTGRES_SCHEMES:
    raise ImproperlyConfigured(
        "VELT_DATABASE_URL must be a postgres:// URL; unset it for the embedded MongoDB"
    )
#: True when the example stores everything in PostgreSQL (``VELT_DATABASE_URL``).
EXAMPLE_POSTGRES = urlsplit(_database_url).scheme in POSTGRES_SCHEMES
if EXAMPLE_POSTGRES:
    DATABASES["default"] = postgres_database(_database_url)

# Uploaded attachments and recordings (velt_django's file endpoints): local files in the
# data directory, or an S3 bucket when VELT_S3_BUCKET is set.
STORAGES: dict[str, Any] = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": EXAMPLE_DATA_DIR / "files"},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
_s3_bucket = os.environ.get("VELT_S3_BUCKET", "").strip()
if _s3_bucket:
    from boto3.s3.transfer import TransferConfig

    # boto3 holds up to 10 parts of 8 MiB per upload by default; 2 × 5 MiB keeps a
    # 100 MiB upload near 20 MiB of worker memory (benchmarks/README.md, "Files").
    _transfer = TransferConfig(max_concurrency=2, multipart_chunksize=5 * 1024 * 1024)
    _transfer.max_in_memory_upload_chunks = 2
    STORAGES["velt_files"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _s3_bucket,
            "endpoint_url": os.environ.get("VELT_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("VELT_S3_REGION") or None,
            "transfer_config": _transfer,
        },
    }

_policy = os.environ.get("VELT_ORGANIZATION_ACCESS", "").strip()
_authentication = _env_list("VELT_AUTHENTICATION_CLASSES")
#: Token mode: resolver JWTs signed with this secret (``manage.py velt_resolver_token``).
_token_secret = os.environ.get("VELT_RESOLVER_TOKEN_SECRET", "")

#: True when the demo lets unauthenticated callers touch every organization.
EXAMPLE_OPEN_ACCESS = (
    DEBUG and not _policy and not _authentication and not _token_secret
)

VELT: dict[str, Any] = {
    "MONGODB_URI": os.environ.get("VELT_MONGODB_URI") or None,
    "DATABASE_NAME": os.environ.get("VELT_DATABASE_NAME") or "velt_example",
    "CORS_ALLOWED_ORIGINS": _env_list("VELT_CORS_ALLOWED_ORIGINS"),
    # The default user directory (Django's user model) with the default mapping, plus
    # organizations kept as Django groups named after the organization id.
    "USER_FIELDS": {"organizations": "groups__name"},
    "FILE_URL_BASE": os.environ.get("VELT_FILE_URL_BASE") or None,
}
if EXAMPLE_POSTGRES:
    VELT.update(STORAGE_BACKEND="postgresql", DATABASE_ALIAS="default")
if os.environ.get("VELT_API_BASE_URL"):
    VELT["API_BASE_URL"] = os.environ["VELT_API_BASE_URL"]
if _s3_bucket:
    VELT["ATTACHMENT_STORAGE"] = VELT["RECORDING_STORAGE"] = "velt_files"
# Velt webhooks: the receiver at /velt/webhooks/velt (see docs/webhooks.md).
VELT.update(
    WEBHOOK_AUTH_TOKEN=os.environ.get("VELT_WEBHOOK_AUTH_TOKEN") or None,
    WEBHOOK_SIGNING_SECRET=os.environ.get("VELT_WEBHOOK_SIGNING_SECRET") or None,
)
VELT["WEBHOOK_EMAILS"] = _env_bool(
    "VELT_WEBHOOK_EMAILS",
    DEBUG and bool(VELT["WEBHOOK_AUTH_TOKEN"] or VELT["WEBHOOK_SIGNING_SECRET"]),
)
if os.environ.get("VELT_WEBHOOK_PRIVATE_KEY_FILE"):
    VELT["WEBHOOK_PRIVATE_KEY"] = Path(
        os.environ["VELT_WEBHOOK_PRIVATE_KEY_FILE"]
    ).read_text()
EMAIL_BACKEND = (
    os.environ.get("DJANGO_EMAIL_BACKEND")
    or "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = "velt-example@localhost"
# The notification e-mails' templates come from velt_django (APP_DIRS).
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": ["django.template.context_processors.request"]
        },
    }
]

SILENCED_SYSTEM_CHECKS: list[str] = []
if DEBUG and not VELT["MONGODB_URI"]:
    # devdb supplies the URI at run time (a serving process starts the embedded server,
    # other commands use it when it runs), so an empty URI is not an error here; a
    # command that needs the database says so itself.
    SILENCED_SYSTEM_CHECKS.append("velt.E001")

if _token_secret:
    VELT["RESOLVER_TOKEN"] = {"SECRET": _token_secret}
    # POST /velt/token: a token for the signed-in user (/accounts/login/), opening the
    # organizations named by the user's groups.
    VELT["TOKEN_ORGANIZATIONS"] = "example_project.views.organizations_of"
    _authentication = _authentication or [
        "velt_django.authentication.ResolverTokenAuthentication"
    ]

# Velt's Real-time Permission Provider at /velt/permissions/check: the auth token to
# enter with that URL in Velt's console (docs/permission-provider.md); with DEBUG on a
# development token is used unless one is set, with DEBUG off the endpoint stays off
# (404) until one is. Replay a sample: manage.py velt_replay_permissions.
VELT["PERMISSION_PROVIDER_TOKEN"] = os.environ.get(
    "VELT_PERMISSION_PROVIDER_TOKEN"
) or ("velt-example-permission-token-dev-only" if DEBUG else None)

if os.environ.get("VELT_API_KEY") and os.environ.get("VELT_AUTH_TOKEN"):
    # POST /velt/velt-token: Velt's user token for the signed-in user, for the same
    # organizations as /velt/token (the user's groups); see docs/velt-user-tokens.md.
    VELT["USER_TOKEN_VIEW"] = True
    VELT["TOKEN_ORGANIZATIONS"] = "example_project.views.organizations_of"

if EXAMPLE_OPEN_ACCESS:
    VELT.update(
        AUTHENTICATION_CLASSES=[],
        PERMISSION_CLASSES=["rest_framework.permissions.AllowAny"],
        # Like allow_all for the resolvers; Velt's permission provider is answered
        # by the user's groups (example_project/access.py).
        ORGANIZATION_ACCESS="example_project.access.open_resolvers_group_permissions",
    )
    # The serving process warns about allow_all once (example_project.devdb); without
    # this every manage.py command would repeat it as velt.W002.
    SILENCED_SYSTEM_CHECKS.append("velt.W002")
else:
    VELT["ORGANIZATION_ACCESS"] = _policy or "velt_django.access.velt_orgs_claim"
    if _authentication:
        VELT["AUTHENTICATION_CLASSES"] = _authentication

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "loggers": {
        # VELT_LOG_LEVEL: WARNING drops the one INFO line per request (the benchmark
        # suite does, as its peer writes none).
        "velt_django": {
            "handlers": ["console"],
            "level": os.environ.get("VELT_LOG_LEVEL") or "INFO",
            "propagate": False,
        },
        "example_project": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
        },
    },
}
