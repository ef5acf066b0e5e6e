"""Minting resolver tokens: mint_token, the token view (session), the command, JWKS."""

from __future__ import annotations

import json
import time
from io import StringIO
from typing import Any

import jwt
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from velt_django.exceptions import VeltConfigurationError
from velt_django.tokens import mint_token

from .contracts import (
    TransportAuthContract,
    TransportMethodContract,
    TransportPreflightContract,
)

SECRET = "tokens-test-secret-" + "z" * 48
ORG = "acme-corp"
TOKEN_CLASS = "velt_django.authentication.ResolverTokenAuthentication"

pytestmark = pytest.mark.django_db


def organizations_of(user: Any) -> list[str]:
    """The TOKEN_ORGANIZATIONS callable of these tests."""
    return [ORG] if user.username == "alice" else ["other-org"]


@pytest.fixture
def token_settings(settings: Any) -> Any:
    settings.VELT = {
        **settings.VELT,
        "AUTHENTICATION_CLASSES": [TOKEN_CLASS],
        "RESOLVER_TOKEN": {"SECRET": SECRET, "ISSUER": "https://app.example"},
        "TOKEN_ORGANIZATIONS": "tests.test_tokens.organizations_of",
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ]
    return settings


def _get_comments(client: Client, token: str) -> Any:
    return client.post(
        "/velt/comments/get",
        json.dumps({"organizationId": ORG}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_mint_token_claims(token_settings: Any) -> None:
    token = mint_token("u1", [ORG, "b"], ttl=120, role="editor")
    claims = jwt.decode(
        token, SECRET, algorithms=["HS256"], issuer="https://app.example"
    )
    assert claims["sub"] == "u1" and claims["velt_orgs"] == [ORG, "b"]
    assert claims["exp"] - claims["iat"] == 120 and claims["role"] == "editor"


def test_mint_token_default_ttl_is_ten_minutes(token_settings: Any) -> None:
    claims = jwt.decode(
        mint_token("u1", [ORG]),
        SECRET,
        algorithms=["HS256"],
        issuer="https://app.example",
    )
    assert claims["exp"] - claims["iat"] == 600


def test_mint_token_without_key_raises(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "RESOLVER_TOKEN": {}}
    with pytest.raises(VeltConfigurationError):
        mint_token("u1", [ORG])


def test_mint_token_refuses_a_string_of_organizations(token_settings: Any) -> None:
    with pytest.raises(TypeError):
        mint_token("u1", ORG)


def test_mint_token_refuses_a_ttl_above_max_ttl(token_settings: Any) -> None:
    token_settings.VELT = {
        **token_settings.VELT,
        "RESOLVER_TOKEN": {"SECRET": SECRET, "MAX_TTL": 900},
    }
    assert mint_token("u1", [ORG], ttl=900)
    with pytest.raises(ValueError, match="MAX_TTL"):
        mint_token("u1", [ORG], ttl=901)


def test_mint_token_is_accepted_by_an_endpoint(
    token_settings: Any, mongo_db: Any
) -> None:
    response = _get_comments(Client(), mint_token("u1", [ORG]))
    assert response.status_code == 200, response.content


# --- the token view -----------------------------------------------------------------


def _login(username: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    user = get_user_model().objects.create_user(username=username, password="pw")
    client.force_login(user)
    return client


def _csrf(client: Client) -> str:
    # The token view itself is a GET that needs no CSRF; fetch a CSRF cookie the
    # Django way: the signed-in page would render {% csrf_token %}.
    from django.middleware.csrf import (  # type: ignore[attr-defined]
        _get_new_csrf_string,
        _mask_cipher_secret,
    )

    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    return str(_mask_cipher_secret(secret))


def test_token_view_round_trip(token_settings: Any, mongo_db: Any) -> None:
    client = _login("alice")
    response = client.post(reverse("velt:token"), HTTP_X_CSRFTOKEN=_csrf(client))
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert abs(body["expiresAt"] - (time.time() + 600) * 1000) < 5000
    assert _get_comments(Client(), body["token"]).status_code == 200


def test_token_view_get(token_settings: Any, mongo_db: Any) -> None:
    client = _login("alice")
    token = client.get(reverse("velt:token")).json()["token"]
    assert _get_comments(Client(), token).status_code == 200


def test_token_view_organizations_come_from_the_callable(
    token_settings: Any, mongo_db: Any
) -> None:
    client = _login("bob")
    token = client.get(reverse("velt:token")).json()["token"]
    response = _get_comments(Client(), token)
    assert response.status_code == 403 and response.json()["errorCode"] == "FORBIDDEN"


def test_token_view_post_without_csrf_is_403(token_settings: Any) -> None:
    client = _login("alice")
    response = client.post(reverse("velt:token"))
    assert response.status_code == 403
    assert response.json()["errorCode"] == "FORBIDDEN"


class TestTokenViewTransport(
    TransportAuthContract, TransportMethodContract, TransportPreflightContract
):
    """The token view answers GET and POST; it authenticates before it looks at the
    method, and a cross-origin page calls it with its session cookie."""

    path = "token"
    other_methods = ("put", "patch", "delete")
    method_checked_before_credential = False
    preflight_headers = ("x-csrftoken",)
    cors_credentials = True

    @pytest.fixture(autouse=True)
    def _enabled(self, token_settings: Any) -> None:
        """The view is enabled (``TOKEN_ORGANIZATIONS``) for every test."""

    def credential(self, client: Client) -> dict[str, Any]:
        user = get_user_model().objects.create_user(username="alice", password="pw")
        client.force_login(user)
        return {}

    def send(self, client: Client, headers: dict[str, Any]) -> Any:
        return client.post(reverse("velt:token"), **headers)

    def assert_not_processed(self, response: Any) -> None:
        assert "token" not in response.json()


def test_token_view_is_404_until_enabled(token_settings: Any) -> None:
    velt = dict(token_settings.VELT)
    del velt["TOKEN_ORGANIZATIONS"]
    token_settings.VELT = velt
    client = _login("alice")
    response = client.get(reverse("velt:token"))
    assert response.status_code == 404 and response.json()["errorCode"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "token",
    [
        {"ISSUER": "https://app.example"},
        {"SECRET": "", "ISSUER": "https://app.example"},
        {"ALGORITHMS": ["RS256"], "SECRET": SECRET},
        {"ALGORITHMS": [], "SECRET": SECRET},
    ],
    ids=["no-key", "empty-secret", "rs256-without-private-key", "no-algorithm"],
)
def test_token_view_is_404_without_a_key_to_sign_with(
    token_settings: Any, token: dict[str, Any]
) -> None:
    """``TOKEN_ORGANIZATIONS`` set for the Velt user token view alone (the example
    project with a Velt API key and no resolver token secret): ``/token`` is not
    enabled, rather than failing with 500 on every call."""
    token_settings.VELT = {**token_settings.VELT, "RESOLVER_TOKEN": token}
    client = _login("alice")
    response = client.post(reverse("velt:token"), HTTP_X_CSRFTOKEN=_csrf(client))
    assert response.status_code == 404, response.content
    assert response.json()["errorCode"] == "NOT_FOUND"
    assert "token" not in response.json()


def test_token_view_does_not_mint_above_max_ttl(
    token_settings: Any, mongo_db: Any
) -> None:
    # TTL (600) above MAX_TTL is velt.E125; if the check is silenced, nothing is minted.
    token_settings.VELT = {
        **token_settings.VELT,
        "RESOLVER_TOKEN": {"SECRET": SECRET, "MAX_TTL": 300},
    }
    response = _login("alice").get(reverse("velt:token"))
    assert response.status_code == 500
    body = response.json()
    assert body["errorCode"] == "INTERNAL_ERROR" and "token" not in body


def test_token_view_refused_tokens_keep_their_codes(
    token_settings: Any, mongo_db: Any
) -> None:
    client = _login("alice")
    token = client.get(reverse("velt:token")).json()["token"]
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    assert _get_comments(Client(), tampered).json()["authErrorCode"] == (
        "INVALID_SIGNATURE"
    )
    token_settings.VELT = {
        **token_settings.VELT,
        "RESOLVER_TOKEN": {"SECRET": SECRET, "AUDIENCE": "velt"},
    }
    assert _get_comments(Client(), token).json()["authErrorCode"] == "CLAIM_MISMATCH"
    token_settings.VELT = {
        **token_settings.VELT,
        "RESOLVER_TOKEN": {"SECRET": SECRET, "ALGORITHMS": ["HS512"]},
    }
    assert _get_comments(Client(), token).json()["authErrorCode"] == (
        "ALGORITHM_NOT_ALLOWED"
    )


# --- the command --------------------------------------------------------------------


def _command(*args: str) -> str:
    out = StringIO()
    call_command("velt_resolver_token", *args, stdout=out)
    return out.getvalue()


def test_command_prints_the_token_last(token_settings: Any, mongo_db: Any) -> None:
    output = _command("--user", "u1", "--organization", ORG, "--organization", "b")
    token = output.strip().splitlines()[-1]
    claims = jwt.decode(
        token, SECRET, algorithms=["HS256"], issuer="https://app.example"
    )
    assert claims["velt_orgs"] == [ORG, "b"] and claims["sub"] == "u1"
    assert _get_comments(Client(), token).status_code == 200


def test_command_ttl_and_expired_token(token_settings: Any, mongo_db: Any) -> None:
    token_settings.VELT = {
        **token_settings.VELT,
        "RESOLVER_TOKEN": {"SECRET": SECRET, "LEEWAY": 0},
    }
    token = _command("--user", "u1", "--organization", ORG, "--ttl", "1")
    token = token.strip().splitlines()[-1]
    assert _get_comments(Client(), token).status_code == 200
    time.sleep(2.1)
    assert _get_comments(Client(), token).json()["authErrorCode"] == "EXPIRED"


def test_command_without_key_fails(settings: Any) -> None:
    with pytest.raises(CommandError, match="SECRET"):
        _command("--user", "u1", "--organization", ORG)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "", "--organization", ORG], "--user must not be empty"),
        (["--user", "  ", "--organization", ORG], "--user must not be empty"),
        (["--user", "u1", "--organization", ""], "--organization must not be empty"),
        (
            ["--user", "u1", "--organization", ORG, "--organization", " "],
            "--organization must not be empty",
        ),
    ],
)
def test_command_refuses_empty_user_or_organization(
    token_settings: Any, args: list[str], message: str
) -> None:
    out = StringIO()
    with pytest.raises(CommandError, match=message):
        call_command("velt_resolver_token", *args, stdout=out)
    assert out.getvalue() == ""  # no token printed


