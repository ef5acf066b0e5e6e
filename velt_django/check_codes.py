"""Every system check ID of velt_django, each defined once with a short title.

The checks modules (:mod:`velt_django.checks` and each feature's ``checks.py``) emit
their messages through these codes, never through ID literals, and the setting
declarations of :mod:`velt_django.conf` name the code of their type check. One code is
one problem: silencing an ID (``SILENCED_SYSTEM_CHECKS``) silences nothing else.

A setting's type check is declared with the setting (``Setting(kind=…, check=ID)`` in
:mod:`velt_django.conf`) and emitted by :func:`misconfigured`, one generic loop.

Numbering: a feature owns a decade, ``velt.E0N0``–``E0N9`` / ``W0N0``–``W0N9`` (the
core settings, the user directory and the shared-secret header share ``E001``–``E019``);
a feature that needs more IDs continues in the same decade of the next hundred,
``velt.E1N0``–``E1N9``. The tables render docs/checks.md (the MkDocs hook
``mkdocs_hooks.py``); this module imports nothing that needs configured settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from django.core.checks import CheckMessage, Error, Warning

from .conf import Key, Setting


@dataclass(frozen=True)
class Code:
    """One check ID and its title (a one-line Markdown description)."""

    id: str
    title: str

    def __call__(self, msg: str, *, hint: str | None = None) -> CheckMessage:
        """The message of this code: an ``Error`` for ``velt.E…``, else a ``Warning``."""
        level = Error if self.id.startswith("velt.E") else Warning
        return level(msg, hint=hint, id=self.id)


class Section:
    """The codes of one feature: one heading and one table of docs/checks.md."""

    heading: ClassVar[str]

    @classmethod
    def codes(cls) -> list[Code]:
        return [value for value in vars(cls).values() if isinstance(value, Code)]


class Core(Section):
    heading = "Core settings"

    E001 = Code(
        "velt.E001",
        '`VELT["MONGODB_URI"]` is not set while the storage backend is MongoDB.',
    )
    E002 = Code("velt.E002", "`VELT` is not a dict.")
    E003 = Code(
        "velt.E003",
        "A dotted path (`AUTHENTICATION_CLASSES`, `PERMISSION_CLASSES`, "
        "`ORGANIZATION_ACCESS`, `READ_FILTER`, `USER_DIRECTORY_CLASS`, "
        "`TOKEN_ORGANIZATIONS`) cannot be imported.",
    )
    E004 = Code(
        "velt.E004",
        "`ORGANIZATION_ACCESS` allows every organization while `DEBUG` is off.",
    )
    E005 = Code(
        "velt.E005",
        "A size, timeout or duration setting is not a positive integer.",
    )
    E006 = Code("velt.E006", "`rest_framework` is not in `INSTALLED_APPS`.")
    E007 = Code(
        "velt.E007",
        "`WRITE_CONCERN` does not acknowledge writes (`0`, `False`, negative, empty).",
    )
    E008 = Code(
        "velt.E008",
        "`ACTIVITY_RETENTION_DAYS` is neither `None` nor a positive integer.",
    )
    E013 = Code(
        "velt.E013",
        '`THROTTLE_RATE` is neither `None` nor `"<requests>/<period>"`.',
    )
    E016 = Code(
        "velt.E016",
        "`ALLOWED_API_KEYS` is not a list of non-empty strings.",
    )
    E017 = Code(
        "velt.E017",
        "`COLLECTION_PREFIX` is not a string without `$` (and without NUL).",
    )
    W001 = Code("velt.W001", "Unknown `VELT` key (probably a typo).")
    W002 = Code(
        "velt.W002", "`ORGANIZATION_ACCESS` allows every organization (DEBUG on)."
    )
    W003 = Code("velt.W003", "`ORGANIZATION_ACCESS` is not set explicitly.")


class Directory(Section):
    heading = "User directory"

    E009 = Code(
        "velt.E009",
        "`USER_DIRECTORY_CLASS` is not a `velt_django.directory.UserDirectory` "
        "subclass (an import failure is `velt.E003`).",
    )
    E010 = Code("velt.E010", "`USER_FIELDS` is not a dict.")
    E011 = Code(
        "velt.E011",
        "The Django directory's model (`USER_MODEL`, else `AUTH_USER_MODEL`) cannot be "
        "loaded: not `app_label.Model`, or not installed.",
    )
    E012 = Code(
        "velt.E012",
        "`USER_ORGANIZATION_SCOPED` is on with the Django directory but "
        '`USER_FIELDS["organizations"]` is not set.',
    )
    E110 = Code("velt.E110", "`USER_FIELDS` has a key that is no `User` key.")
    E111 = Code(
        "velt.E111",
        "A `USER_FIELDS` value is neither a non-empty string nor `None`.",
    )
    E112 = Code("velt.E112", '`USER_FIELDS["userId"]` maps to nothing.')
    E113 = Code("velt.E113", "`USER_PROFILE` is not `True` or `False`.")
    E114 = Code(
        "velt.E114",
        '`USER_FIELDS["userId"]` or `["email"]` is not a concrete field of the model '
        "(both are queried).",
    )
    E115 = Code(
        "velt.E115",
        "Another `USER_FIELDS` value is no field, method or importable callable of the "
        "model.",
    )


class SharedSecret(Section):
    heading = "Shared-secret header"

    E014 = Code(
        "velt.E014", "`INSECURE_SHARED_SECRET` is set but not a non-empty string."
    )
    E015 = Code(
        "velt.E015",
        "The shared-secret header is enabled while `DEBUG` is off (it is refused then).",
    )
    E018 = Code("velt.E018", "`ALLOW_INSECURE_SHARED_SECRET` is not `True` or `False`.")
    W004 = Code(
        "velt.W004",
        "The development-only shared-secret header is enabled (DEBUG on).",
    )


class Tokens(Section):
    heading = "Resolver tokens"

    E020 = Code(
        "velt.E020",
        "`ResolverTokenAuthentication` is configured explicitly but `RESOLVER_TOKEN` "
        "has no key.",
    )
    E021 = Code(
        "velt.E021",
        '`RESOLVER_TOKEN["ALGORITHMS"]` is not a non-empty list of algorithm names.',
    )
    E022 = Code(
        "velt.E022",
        "Several verification-key slots (`SECRET`, `PUBLIC_KEY`, `JWKS_URL`) are set.",
    )
    E023 = Code("velt.E023", '`RESOLVER_TOKEN["JWKS_URL"]` is not `https://`.')
    E024 = Code("velt.E024", "`RESOLVER_TOKEN` is not a dict.")
    E025 = Code(
        "velt.E025", "Asymmetric algorithms without the `cryptography` package."
    )
    E026 = Code("velt.E026", '`RESOLVER_TOKEN["ALGORITHMS"]` contains `none`.')
    E027 = Code(
        "velt.E027", '`RESOLVER_TOKEN["ALGORITHMS"]` names an unsupported algorithm.'
    )
    E028 = Code(
        "velt.E028",
        '`RESOLVER_TOKEN["ALGORITHMS"]` mixes HMAC (HS*) and public-key algorithms.',
    )
    E029 = Code(
        "velt.E029", '`RESOLVER_TOKEN["SECRET"]` holds a PEM block or an SSH key.'
    )
    E120 = Code("velt.E120", '`RESOLVER_TOKEN["SECRET"]` is not a string.')
    E121 = Code(
        "velt.E121",
        '`RESOLVER_TOKEN["SECRET"]` is set but `ALGORITHMS` has no HS* algorithm.',
    )
    E122 = Code(
        "velt.E122",
        "`PUBLIC_KEY` or `JWKS_URL` is set with HS* algorithms (they need "
        "RS*/ES*/PS*/EdDSA).",
    )
    E123 = Code("velt.E123", "`RESOLVER_TOKEN` has an unknown key.")
    E124 = Code(
        "velt.E124",
        '`RESOLVER_TOKEN["LEEWAY"]` is not an integer ≥ 0, or `TTL` or '
        "`JWKS_CACHE_LIFETIME` is not a positive integer.",
    )
    E125 = Code(
        "velt.E125",
        '`RESOLVER_TOKEN["MAX_TTL"]` is neither `None` nor an integer ≥ `TTL`.',
    )
    E126 = Code(
        "velt.E126", '`RESOLVER_TOKEN["REQUIRE_EXP"]` is not `True` or `False`.'
    )
    W020 = Code("velt.W020", '`RESOLVER_TOKEN["SECRET"]` is shorter than 32 bytes.')


class Client(Section):
    heading = "Velt REST client"

    E030 = Code(
        "velt.E030",
        "`API_BASE_URL` is not an `http(s)://` URL with a host, or carries "
        "credentials, a query or a fragment.",
    )
    E031 = Code("velt.E031", "`API_TIMEOUT` is not a positive number.")
    E032 = Code("velt.E032", "`API_RETRIES` is not an integer ≥ 0.")
    E033 = Code(
        "velt.E033", "`API_KEY` or `AUTH_TOKEN` is set but not a non-empty string."
    )
    E034 = Code(
        "velt.E034",
        "`USER_TOKEN_VIEW` is on but no `API_KEY`/`AUTH_TOKEN` is configured (nor "
        "`VELT_API_KEY`/`VELT_AUTH_TOKEN` in the environment).",
    )
    E035 = Code(
        "velt.E035", "`USER_TOKEN_VIEW` is on but `TOKEN_ORGANIZATIONS` is not set."
    )
    E036 = Code("velt.E036", "`USER_TOKEN_VIEW` is not `True` or `False`.")


class Webhooks(Section):
    heading = "Webhooks"

    E040 = Code("velt.E040", "`WEBHOOK_AUTH_TOKEN` is set but not a non-empty string.")
    E041 = Code(
        "velt.E041",
        "`WEBHOOK_SIGNING_SECRET` is not a Svix secret (`whsec_` + base64).",
    )
    E042 = Code(
        "velt.E042",
        "`WEBHOOK_SIGNING_SECRET` is set but the `svix` package is missing "
        '(`pip install "velt-django[webhooks]"`).',
    )
    E043 = Code(
        "velt.E043",
        "`WEBHOOK_PRIVATE_KEY` is not an unencrypted RSA private key (PEM, or base64 "
        "DER).",
    )
    E044 = Code("velt.E044", "`WEBHOOK_EMAILS` is not `True` or `False`.")
    E045 = Code(
        "velt.E045",
        "`WEBHOOK_DEDUP_DAYS` is under 2: Velt retries a failed delivery for about 28 "
        "hours, and a delivery id forgotten sooner makes a late retry send its e-mails "
        "again.",
    )
    E046 = Code(
        "velt.E046",
        "`WEBHOOK_LEASE_SECONDS` is not longer than `WEBHOOK_EMAIL_BUDGET_SECONDS`: a "
        "retry could take over a delivery whose worker is still sending its e-mails.",
    )
    E047 = Code(
        "velt.E047",
        "`WEBHOOK_EMAIL_FROM` is neither `None` nor a non-empty string.",
    )
    W040 = Code(
        "velt.W040",
        "`WEBHOOK_EMAILS` is on but neither webhook secret is set: every delivery is "
        "refused.",
    )
    W041 = Code("velt.W041", "`WEBHOOK_AUTH_TOKEN` is shorter than 16 characters.")
    W042 = Code(
        "velt.W042",
        "`WEBHOOK_EMAILS` is on but the e-mail templates are not found (no "
        "`DjangoTemplates` backend with `APP_DIRS`).",
    )
    W043 = Code(
        "velt.W043",
        "`WEBHOOK_EMAILS` is on with the Django user directory but "
        '`USER_FIELDS["organizations"]` is unset: recipients must be members of the '
        "delivery's organization, so no e-mail can be sent.",
    )
    W044 = Code(
        "velt.W044",
        "`WEBHOOK_EMAIL_BUDGET_SECONDS` is not under Velt's 15 s timeout: Velt counts a "
        "slower answer as failed and retries the delivery.",
    )


class Files(Section):
    heading = "Files"

    E050 = Code("velt.E050", '`FILE_URL_MODE` is neither `"private"` nor `"public"`.')
    E051 = Code(
        "velt.E051", '`FILE_ACCESS` is not a list of `"signature"`/`"session"`.'
    )
    E052 = Code(
        "velt.E052",
        "`ATTACHMENT_STORAGE`/`RECORDING_STORAGE` names no key of `STORAGES`.",
    )
    E053 = Code("velt.E053", "`FILE_URL_BASE` is not an absolute http(s) URL.")
    E054 = Code("velt.E054", "A file type list is not a list of strings.")
    E055 = Code(
        "velt.E055",
        "`FILE_ACCESS` is empty in private mode: no one could open a private file URL.",
    )
    W050 = Code(
        "velt.W050", "Public file URLs from an S3 storage that signs (expiring) URLs."
    )
    W051 = Code("velt.W051", "`FILE_INLINE_TYPES` lets HTML, SVG or XML render inline.")
    W052 = Code(
        "velt.W052",
        "Private file URLs redirect to an S3 storage that does not sign its URLs "
        "(`querystring_auth` off, or `custom_domain` without a CloudFront key).",
    )
    W053 = Code(
        "velt.W053",
        "The storage of `ATTACHMENT_STORAGE`/`RECORDING_STORAGE` is a "
        '`FileSystemStorage` whose `OPTIONS["location"]` (or, without one, '
        "`MEDIA_ROOT`) is empty or relative, so uploads would land wherever the "
        "process was started (a stock `startproject` has no `STORAGES` and "
        '`MEDIA_ROOT = ""`). `velt_check` fails that storage line for the same reason.',
    )


class Permissions(Section):
    heading = "Permission provider"

    E060 = Code(
        "velt.E060", "`PERMISSION_PROVIDER_TOKEN` is set but not a non-empty string."
    )
    E061 = Code(
        "velt.E061",
        "`PERMISSION_PROVIDER_TOKEN` has whitespace or control characters at its ends "
        "or inside, or is longer than 4,096 characters: no `Authorization` header "
        "could carry it.",
    )
    E062 = Code(
        "velt.E062",
        "`PERMISSION_PROVIDER_TTL` is neither `None` nor a positive integer.",
    )
    E063 = Code(
        "velt.E063", "`PERMISSION_PROVIDER_MAX_BATCH` is not a positive integer."
    )
    W060 = Code(
        "velt.W060", "`PERMISSION_PROVIDER_TOKEN` is shorter than 16 characters."
    )


class Storage(Section):
    heading = "Storage backend"

    E070 = Code(
        "velt.E070", '`STORAGE_BACKEND` is neither `"mongodb"` nor `"postgresql"`.'
    )
    E071 = Code(
        "velt.E071",
        "`DATABASE_ALIAS` names no key of `DATABASES` (PostgreSQL backend).",
    )
    E072 = Code(
        "velt.E072",
        "The database of `DATABASE_ALIAS` is not PostgreSQL (`ENGINE` is not "
        "`django.db.backends.postgresql`); SQLite, MySQL and others are not supported.",
    )
    E073 = Code("velt.E073", '`CONNECTION_CHECK` is neither `"socket"` nor `"django"`.')


#: The sections in the order of docs/checks.md.
SECTIONS: tuple[type[Section], ...] = (
    Core,
    Storage,
    Directory,
    SharedSecret,
    Tokens,
    Client,
    Webhooks,
    Files,
    Permissions,
)


def all_codes() -> list[Code]:
    """Every code of every section."""
    return [code for section in SECTIONS for code in section.codes()]


def code(check_id: str) -> Code:
    """The code of ``check_id``; ``KeyError`` if no table defines it."""
    return {c.id: c for c in all_codes()}[check_id]


def misconfigured(
    declarations: Iterable[Setting[Any] | Key],
    configured: Mapping[str, Any],
    where: str = "VELT",
) -> list[CheckMessage]:
    """The messages of the ``configured`` values (the ``VELT`` dict, or a nested dict
    that ``where`` names) their declaration's kind refuses, in declaration order, each
    with the declaration's own code. Unset keys are not checked: defaults are valid."""
    messages: list[CheckMessage] = []
    for declaration in declarations:
        kind, check_id = declaration.kind, declaration.check
        if kind is None or check_id is None or declaration.name not in configured:
            continue
        if not kind.accepts(configured[declaration.name]):
            messages.append(
                code(check_id)(
                    f'{where}["{declaration.name}"] must be {kind.description}.'
                )
            )
    return messages
