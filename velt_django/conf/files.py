"""The ``VELT`` keys of webhooks and of attachment and recording files."""

from __future__ import annotations

from .base import (
    BOOL,
    FILES,
    OPTIONAL_STRING,
    POSITIVE_INT,
    STRING_LIST,
    WEBHOOKS,
    Kind,
    MiB,
    Setting,
    _file_url_base,
    _int,
    _is_string_list,
    _is_true,
    _lower_strings,
    _nonempty_str,
    _prefix,
    _private_key,
    _str,
    _string_set,
    one_of,
)


class FileSettings:
    """Webhooks received from Velt and the files velt_django stores."""

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