def test_command_strips_user_and_organizations(
    token_settings: Any, mongo_db: Any
) -> None:
    token = _command("--user", " u1 ", "--organization", f" {ORG} ")
    claims = jwt.decode(
        token.strip().splitlines()[-1],
        SECRET,
        algorithms=["HS256"],
        issuer="https://app.example",
    )
    assert (claims["sub"], claims["velt_orgs"]) == ("u1", [ORG])


def test_command_rejects_bad_ttl(token_settings: Any) -> None:
    with pytest.raises(CommandError, match="ttl"):
        _command("--user", "u1", "--organization", ORG, "--ttl", "0")


def test_command_refuses_a_ttl_above_max_ttl(token_settings: Any) -> None:
    token_settings.VELT = {
        **token_settings.VELT,
        "RESOLVER_TOKEN": {"SECRET": SECRET, "MAX_TTL": 3600},
    }
    with pytest.raises(CommandError, match="MAX_TTL"):
        _command("--user", "u1", "--organization", ORG, "--ttl", "86400")
    token = _command("--user", "u1", "--organization", ORG, "--ttl", "3600")
    assert token.strip().splitlines()[-1].count(".") == 2


PAGE = "https://app.example.com"


def test_token_view_cross_origin_post_repeats_the_allowed_origin(
    token_settings: Any,
) -> None:
    token_settings.VELT = {
        **token_settings.VELT,
        "CORS_ALLOWED_ORIGINS": [PAGE],
        "CORS_ALLOW_CREDENTIALS": True,
    }
    token_settings.CSRF_TRUSTED_ORIGINS = [PAGE]
    client = _login("alice")
    response = client.post(
        reverse("velt:token"), HTTP_X_CSRFTOKEN=_csrf(client), HTTP_ORIGIN=PAGE
    )
    assert response.status_code == 200, response.content
    assert response["Access-Control-Allow-Origin"] == PAGE
    assert "token" in response.json()


def test_token_view_refuses_a_session_from_a_disallowed_origin(
    token_settings: Any,
) -> None:
    client = _login("alice")
    response = client.get(reverse("velt:token"), HTTP_ORIGIN="https://evil.example.net")
    assert response.status_code == 403
    assert response.json()["errorCode"] == "FORBIDDEN"
    assert "token" not in response.json()
    assert "Access-Control-Allow-Origin" not in response
