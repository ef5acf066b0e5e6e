"""The ``VELT`` settings dict, read through one object with defaults.

Each key is declared once, as a :class:`Setting` on :class:`VeltSettings`: its default,
the conversion that gives the attribute its type, the kind of value the system checks
accept, and its documentation (the tables of docs/settings.md are generated from these
declarations). :data:`DEFAULTS`, :data:`IMPORT_STRINGS`, :data:`OPTIONAL_IMPORTS` and
:data:`POSITIVE_INTS` are derived from them. Importing this module needs no configured
Django settings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from .exceptions import VeltConfigurationError

MiB = 1024 * 1024

T = TypeVar("T")

OrganizationAccess = Callable[[Any, str, str, "list[str]"], bool]
ReadFilter = Callable[[Any, str, str, "dict[str, dict[str, Any]]"], Any]


# ---- kinds: what a configured value must be ------------------------------------------


def _always(value: Any) -> bool:
    return True


@dataclass(frozen=True)
class Kind:
    """The values a setting accepts, as the system checks test them: a configured value
    that ``accepts`` refuses gives the setting's check, with the message
    ``VELT["KEY"] must be <description>.``. ``imports``: a dotted path (or a list of
    them) resolved by :meth:`VeltSettings._import`, checked by ``velt.E003``."""

    description: str
    accepts: Callable[[Any], bool] = _always
    imports: bool = False
    optional: bool = False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_string_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


POSITIVE_INT = Kind("a positive integer", lambda v: _is_int(v) and v > 0)
NON_NEGATIVE_INT = Kind("an integer >= 0", lambda v: _is_int(v) and v >= 0)
OPTIONAL_POSITIVE_INT = Kind(
    "None or a positive integer", lambda v: v is None or (_is_int(v) and v > 0)
)
POSITIVE_NUMBER = Kind(
    "a positive number",
    lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and not v <= 0,
)
BOOL = Kind("True or False", lambda v: isinstance(v, bool))
OPTIONAL_STRING = Kind("None or a non-empty string", lambda v: v is None or _is_text(v))
STRING_LIST = Kind("a list of content types", _is_string_list)
DOTTED_PATH = Kind("a dotted import path", imports=True)
OPTIONAL_DOTTED_PATH = Kind("None or a dotted import path", imports=True, optional=True)
DOTTED_PATH_LIST = Kind("a list of dotted import paths", imports=True)


def one_of(*choices: str) -> Kind:
    return Kind(" or ".join(f'"{c}"' for c in choices), lambda v: v in choices)


# ---- declarations ----------------------------------------------------------------------


class _Absent:
    """The default of a nested key that is not in the default mapping."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class Key:
    """One key of a dict-valued setting (``RESOLVER_TOKEN``, ``USER_FIELDS``)."""

    name: str
    default: Any
    doc: str
    kind: Kind | None = None
    check: str | None = None


def _key_defaults(keys: tuple[Key, ...]) -> dict[str, Any]:
    return {key.name: key.default for key in keys if key.default is not ABSENT}


class Setting(Generic[T]):
    """One key of ``VELT``: read on :class:`VeltSettings` it is the configured value (or
    ``default``) passed through ``convert``; read on the class it is this declaration.

    ``kind`` and ``check``: the values the system checks accept and the ID (defined in
    :mod:`velt_django.check_codes`) of a value they refuse; without ``check`` the kind
    documents the value only. ``keys``: the
    keys of a dict-valued setting, whose configured keys are laid over their defaults.
    ``group``: the heading of docs/settings.md the row goes under; ``doc``: the row's
    Markdown; ``default_doc``: the Default cell when the literal would not do."""

    name: str

    def __init__(
        self,
        default: Any,
        convert: Callable[[Any], T],
        *,
        group: str,
        doc: str,
        kind: Kind | None = None,
        check: str | None = None,
        keys: tuple[Key, ...] = (),
        default_doc: str | None = None,
    ) -> None:
        self.default = _key_defaults(keys) if keys else default
        self.convert = convert
        self.group = group
        self.doc = doc
        self.kind = kind
        self.check = check
        self.keys = keys
        self.default_doc = default_doc

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Setting[T]: ...

    @overload
    def __get__(self, instance: VeltSettings, owner: type[Any]) -> T: ...

    def __get__(
        self, instance: VeltSettings | None, owner: type[Any]
    ) -> Setting[T] | T:
        if instance is None:
            return self
        if self.kind is not None and self.kind.imports:
            return self.convert(instance._import(self.name))
        value = instance.get(self.name)
        cached = instance._values.get(self.name)
        if cached is not None and cached[0] is value:
            # The very object converted last time, and an immutable one: same answer.
            return cached[1]  # type: ignore[no-any-return]
        raw = value
        if self.keys:
            merged = dict(self.default)
            if isinstance(value, Mapping):
                merged.update(value)
            value = merged
        converted = self.convert(value)
        if type(raw) in _IMMUTABLE and type(converted) in _IMMUTABLE:
            instance._values[self.name] = (raw, converted)
        return converted

    def accepts(self, value: Any) -> bool:
        """Whether the system checks accept ``value`` for this setting."""
        return self.kind is None or self.kind.accepts(value)

    @property
    def key_names(self) -> frozenset[str]:
        return frozenset(key.name for key in self.keys)


