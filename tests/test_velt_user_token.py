"""The Velt user token view (``velt:velt-token``): Velt's own user JWT for the signed-in
Django user, from v2/auth/generate_token (mocked with ``responses``). Over HTTP with
Django's test client, CSRF checks enforced."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils.crypto import get_random_string

from .urls_browser import use_cookie_mode

URL = "https://api.velt.dev/v2/auth/generate_token"
KEY = "velt-key-5b17"
SECRET = "velt-auth-token-3f2a"
PAGE = "https://app.example.com"
FOREIGN = "https://evil.example.net"
CSRF = get_random_string(32)

pytestmark = pytest.mark.django_db


def answer(token: str) -> dict[str, Any]:
    return {"result": {"status": "success", "data": {"token": token}}}


@pytest.fixture
def enabled(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("VELT_API_KEY", raising=False)
    monkeypatch.delenv("VELT_AUTH_TOKEN", raising=False)
    use_cookie_mode(
        settings,
        PAGE,
        USER_TOKEN_VIEW=True,
        API_KEY=KEY,
        AUTH_TOKEN=SECRET,
        API_RETRIES=0,
    )
    return settings


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def alice(enabled: Any, api: responses.RequestsMock) -> Client:
    """Alice's browser, Velt's API answering one token request (``velt-jwt``)."""
    api.post(URL, json=answer("velt-jwt"))
    return browser("alice")


def browser(username: str) -> Client:
    """A client signed in as ``username`` (see ``MEMBERSHIPS``) with a CSRF cookie."""
    user, _ = get_user_model().objects.get_or_create(
        username=username,
        defaults={
            "first_name": username.title(),
            "last_name": "Example",
            "email": f"{username}@example.com",
        },
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies["csrftoken"] = CSRF
    return client


def mint(client: Client, body: Any = None, **headers: Any) -> Any:
    headers.setdefault("HTTP_X_CSRFTOKEN", CSRF)
    # No body (the SDK's authProvider needs none) or a JSON one.
    return client.post(
        reverse("velt:velt-token"),
        "" if body is None else json.dumps(body),
        content_type="application/json",
        **headers,
    )


def sent(api: responses.RequestsMock, index: int = 0) -> Any:
    body = api.calls[index].request.body
    assert body is not None
    return json.loads(body)["data"]


def assert_envelope(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    assert body["success"] is False and body["statusCode"] == status
    assert body["errorCode"] == code
    assert "token" not in body
    return body


def test_token_for_the_signed_in_user(
    enabled: Any, api: responses.RequestsMock
) -> None:
    api.post(URL, json=answer("velt-jwt-alice"))
    response = mint(browser("alice"))
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "token": "velt-jwt-alice",
        "user": {
            "userId": "alice",
            "organizationId": "acme",
            "name": "Alice Example",
            "email": "alice@example.com",
        },
    }
    assert sent(api) == {
        "userId": "alice",
        "userProperties": {"name": "Alice Example", "email": "alice@example.com"},
        "permissions": {"resources": [{"type": "organization", "id": "acme"}]},
    }
    request = api.calls[0].request
    assert request.headers["x-velt-api-key"] == KEY
    assert request.headers["x-velt-auth-token"] == SECRET


def test_the_secrets_never_reach_the_browser_or_the_logs(
    enabled: Any, api: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    api.post(URL, json=answer("velt-jwt-alice"))
    api.post(URL, status=500, json={"error": {"message": f"bad {KEY}"}})
    caplog.set_level(logging.DEBUG)
    client = browser("alice")
    answers = [mint(client), mint(client)]
    assert [a.status_code for a in answers] == [200, 502]
    for response in answers:
        text = response.content.decode() + str(response.headers)
        assert KEY not in text and SECRET not in text
    assert KEY not in caplog.text and SECRET not in caplog.text
    assert "alice@example.com" not in caplog.text and "Alice" not in caplog.text


def test_two_users_in_sequence_get_their_own_tokens(
    enabled: Any, api: responses.RequestsMock
) -> None:
    api.post(URL, json=answer("velt-jwt-1"))
    api.post(URL, json=answer("velt-jwt-2"))
    alice, bob = browser("alice"), browser("bob")
    first = mint(alice).json()
    second = mint(bob).json()
    assert first["token"] == "velt-jwt-1" and first["user"]["userId"] == "alice"
    assert second["token"] == "velt-jwt-2" and second["user"]["userId"] == "bob"
    assert second["user"]["organizationId"] == "globex"
    assert [sent(api, i)["userId"] for i in range(2)] == ["alice", "bob"]
    assert sent(api, 1)["permissions"]["resources"] == [
        {"type": "organization", "id": "globex"}
    ]


def test_every_call_asks_velt_again(enabled: Any, api: responses.RequestsMock) -> None:
    api.post(URL, json=answer("velt-jwt-1"))
    api.post(URL, json=answer("velt-jwt-2"))
    client = browser("alice")
    assert [mint(client).json()["token"] for _ in range(2)] == [
        "velt-jwt-1",
        "velt-jwt-2",
    ]
    assert len(api.calls) == 2


def test_the_requested_organization_must_be_the_users(
    alice: Client, api: responses.RequestsMock
) -> None:
    response = mint(alice, {"organizationId": "acme"})
    assert response.status_code == 200, response.content
    assert response.json()["user"]["organizationId"] == "acme"
    assert_envelope(mint(alice, {"organizationId": "globex"}), 403, "FORBIDDEN")
    assert len(api.calls) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"userId": "bob"},
        {"userId": "bob", "organizationId": "acme"},
        {"user": {"userId": "bob"}},
        {"organizationId": ""},
        {"organizationId": 7},
        {"organizationId": {"$ne": None}},
        ["acme"],
    ],
    ids=str,
)
def test_a_body_naming_anything_else_is_refused(
    enabled: Any, api: responses.RequestsMock, body: Any
) -> None:
    assert_envelope(mint(browser("alice"), body), 400, "INVALID_INPUT")
    assert len(api.calls) == 0


def test_a_form_body_is_415(enabled: Any, api: responses.RequestsMock) -> None:
    response = browser("alice").post(
        reverse("velt:velt-token"),
        {"organizationId": "acme"},
        HTTP_X_CSRFTOKEN=CSRF,
    )
    assert_envelope(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_malformed_json_is_400(enabled: Any, api: responses.RequestsMock) -> None:
    response = browser("alice").post(
        reverse("velt:velt-token"),
        "{not json",
        content_type="application/json",
        HTTP_X_CSRFTOKEN=CSRF,
    )
    assert_envelope(response, 400, "INVALID_INPUT")


def test_an_oversized_body_is_413(enabled: Any, api: responses.RequestsMock) -> None:
    body = {"organizationId": "a" * 5000}
    assert_envelope(mint(browser("alice"), body), 413, "PAYLOAD_TOO_LARGE")


def test_a_user_without_organizations_is_refused(
    enabled: Any, api: responses.RequestsMock
) -> None:
    user = get_user_model().objects.create(username="mallory")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies["csrftoken"] = CSRF
    assert_envelope(mint(client), 403, "FORBIDDEN")
    assert len(api.calls) == 0


def test_signed_out_is_403(enabled: Any, api: responses.RequestsMock) -> None:
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = CSRF
    assert_envelope(mint(client), 403, "UNAUTHENTICATED")
    assert_envelope(Client().post(reverse("velt:velt-token")), 403, "UNAUTHENTICATED")
    assert len(api.calls) == 0


def test_without_the_csrf_token_is_403(
    enabled: Any, api: responses.RequestsMock
) -> None:
    client = browser("alice")
    assert_envelope(mint(client, HTTP_X_CSRFTOKEN=""), 403, "FORBIDDEN")
    wrong = get_random_string(32)
    assert_envelope(mint(client, HTTP_X_CSRFTOKEN=wrong), 403, "FORBIDDEN")
    assert len(api.calls) == 0


def test_cross_origin_with_the_session_is_refused(
    enabled: Any, api: responses.RequestsMock
) -> None:
    response = mint(browser("alice"), HTTP_ORIGIN=FOREIGN)
    assert_envelope(response, 403, "FORBIDDEN")
    assert "Access-Control-Allow-Origin" not in response
    assert len(api.calls) == 0


def test_an_origin_trusted_by_csrf_alone_is_refused(
    enabled: Any, api: responses.RequestsMock
) -> None:
    # Django's CSRF check would let this origin through; the CORS allowlist does not.
    enabled.CSRF_TRUSTED_ORIGINS = [PAGE, FOREIGN]
    response = mint(browser("alice"), HTTP_ORIGIN=FOREIGN)
    body = assert_envelope(response, 403, "FORBIDDEN")
    assert body["message"] == "Origin not allowed."
    assert len(api.calls) == 0


def test_the_allowed_origin_gets_cors_headers(
    alice: Client, api: responses.RequestsMock
) -> None:
    preflight = alice.options(
        reverse("velt:velt-token"),
        HTTP_ORIGIN=PAGE,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,x-csrftoken",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == PAGE
    assert "X-CSRFToken" in preflight["Access-Control-Allow-Headers"]
    response = mint(alice, HTTP_ORIGIN=PAGE, HTTP_REFERER=f"{PAGE}/")
    assert response.status_code == 200, response.content
    assert response["Access-Control-Allow-Origin"] == PAGE
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in response["Vary"]
    assert len(api.calls) == 1


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_other_methods_are_405(
    enabled: Any, api: responses.RequestsMock, method: str
) -> None:
    client = browser("alice")
    response = getattr(client, method)(
        reverse("velt:velt-token"), HTTP_X_CSRFTOKEN=CSRF
    )
    assert_envelope(response, 405, "METHOD_NOT_ALLOWED")
    assert len(api.calls) == 0


def test_disabled_is_404(enabled: Any, api: responses.RequestsMock) -> None:
    enabled.VELT = {**enabled.VELT, "USER_TOKEN_VIEW": False}
    assert_envelope(mint(browser("alice")), 404, "NOT_FOUND")
    velt = dict(enabled.VELT)
    del velt["USER_TOKEN_VIEW"]
    enabled.VELT = velt
    assert_envelope(mint(browser("alice")), 404, "NOT_FOUND")
    assert len(api.calls) == 0


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 400, "json": {"error": {"status": "INVALID_ARGUMENT"}}},
        {"status": 401, "json": {"error": {"message": "bad auth token"}}},
        {"status": 429, "json": {}},
        {"status": 500, "body": "<html>Internal error for alice@example.com</html>"},
        {"status": 503, "json": {"error": {"message": "try later"}}},
        {"status": 200, "json": {"result": {"status": "success", "data": {}}}},
        {"status": 200, "json": {"result": {"data": {"token": ""}}}},
        {"status": 200, "json": ["not", "an", "object"]},
        {"status": 200, "body": "not json"},
        {"status": 200, "json": {"error": {"message": "quota"}}},
        {"body": requests.exceptions.ReadTimeout("timed out")},
        {"body": requests.exceptions.ConnectionError("refused")},
    ],
    ids=lambda failure: str(failure.get("status", type(failure.get("body")).__name__)),
)
def test_a_failure_of_velts_api_is_502(
    enabled: Any, api: responses.RequestsMock, failure: dict[str, Any]
) -> None:
    api.post(URL, **failure)
    body = assert_envelope(mint(browser("alice")), 502, "VELT_API_ERROR")
    assert body["veltStatus"] == failure.get("status")
    # Velt's own message is never passed on (it can quote the request).
    text = json.dumps(body)
    assert "alice@example.com" not in text and "quota" not in text
    assert "bad auth token" not in text and "INVALID_ARGUMENT" not in text


def test_missing_credentials_are_a_configuration_error(
    enabled: Any, api: responses.RequestsMock
) -> None:
    velt = dict(enabled.VELT)
    del velt["API_KEY"]
    enabled.VELT = velt
    assert_envelope(mint(browser("alice")), 500, "INTERNAL_ERROR")
    assert len(api.calls) == 0
