"""The ``VELT`` keys of authentication, authorization, CORS and the user directory."""

from __future__ import annotations

from .base import (
    BOOL,
    CORS,
    DOTTED_PATH,
    DOTTED_PATH_LIST,
    OPTIONAL_DOTTED_PATH,
    POSITIVE_INT,
    SECURITY,
    USERS,
    Kind,
    Setting,
    _bool,
    _class,
    _classes,
    _dict,
    _int,
    _is_true,
    _nonempty_str,
    _organization_access,
    _rate,
    _read_filter,
    _string_set,
    _strings,
    _token_organizations,
    _truthy_str,
    _user_fields,
)
from .keys import TOKEN_KEYS, USER_FIELD_KEYS


class SecuritySettings:
    """Who may call the resolvers, from where, and where users are read."""

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