#: Types of configured and converted values :class:`VeltSettings` remembers: reading
#: the same configured object again gives the remembered conversion. Anything mutable
#: (dicts, lists) is converted on every access, so a caller that changes what it got
#: cannot change the setting, and a list changed in place is seen.
_IMMUTABLE = frozenset({str, int, float, bool, type(None), tuple, frozenset})


# ---- conversions -----------------------------------------------------------------------


def _str(value: Any) -> str:
    return str(value)


def _truthy_str(value: Any) -> str | None:
    return str(value) if value else None


def _nonempty_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int:
    return int(value)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _float(value: Any) -> float:
    return float(value)


def _bool(value: Any) -> bool:
    return bool(value)


def _is_true(value: Any) -> bool:
    return value is True


def _dict(value: Any) -> dict[str, Any]:
    return dict(value or {})


def _user_fields(value: Any) -> dict[str, str | None]:
    mapping: dict[str, str | None] = dict(value)
    return mapping


def _write_concern(value: Any) -> str | int:
    w: str | int = value
    return w


def _rate(value: Any) -> str | None:
    rate: str | None = value
    return rate


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value or []]


def _lower_strings(value: Any) -> list[str]:
    return [str(v).lower() for v in value or []]


def _string_set(value: Any) -> frozenset[str]:
    return frozenset(str(v) for v in value or [])


def _classes(value: Any) -> list[type]:
    return list(value)


def _class(value: Any) -> type:
    cls: type = value
    return cls


def _organization_access(value: Any) -> OrganizationAccess:
    hook: OrganizationAccess = value
    return hook


def _read_filter(value: Any) -> ReadFilter | None:
    hook: ReadFilter | None = value
    return hook


def _token_organizations(value: Any) -> Callable[[Any], Any] | None:
    hook: Callable[[Any], Any] | None = value
    return hook


