"""The keys of the dict-valued settings ``RESOLVER_TOKEN`` and ``USER_FIELDS``."""

from __future__ import annotations

from .base import ABSENT, BOOL, NON_NEGATIVE_INT, POSITIVE_INT, Key

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
