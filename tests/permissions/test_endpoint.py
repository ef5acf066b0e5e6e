"""``permissions/check`` as Velt's servers call it: off until a token is set, only
``POST`` with the bearer token (checked before the body is read), never opened by a
resolver credential, no CORS headers, answers in request order."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core.handlers.wsgi import LimitedStream
from django.test import Client

from ..auth import principal
from ..urls_browser import COOKIE_MODE_SETTINGS
from .helpers import (
    ACME,
    GLOBEX,
    PATH,
    TOKEN,
    answers,
    batch,
    configure,
    failure,
    granted,
    post,
    question,
    user,
)

pytestmark = pytest.mark.django_db

SAMPLE = batch(question("ann", "organization", ACME, source="identify"))


@pytest.fixture
def on(settings: Any) -> None:
    configure(settings)
    user("ann", ACME)


def test_off_until_a_token_is_set(client: Client) -> None:
    failure(post(client, SAMPLE), 404, "NOT_FOUND")
    failure(client.get(PATH), 404, "NOT_FOUND")


def test_right_token_answers(on: None, client: Client) -> None:
    response = post(client, SAMPLE)
    assert answers(response)[0]["hasAccess"] is True
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer"},
        {"HTTP_AUTHORIZATION": "Bearer wrong-token"},
        {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}x"},
        {"HTTP_AUTHORIZATION": f"Bearer {TOKEN[:-1]}"},
        {"HTTP_AUTHORIZATION": f"Basic {TOKEN}"},
        {"HTTP_AUTHORIZATION": TOKEN},
    ],
    ids=["missing", "empty", "wrong", "longer", "shorter", "basic", "no-scheme"],
)
def test_missing_or_wrong_token_is_401(
    on: None, client: Client, headers: dict[str, str]
) -> None:
    response = post(client, SAMPLE, token=None, **headers)
    body = failure(response, 401, "UNAUTHENTICATED")
    assert TOKEN not in response.content.decode()
    assert "Bearer" in response["WWW-Authenticate"]
    assert "data" not in body


def test_scheme_is_case_insensitive(on: None, client: Client) -> None:
    assert granted(post(client, SAMPLE, scheme="bearer")) == [True]


def test_wrong_token_is_refused_before_the_body_is_read(
    on: None, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not JSON, and declared larger than any limit: reading it would answer 400 or 413.
    read: list[int] = []
    stream_read = LimitedStream.read

    def spy(self: Any, *args: Any) -> Any:
        read.append(1)
        return stream_read(self, *args)

    monkeypatch.setattr(LimitedStream, "read", spy)
    response = post(client, b"{not json" * 1000, token="wrong")
    failure(response, 401, "UNAUTHENTICATED")
    response = post(client, b"{not json", token="wrong", CONTENT_LENGTH=str(10**12))
    failure(response, 401, "UNAUTHENTICATED")
    assert read == []


def test_token_only_with_a_body_that_would_be_invalid(on: None, client: Client) -> None:
    failure(post(client, b"{not json", token="wrong"), 401, "UNAUTHENTICATED")
    failure(post(client, b"{not json"), 400, "INVALID_INPUT")


def test_resolver_credentials_do_not_open_it(
    on: None, client: Client, settings: Any
) -> None:
    settings.VELT = {
        **settings.VELT,
        "INSECURE_SHARED_SECRET": "shared",
        "ALLOW_INSECURE_SHARED_SECRET": True,
    }
    failure(
        post(client, SAMPLE, token=None, **principal("ann", ACME)),
        401,
        "UNAUTHENTICATED",
    )
    failure(
        post(client, SAMPLE, token=None, HTTP_X_VELT_SHARED_SECRET="shared"),
        401,
        "UNAUTHENTICATED",
    )
    # A signed-in session (cookie mode's middleware) is no credential here either.
    settings.MIDDLEWARE = COOKIE_MODE_SETTINGS["MIDDLEWARE"]
    settings.SESSION_ENGINE = COOKIE_MODE_SETTINGS["SESSION_ENGINE"]
    client.force_login(user("staff", ACME, GLOBEX))
    assert client.cookies
    failure(post(client, SAMPLE, token=None), 401, "UNAUTHENTICATED")


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch", "options"])
def test_only_post(on: None, client: Client, method: str) -> None:
    response = getattr(client, method)(PATH, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    failure(response, 405, "METHOD_NOT_ALLOWED")


def test_no_cors_headers_and_no_csrf(on: None, settings: Any) -> None:
    settings.VELT = {**settings.VELT, "CORS_ALLOWED_ORIGINS": ["https://app.example"]}
    strict = Client(enforce_csrf_checks=True)
    response = post(strict, SAMPLE, HTTP_ORIGIN="https://app.example")
    assert granted(response) == [True]
    assert not [h for h in response.headers if h.lower().startswith("access-control")]
    preflight = strict.options(
        PATH,
        HTTP_ORIGIN="https://app.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert preflight.status_code == 405
    assert not [h for h in preflight.headers if h.lower().startswith("access-control")]


def test_trailing_slash_routes_too(on: None, client: Client) -> None:
    response = client.post(
        PATH + "/",
        SAMPLE,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
    )
    assert answers(response)[0]["hasAccess"] is True


def test_answers_in_request_order_with_ids_echoed(on: None, client: Client) -> None:
    questions = [
        question("ann", "organization", GLOBEX, GLOBEX, source="getNotifications"),
        question("ann", "document", "spec-q3", parentFolderId="reviews"),
        question("ann", "folder", "reviews"),
        question("ann", "organization", ACME, source="revokeAccessOnUserLogout"),
    ]
    results = answers(post(client, batch(*questions)))
    assert [
        (r["userId"], r["resourceId"], r["type"], r["organizationId"]) for r in results
    ] == [
        ("ann", GLOBEX, "organization", GLOBEX),
        ("ann", "spec-q3", "document", ACME),
        ("ann", "reviews", "folder", ACME),
        ("ann", ACME, "organization", ACME),
    ]
    assert [r["hasAccess"] for r in results] == [False, True, True, True]


def test_empty_batch_answers_empty(on: None, client: Client) -> None:
    assert answers(post(client, batch())) == []


def test_logs_carry_no_ids_or_token_at_info(
    on: None, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="velt_django")
    post(client, batch(question("ann", "document", "spec-q3")))
    post(client, SAMPLE, token="wrong-token")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "permission provider" in text
    for secret in ("ann", "spec-q3", ACME, TOKEN, "wrong-token"):
        assert secret not in text
    caplog.clear()
    caplog.set_level(logging.DEBUG, logger="velt_django")
    post(client, batch(question("ann", "document", "spec-q3")))
    debug = "\n".join(r.getMessage() for r in caplog.records)
    assert "ann" in debug and "spec-q3" in debug
    assert TOKEN not in debug