def _private_key(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value if isinstance(value, str) and value.strip() else None


def _file_url_base(value: Any) -> str | None:
    return str(value).rstrip("/") if value else None


def _prefix(value: Any) -> str:
    return str(value or "")


#: Velt's REST API, also what an empty ``API_BASE_URL`` falls back to.
VELT_API = "https://api.velt.dev"


def _api_base_url(value: Any) -> str:
    return str(value or VELT_API).rstrip("/")


# ---- the nested keys -------------------------------------------------------------------

TOKEN_KEYS = (
    Key(
        "SECRET",
        None,
        "HMAC key (HS256/384/512), at least 32 bytes (`velt.W020`). One of `SECRET`, "
        "`PUBLIC_KEY`, `JWKS_URL` (`velt.E022`); a PEM or SSH key here is refused "
        "(`velt.E029`), so is a non-string (`velt.E120`) or a secret without an HS* "
        "algorithm (`velt.E121`).",
    ),
    Key(
        "PUBLIC_KEY",
        None,
        "PEM public key (RS*/PS*/ES*/EdDSA) to verify with; not with HS* algorithms "
        "(`velt.E122`).",
    ),
    Key(
        "JWKS_URL",
        None,
        "An `https://` JWKS URL (`velt.E023`); keys fetched with `PyJWKClient`, "
        "redirects not followed.",
    ),
    Key(
        "JWKS_CACHE_LIFETIME",
        300,
        "Seconds the JWKS key set is cached (`velt.E124`).",
        POSITIVE_INT,
        "velt.E124",
    ),
    Key("PRIVATE_KEY", None, "PEM private key to mint asymmetric tokens."),
    Key(
        "ALGORITHMS",
        ["HS256"],
        "Algorithm allowlist (`velt.E021`); `none` (`velt.E026`), unknown names "
        "(`velt.E027`) and mixed HS/asymmetric lists (`velt.E028`) are refused.",
    ),
    Key("ISSUER", None, "Required `iss`, enforced when set."),
    Key("AUDIENCE", None, "Required `aud`, enforced when set."),
    Key(
        "LEEWAY",
        30,
        "Seconds of clock skew allowed (`velt.E124`).",
        NON_NEGATIVE_INT,
        "velt.E124",
    ),
    Key(
        "TTL",
        600,
        "Lifetime, in seconds, of minted tokens (`velt.E124`).",
        POSITIVE_INT,
        "velt.E124",
    ),
    Key(
        "REQUIRE_EXP",
        True,
        "Refuse tokens without `exp` (`velt.E126`).",
        BOOL,
        "velt.E126",
    ),
    Key(
        "MAX_TTL",
        None,
        "Longest lifetime (seconds) a token may have, verified (`exp - iat`, or "
        "`exp - now - LEEWAY` without `iat`; `CLAIM_MISMATCH`) and minted; when set, "
        "`exp` is required. `None` or an integer ≥ `TTL` (`velt.E125`).",
    ),
)

USER_FIELD_KEYS = (
    Key(
        "userId",
        "username",
        "A concrete field (`pk` works too), queried; must map to something "
        "(`velt.E112`, `velt.E114`). Also the Velt user id of a session user (token "
        "`sub`, file uploader, private threads).",
    ),
    Key(
        "name",
        "get_full_name",
        "A field, a method of the model or a dotted `callable(user)` (`velt.E115`).",
    ),
    Key(
        "email",
        "email",
        "A concrete field, matched case-insensitively (`velt.E114`), or `None`.",
    ),
    Key("photoUrl", None, "Avatar URL: a field, a method or a dotted callable."),
    Key(
        "organizations",
        None,
        'ORM lookup from the model to an organization id (e.g. `"groups__name"`); '
        "needed by `USER_ORGANIZATION_SCOPED` (`velt.E012`) and webhook e-mails "
        "(`velt.W043`).",
    ),
    Key("initial", ABSENT, "Text: a field, a method or a dotted callable."),
    Key("color", ABSENT, "Text: a field, a method or a dotted callable."),
    Key("textColor", ABSENT, "Text: a field, a method or a dotted callable."),
    Key("isAdmin", ABSENT, "Boolean: a field, a method or a dotted callable."),
)

# ---- the settings ----------------------------------------------------------------------

STORAGE = "Storage backend"
MONGODB = "MongoDB"
LIMITS = "Request limits"
ACTIVITIES = "Activities"
SECURITY = "Authentication and authorization"
CORS = "CORS"
USERS = "User directory"
WEBHOOKS = "Webhooks"
FILES = "Files"
REST_API = "Velt REST API"
PERMISSION_PROVIDER = "Permission provider"


class VeltSettings:
    """Typed, always-fresh view of ``settings.VELT``.

    Values are read from Django settings on every access, so ``override_settings``,
    pytest-django's ``settings`` fixture and a ``VELT`` dict changed in place all work
    without helpers. The conversion of an immutable value (text, numbers, tuples) is
    remembered with the configured object it came from and reused while ``VELT`` still
    holds that object: a resolver request reads some twenty settings, and converting
    each again cost a few per cent of its CPU. Imported dotted paths are cached, and
    both caches are cleared when ``VELT`` changes.
    """

    def __init__(self) -> None:
        self._imports: dict[str, Any] = {}
        self._values: dict[str, tuple[Any, Any]] = {}

    @property
    def user_settings(self) -> Mapping[str, Any]:
        value = getattr(settings, "VELT", {})
        # ``type(...) is dict`` first: the ABC check costs more than the rest of a read.
        return value if type(value) is dict or isinstance(value, Mapping) else {}

    def get(self, key: str) -> Any:
        """The configured value of ``key``, else its default (not converted)."""
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
        self._values.clear()

    # Storage backend
    STORAGE_BACKEND = Setting(
        "mongodb",
        _str,
        group=STORAGE,
        kind=one_of("mongodb", "postgresql"),
        check="velt.E070",
        doc='Where the resolver data lives: `"mongodb"` (pymongo, the settings below) '
        'or `"postgresql"` (Django\'s ORM on `DATABASE_ALIAS`; check `velt.E070`).',
    )
    DATABASE_ALIAS = Setting(
        "default",
        _str,
        group=STORAGE,
        doc='The key of `DATABASES` the `"postgresql"` backend stores in; it must '
        "exist (check `velt.E071`) and use Django's PostgreSQL engine (check "
        "`velt.E072`). Unused with MongoDB.",
    )
    CONNECTION_CHECK = Setting(
        "socket",
        _str,
        group=STORAGE,
        kind=one_of("socket", "django"),
        check="velt.E073",
        doc="How a kept PostgreSQL connection is checked at the start of a request: "
        '`"socket"` polls its socket (no round trip; one the server closed is replaced '
        "before the request uses it, and Django's `SELECT 1` of `CONN_HEALTH_CHECKS` "
        'is skipped), `"django"` leaves Django\'s own behaviour. Applies to every '
        "PostgreSQL alias of the process (check `velt.E073`).",
    )

    # MongoDB
    MONGODB_URI = Setting(
        None,
        _truthy_str,
        group=MONGODB,
        doc="MongoDB connection string. Required with the MongoDB backend (check "
        "`velt.E001`).",
    )
    DATABASE_NAME = Setting(
        "velt", _str, group=MONGODB, doc="Database holding the collections."
    )
    COLLECTION_PREFIX = Setting(
        "velt_",
        _str,
        group=MONGODB,
        kind=Kind(
            'a string without "$"',
            lambda v: isinstance(v, str) and "$" not in v and "\x00" not in v,
        ),
        check="velt.E017",
        doc="Prefix of every collection name; no `$` (check `velt.E017`).",
    )
    WRITE_CONCERN = Setting(
        "majority",
        _write_concern,
        group=MONGODB,
        doc='Write concern `w` of every write: `"majority"`, a tag-set name or an '
        "integer ≥ 1; a save answers 200 only after it is acknowledged. `0` is "
        "refused (check `velt.E007`).",
    )
    SERVER_SELECTION_TIMEOUT_MS = Setting(
        2000,
        _int,
        group=MONGODB,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Server selection and connect timeout (ms).",
    )
    SOCKET_TIMEOUT_MS = Setting(
        10000,
        _int,
        group=MONGODB,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Socket timeout, also the write concern's `wtimeout` (ms).",
    )
    MONGO_CLIENT_OPTIONS = Setting(
        {},
        _dict,
        group=MONGODB,
        doc="Extra keyword arguments for `pymongo.MongoClient`; they override the "
        "ones above.",
    )

    # Request limits
    MAX_BODY_SIZE = Setting(
        10 * MiB,
        _int,
        group=LIMITS,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Largest request body; larger → 413. Read by the view itself, so "
        "Django's `DATA_UPLOAD_MAX_MEMORY_SIZE` does not apply.",
    )
    MAX_ID_LIST_LENGTH = Setting(
        2000,
        _int,
        group=LIMITS,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Most entries in an id array (`commentAnnotationIds`, `documentIds`, …); "
        "more → 400.",
    )
    MAX_ID_LENGTH = Setting(
        512,
        _int,
        group=LIMITS,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Longest id, in characters; longer → 400.",
    )
    MAX_RECORDS_PER_SAVE = Setting(
        500,
        _int,
        group=LIMITS,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Most records in one save; more → 400.",
    )
    MAX_RECORD_SIZE = Setting(
        15 * MiB,
        _int,
        group=LIMITS,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Largest stored payload (BSON bytes); larger → 413.",
    )
    MAX_PAYLOAD_DEPTH = Setting(
        64,
        _int,
        group=LIMITS,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Deepest nesting of a payload; deeper → 400.",
    )

    # Activities
    ACTIVITY_RETENTION_DAYS = Setting(
        None,
        _optional_int,
        group=ACTIVITIES,
        kind=OPTIONAL_POSITIVE_INT,
        check="velt.E008",
        doc="Days after which a TTL index deletes an activity (see "
        "[Activities](activities.md#retention-and-purge)); `None` keeps them. Applied "
        "by `velt_ensure_indexes`; `None` or a positive integer (check `velt.E008`).",
    )

    # Authentication and authorization
    AUTHENTICATION_CLASSES = Setting(
        [
            "velt_django.authentication.ResolverTokenAuthentication",
            "rest_framework.authentication.SessionAuthentication",
        ],
        _classes,
        group=SECURITY,
        kind=DOTTED_PATH_LIST,
        doc="DRF authentication classes (dotted paths) of the endpoints, whatever "
        "`REST_FRAMEWORK` says. The token class does nothing until `RESOLVER_TOKEN` "
        "holds a key.",
    )
    RESOLVER_TOKEN = Setting(
        None,
        _dict,
        group=SECURITY,
        keys=TOKEN_KEYS,
        default_doc="its keys' defaults",
        doc="How resolver tokens are verified and minted: the keys are in [their own "
        "table](#resolver_token-keys) below (see [Resolver tokens](tokens.md); checks "
        "`velt.E020`–`E029`, `E120`–`E126`, `W020`).",
    )
    TOKEN_ORGANIZATIONS = Setting(
        None,
        _token_organizations,
        group=SECURITY,
        kind=OPTIONAL_DOTTED_PATH,
        doc="Dotted path of `(user) -> list[str]`, the organizations a minted token "
        "opens; setting it switches the token view `velt:token` on.",
    )
    USER_TOKEN_VIEW = Setting(
        False,
        _is_true,
        group=SECURITY,
        kind=BOOL,
        check="velt.E036",
        doc="`True` switches the view `velt:velt-token` on: Velt's own user token for "
        "the signed-in user, from Velt's REST API, for the SDK's `authProvider`; off, "
        "it answers 404. Needs `API_KEY`/`AUTH_TOKEN` and `TOKEN_ORGANIZATIONS` "
        "(checks `velt.E034`–`E036`; see [Velt user tokens](velt-user-tokens.md)).",
    )
    PERMISSION_CLASSES = Setting(
        ["rest_framework.permissions.IsAuthenticated"],
        _classes,
        group=SECURITY,
        kind=DOTTED_PATH_LIST,
        doc="DRF permission classes (dotted paths) of the endpoints.",
    )
    ORGANIZATION_ACCESS = Setting(
        "velt_django.access.velt_orgs_claim",
        _organization_access,
        group=SECURITY,
        kind=DOTTED_PATH,
        doc="Dotted path of the organization access policy (see [Organization "
        "access](organization-access.md)). Leaving it unset gives warning `velt.W003`.",
    )
    READ_FILTER = Setting(
        None,
        _read_filter,
        group=SECURITY,
        kind=OPTIONAL_DOTTED_PATH,
        doc="Dotted path of an optional post-filter of every read (see [Read "
        "filter](organization-access.md#read-filter)).",
    )
    ALLOWED_API_KEYS = Setting(
        [],
        _string_set,
        group=SECURITY,
        kind=Kind(
            "a list of non-empty strings",
            lambda v: (
                v is None
                or (
                    isinstance(v, (list, tuple, set, frozenset))
                    and all(isinstance(k, str) and k for k in v)
                )
            ),
        ),
        check="velt.E016",
        doc="Velt API keys this deployment serves; when set, a request whose "
        "`metadata.apiKey` (its own or a saved record's) is not listed answers 403 "
        "and writes nothing. Gets carry no API key, so deployments serving several "
        "keys (test and production) should also use separate `COLLECTION_PREFIX`es "
        "(check `velt.E016`).",
    )
    THROTTLE_RATE = Setting(
        "1200/min",
        _rate,
        group=SECURITY,
        doc="Requests per principal per period (`s`, `sec`, `m`, `min`, `h`, `hour`, "
        "`d`, `day`) over all endpoints; `None` disables (see [Rate "
        "limit](rate-limit-and-logs.md); check `velt.E013`). Counted in Django's "
        "default cache.",
    )
    INSECURE_SHARED_SECRET = Setting(
        None,
        _nonempty_str,
        group=SECURITY,
        doc="Value of the development-only `X-Velt-Shared-Secret` header (see "
        "[Shared-secret header](shared-secret.md); check `velt.E014`).",
    )
    ALLOW_INSECURE_SHARED_SECRET = Setting(
        False,
        _is_true,
        group=SECURITY,
        kind=BOOL,
        check="velt.E018",
        doc="Must be exactly `True`, with `DEBUG` on, for the shared-secret header to "
        "be accepted (checks `velt.E018`, `velt.W004`, `velt.E015`).",
    )

    # CORS
    CORS_ALLOWED_ORIGINS = Setting(
        [],
        _strings,
        group=CORS,
        doc='Page origins (exact match, e.g. `"https://app.example.com"`) whose '
        "requests get CORS headers; also the Origin allowlist of session-cookie "
        "requests (see [Session cookies, CSRF and CORS](cookie-mode.md)).",
    )
    CORS_ALLOW_CREDENTIALS = Setting(
        False,
        _bool,
        group=CORS,
        doc="Send `Access-Control-Allow-Credentials: true` (cookie mode).",
    )
    CORS_EXTRA_ALLOWED_HEADERS = Setting(
        [],
        _strings,
        group=CORS,
        doc="Headers allowed in preflight besides `Content-Type`, `Authorization`, "
        "`X-CSRFToken`.",
    )
    CORS_MAX_AGE = Setting(
        600,
        _int,
        group=CORS,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="`Access-Control-Max-Age` of preflight answers (seconds).",
    )

    # User directory
    USER_DIRECTORY_CLASS = Setting(
        "velt_django.directory.DjangoUserDirectory",
        _class,
        group=USERS,
        kind=DOTTED_PATH,
        doc="Dotted path of the user directory of `users/get` and "
        "`anonymous-users/resolve` (see [Users](users.md)); "
        '`"velt_django.directory.MongoUserDirectory"` for the `velt_users` '
        "collection (check `velt.E009`).",
    )
    USER_MODEL = Setting(
        None,
        _truthy_str,
        group=USERS,
        doc='`"app_label.Model"` the Django directory reads; `None` means '
        "`AUTH_USER_MODEL` (check `velt.E011`).",
    )
    USER_FIELDS = Setting(
        None,
        _user_fields,
        group=USERS,
        keys=USER_FIELD_KEYS,
        doc="Mapping of the Django directory from `User` keys to fields, methods or "
        "dotted callables; given keys override the defaults (the keys are in [their "
        "own table](#user_fields-keys) below; checks `velt.E010`, `velt.E011`, "
        '`velt.E110`–`E115`). `USER_FIELDS["userId"]` is also the Velt user id of a '
        "session user (token `sub`, file uploader, private threads); "
        '`USER_FIELDS["organizations"]` is needed for webhook e-mails.',
    )
    USER_ORGANIZATION_SCOPED = Setting(
        False,
        _bool,
        group=USERS,
        doc="Only members of the requested organization are returned or matched "
        "(check `velt.E012`).",
    )
    USER_PROFILE = Setting(
        True,
        _bool,
        group=USERS,
        kind=BOOL,
        check="velt.E113",
        doc="With the Django directory on `AUTH_USER_MODEL`: keep the `User` fields "
        "`USER_FIELDS` maps to no column in velt_django's `VeltUserProfile` model "
        "(see [Users](users.md#user-fields-without-a-column)); `False`: loading a user "
        "with such fields is refused. `True` or `False` (check `velt.E113`).",
    )

    # Velt webhooks
    WEBHOOK_AUTH_TOKEN = Setting(
        None,
        _nonempty_str,
        group=WEBHOOKS,
        kind=OPTIONAL_STRING,
        check="velt.E040",
        doc="Auth token of Velt's basic webhooks (`Authorization: Basic <token>`); "
        "the receiver refuses every delivery (401) until it or "
        "`WEBHOOK_SIGNING_SECRET` is set. See [Webhooks](webhooks.md) (checks "
        "`velt.E040`, `W041`).",
    )
    WEBHOOK_SIGNING_SECRET = Setting(
        None,
        _nonempty_str,
        group=WEBHOOKS,
        doc="Svix signing secret (`whsec_…`) of Velt's advanced webhooks; needs the "
        "`webhooks` extra (checks `velt.E041`, `E042`).",
    )
    WEBHOOK_PRIVATE_KEY = Setting(
        None,
        _private_key,
        group=WEBHOOKS,
        doc="RSA private key (PEM, or base64 DER) whose public key is in Velt's "
        "console, for encrypted deliveries (check `velt.E043`).",
    )
    WEBHOOK_MAX_BODY_SIZE = Setting(
        5 * MiB,
        _int,
        group=WEBHOOKS,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Largest webhook delivery; larger → 413.",
    )
    WEBHOOK_DEDUP_DAYS = Setting(
        7,
        _int,
        group=WEBHOOKS,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Days a delivery id is remembered (TTL index of "
        "`velt_webhook_deliveries`, applied by `velt_ensure_indexes`), so retries are "
        "processed once: longer than Velt's retry schedule (about 28 hours) and its "
        "5-day disabling of a failing endpoint; at least 2 (check `velt.E045`).",
    )
    WEBHOOK_LEASE_SECONDS = Setting(
        60,
        _int,
        group=WEBHOOKS,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Seconds a worker holds a delivery it processes: a copy arriving "
        "meanwhile is answered 409, one arriving after a dead worker's lease expired "
        "takes it over. Longer than `WEBHOOK_EMAIL_BUDGET_SECONDS` (check "
        "`velt.E046`).",
    )
    WEBHOOK_EMAIL_BUDGET_SECONDS = Setting(
        10,
        _int,
        group=WEBHOOKS,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Seconds a delivery may spend before no further built-in e-mail is "
        "started (Velt waits 15 s for the answer); the rest is left to Velt's retry "
        "(503), which sends only those. Under 15 (check `velt.W044`).",
    )
    WEBHOOK_EMAILS = Setting(
        False,
        _is_true,
        group=WEBHOOKS,
        kind=BOOL,
        check="velt.E044",
        doc="Send the built-in notification e-mails (mention, reply, assignment, "
        "status change) with `django.core.mail` from the templates "
        "`velt_django/email/*` (checks `velt.E044`, `W040`, `W042`, `W043`).",
    )
    WEBHOOK_EMAIL_FROM = Setting(
        None,
        _nonempty_str,
        group=WEBHOOKS,
        kind=OPTIONAL_STRING,
        check="velt.E047",
        doc="Their sender; `None` uses `DEFAULT_FROM_EMAIL` (check `velt.E047`).",
    )

    # Files
    ATTACHMENT_STORAGE = Setting(
        "default",
        _str,
        group=FILES,
        doc="Key of Django's `STORAGES` the attachment scope is stored in (checks "
        "`velt.E052`, `W053`).",
    )
    RECORDING_STORAGE = Setting(
        "default",
        _str,
        group=FILES,
        doc="Key of Django's `STORAGES` the recording-file scope is stored in (checks "
        "`velt.E052`, `W053`).",
    )
    ATTACHMENT_MAX_SIZE = Setting(
        25 * MiB,
        _int,
        group=FILES,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Largest attachment; larger → 413, refused unread when `Content-Length` "
        "says so, else while streaming.",
    )
    RECORDING_MAX_SIZE = Setting(
        1024 * MiB,
        _int,
        group=FILES,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Largest recording file; as above.",
    )
    FILE_KEY_PREFIX = Setting(
        "velt/",
        _prefix,
        group=FILES,
        doc="Prefix of every storage key velt_django generates (also where "
        "`velt_sweep_files` looks).",
    )
    FILE_URL_MODE = Setting(
        "private",
        _str,
        group=FILES,
        kind=one_of("private", "public"),
        check="velt.E050",
        doc='`"private"`: stable velt_django URLs that check access, then stream or '
        'redirect; `"public"`: the storage backend\'s own URL, a public bucket or CDN '
        "(checks `velt.E050`, `W050`, `W052`).",
    )
    FILE_ACCESS = Setting(
        ["signature", "session"],
        _string_set,
        group=FILES,
        kind=Kind(
            'a list of "signature" and/or "session"',
            lambda v: _is_string_list(v) and set(v) <= {"signature", "session"},
        ),
        check="velt.E051",
        doc='Proofs the private URL accepts: `"signature"` (a signed URL parameter '
        'bound to the file and its organization) and/or `"session"` (the resolver '
        "authentication plus `ORGANIZATION_ACCESS` for the file's organization); see "
        "[Files](files.md#who-may-open-a-private-url) (checks `velt.E051`, "
        "`velt.E055`).",
    )
    FILE_URL_BASE = Setting(
        None,
        _file_url_base,
        group=FILES,
        kind=Kind(
            "None or an absolute http(s) URL",
            lambda v: (
                v is None
                or (isinstance(v, str) and v.startswith(("https://", "http://")))
            ),
        ),
        check="velt.E053",
        doc='Absolute base of returned URLs, e.g. `"https://app.example.com"`; '
        "`None` uses the request's host (check `velt.E053`).",
    )
    FILE_REDIRECT_SECONDS = Setting(
        300,
        _int,
        group=FILES,
        kind=POSITIVE_INT,
        check="velt.E005",
        doc="Lifetime of the presigned URL the private route redirects to (S3).",
    )
    FILE_ALLOWED_TYPES = Setting(
        [],
        _lower_strings,
        group=FILES,
        kind=STRING_LIST,
        check="velt.E054",
        doc='Upload type allowlist (lower case; `"image/*"` wildcards); empty allows '
        "every type not denied; refused → 415 (check `velt.E054`).",
    )
    FILE_DENIED_TYPES = Setting(
        [],
        _lower_strings,
        group=FILES,
        kind=STRING_LIST,
        check="velt.E054",
        doc='Upload type denylist (`"image/*"` wildcards); refused → 415 (check '
        "`velt.E054`).",
    )
    FILE_INLINE_TYPES = Setting(
        [
            "image/png",
            "image/jpeg",
            "image/gif",
            "image/webp",
            "image/avif",
            "video/*",
            "audio/*",
            "text/plain",
        ],
        _lower_strings,
        group=FILES,
        kind=STRING_LIST,
        check="velt.E054",
        doc="Types the private route lets a browser render; every other type (HTML "
        "and SVG included) is served as an attachment download (checks `velt.E054`, "
        "`velt.W051`).",
    )

    # Velt REST API (the environment fallback of the secrets lives in client.py)
    API_KEY = Setting(
        None,
        _nonempty_str,
        group=REST_API,
        kind=OPTIONAL_STRING,
        check="velt.E033",
        doc="Velt API key for `VeltClient` and the `velt_token`/`velt_check` "
        "commands; unset, the `VELT_API_KEY` environment variable is used (see [Velt "
        "REST client](rest-client.md); check `velt.E033`).",
    )
    AUTH_TOKEN = Setting(
        None,
        _nonempty_str,
        group=REST_API,
        kind=OPTIONAL_STRING,
        check="velt.E033",
        doc="Velt auth token (a secret: keep it out of the repository); unset, "
        "`VELT_AUTH_TOKEN` is used (check `velt.E033`).",
    )
    API_BASE_URL = Setting(
        VELT_API,
        _api_base_url,
        group=REST_API,
        doc="Base URL of Velt's REST API, e.g. a forward proxy's (check `velt.E030`).",
    )
    API_TIMEOUT = Setting(
        10,
        _float,
        group=REST_API,
        kind=POSITIVE_NUMBER,
        check="velt.E031",
        doc="Seconds each REST attempt may take to connect and to answer; a call's "
        "deadline is `API_TIMEOUT × (API_RETRIES + 1)` (check `velt.E031`).",
    )
    API_RETRIES = Setting(
        3,
        _int,
        group=REST_API,
        kind=NON_NEGATIVE_INT,
        check="velt.E032",
        doc="Retries of an idempotent REST call after a connection error, timeout, "
        "429 or 5xx, with exponential backoff (check `velt.E032`).",
    )

    # Velt's Real-time Permission Provider (velt_django.permissions)
    PERMISSION_PROVIDER_TOKEN = Setting(
        None,
        _nonempty_str,
        group=PERMISSION_PROVIDER,
        kind=OPTIONAL_STRING,
        check="velt.E060",
        doc="The auth token entered with the permission provider URL in Velt's "
        "console, sent as `Authorization: Bearer <token>`; `permissions/check` "
        "answers 404 until it is set. See [Permission provider]"
        "(permission-provider.md) (checks `velt.E060`, `E061`, `W060`).",
    )
    PERMISSION_PROVIDER_TTL = Setting(
        600,
        _optional_int,
        group=PERMISSION_PROVIDER,
        kind=OPTIONAL_POSITIVE_INT,
        check="velt.E062",
        doc="Seconds a granted permission lasts when the policy gives no expiry: "
        "`expiresAt` is now plus this, so a change in Django reaches Velt within it; "
        "`None` sends no `expiresAt` (Velt keeps the answer until its own cache "
        "ends) (check `velt.E062`).",
    )
    PERMISSION_PROVIDER_MAX_BATCH = Setting(
        500,
        _int,
        group=PERMISSION_PROVIDER,
        kind=POSITIVE_INT,
        check="velt.E063",
        doc="Most permission questions in one call; more → 413 (check `velt.E063`).",
    )

    # Files: the per-scope keys by scope name
    def storage_alias(self, scope: str) -> str:
        """The ``STORAGES`` key of a file scope (``"attachment"`` or ``"recording"``)."""
        return str(self.get(f"{scope.upper()}_STORAGE"))

    def max_file_size(self, scope: str) -> int:
        return int(self.get(f"{scope.upper()}_MAX_SIZE"))


#: Every declaration, in the order of docs/settings.md.
SETTINGS: tuple[Setting[Any], ...] = tuple(
    value for value in vars(VeltSettings).values() if isinstance(value, Setting)
)

DEFAULTS: dict[str, Any] = {setting.name: setting.default for setting in SETTINGS}

#: Keys holding dotted import paths; resolved objects are cached until VELT changes.
IMPORT_STRINGS = frozenset(
    setting.name
    for setting in SETTINGS
    if setting.kind is not None and setting.kind.imports
)

#: Dotted-path keys that may be ``None`` (feature off).
OPTIONAL_IMPORTS = frozenset(
    setting.name
    for setting in SETTINGS
    if setting.kind is not None and setting.kind.imports and setting.kind.optional
)

#: Integer settings that must be positive.
POSITIVE_INTS = frozenset(
    setting.name for setting in SETTINGS if setting.kind is POSITIVE_INT
)


velt_settings = VeltSettings()


@receiver(setting_changed)
def _reload_velt_settings(*, setting: str, **kwargs: Any) -> None:
    if setting == "VELT":
        velt_settings.clear_cache()
