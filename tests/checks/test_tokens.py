"""System checks of ``VELT["RESOLVER_TOKEN"]`` (velt_django/tokens/checks.py): the exact
IDs each configuration produces."""

from __future__ import annotations

from typing import Any

import pytest

from velt_django.checks import check_settings

SECRET = "a-test-only-resolver-secret-" + "x" * 40
TOKEN_CLASS = "velt_django.authentication.ResolverTokenAuthentication"


GOOD = {
    "MONGODB_URI": "mongodb://localhost:27017",
    "ORGANIZATION_ACCESS": "velt_django.access.velt_orgs_claim",
}


def _ids(settings: Any, token: Any, **velt: Any) -> list[str]:
    settings.VELT = {**GOOD, "RESOLVER_TOKEN": token, **velt}
    return [m.id for m in check_settings() if m.id and m.id.startswith("velt.")]


def test_checks_good_token_settings_pass(
    settings: Any, rsa_pem: tuple[bytes, str]
) -> None:
    assert (
        _ids(settings, {"SECRET": SECRET}, AUTHENTICATION_CLASSES=[TOKEN_CLASS]) == []
    )
    assert _ids(settings, {"SECRET": SECRET, "MAX_TTL": 600}) == []
    assert _ids(settings, {"SECRET": SECRET, "TTL": 60, "MAX_TTL": 120}) == []
    public = {"PUBLIC_KEY": rsa_pem[1], "ALGORITHMS": ["RS256", "ES256"]}
    assert _ids(settings, public) == []
    jwks = {"JWKS_URL": "https://id.example/jwks.json", "ALGORITHMS": ["RS256"]}
    assert _ids(settings, jwks) == []


def test_checks_token_class_without_key_is_e020(settings: Any) -> None:
    assert _ids(settings, {}, AUTHENTICATION_CLASSES=[TOKEN_CLASS]) == ["velt.E020"]


def test_checks_default_classes_without_key_pass(settings: Any) -> None:
    assert _ids(settings, {}) == []


@pytest.mark.parametrize(
    ("algorithms", "expected"),
    [
        ([], "velt.E021"),
        ("HS256", "velt.E021"),
        (["none"], "velt.E026"),
        (["HS256", "none"], "velt.E026"),
        (["XS999"], "velt.E027"),
        (["HS256", "RS256"], "velt.E028"),
    ],
    ids=str,
)
def test_checks_bad_algorithm_allowlist(
    settings: Any, algorithms: Any, expected: str
) -> None:
    assert _ids(settings, {"SECRET": SECRET, "ALGORITHMS": algorithms}) == [expected]


def test_checks_pem_in_secret_slot_is_e029(
    settings: Any, rsa_pem: tuple[bytes, str]
) -> None:
    assert _ids(settings, {"SECRET": rsa_pem[1]}) == ["velt.E029"]


def test_checks_secret_not_a_string_is_e120(settings: Any) -> None:
    assert _ids(settings, {"SECRET": 12345}) == ["velt.E120"]


def test_checks_key_and_algorithm_family_mismatch(
    settings: Any, rsa_pem: tuple[bytes, str]
) -> None:
    assert _ids(settings, {"SECRET": SECRET, "ALGORITHMS": ["RS256"]}) == ["velt.E121"]
    assert _ids(settings, {"PUBLIC_KEY": rsa_pem[1]}) == ["velt.E122"]
    both = {"SECRET": SECRET, "JWKS_URL": "https://id.example/jwks.json"}
    assert "velt.E022" in _ids(settings, both)


@pytest.mark.parametrize(
    "url", ["http://id.example/jwks.json", "ftp://id.example/jwks", "file:///etc/jwks"]
)
def test_checks_jwks_url_not_https_is_e023(settings: Any, url: str) -> None:
    assert _ids(settings, {"JWKS_URL": url, "ALGORITHMS": ["RS256"]}) == ["velt.E023"]


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("not a dict", "velt.E024"),
        ({"SECRET": SECRET, "TYPO": 1}, "velt.E123"),
        ({"SECRET": SECRET, "LEEWAY": -1}, "velt.E124"),
        ({"SECRET": SECRET, "TTL": 0}, "velt.E124"),
        ({"SECRET": SECRET, "JWKS_CACHE_LIFETIME": True}, "velt.E124"),
        ({"SECRET": SECRET, "REQUIRE_EXP": "yes"}, "velt.E126"),
    ],
    ids=str,
)
def test_checks_malformed_token_settings(
    settings: Any, token: Any, expected: str
) -> None:
    assert _ids(settings, token) == [expected]


@pytest.mark.parametrize(
    "token",
    [
        {"MAX_TTL": 0},
        {"MAX_TTL": "3600"},
        {"MAX_TTL": True},
        {"MAX_TTL": 300},  # shorter than the default TTL of 600
        {"TTL": 120, "MAX_TTL": 60},
    ],
    ids=str,
)
def test_checks_bad_max_ttl_is_e125(settings: Any, token: Any) -> None:
    settings.VELT = {**GOOD, "RESOLVER_TOKEN": {"SECRET": SECRET, **token}}
    messages = [m for m in check_settings() if m.id and m.id.startswith("velt.")]
    assert [m.id for m in messages] == ["velt.E125"]
    assert 'VELT["RESOLVER_TOKEN"]["MAX_TTL"] must be' in messages[0].msg


def test_checks_asymmetric_without_cryptography_is_e025(
    settings: Any, monkeypatch: pytest.MonkeyPatch, rsa_pem: tuple[bytes, str]
) -> None:
    monkeypatch.setattr("velt_django.tokens.checks.has_crypto", False)
    token = {"PUBLIC_KEY": rsa_pem[1], "ALGORITHMS": ["RS256"]}
    assert _ids(settings, token) == ["velt.E025"]


def test_checks_short_secret_is_w020(settings: Any) -> None:
    assert _ids(settings, {"SECRET": "short"}) == ["velt.W020"]
