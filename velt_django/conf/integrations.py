"""The ``VELT`` keys of Velt's REST API and of the permission provider."""

from __future__ import annotations

from .base import (
    NON_NEGATIVE_INT,
    OPTIONAL_POSITIVE_INT,
    OPTIONAL_STRING,
    PERMISSION_PROVIDER,
    POSITIVE_INT,
    POSITIVE_NUMBER,
    REST_API,
    VELT_API,
    Setting,
    _api_base_url,
    _float,
    _int,
    _nonempty_str,
    _optional_int,
)


class IntegrationSettings:
    """How velt_django calls Velt and answers Velt's permission provider."""

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
