"""Session-cookie mode (CONTRACT §16.3 item 2, §16.6): DRF's CSRF check on every unsafe
request, multipart included, and the strict ``Origin`` allowlist for requests that carry
the session cookie. Over HTTP with Django's test client, CSRF checks enforced."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils.crypto import get_random_string

from .auth import principal
from .families import COMMENTS
from .urls_browser import use_cookie_mode

PAGE = "https://app.example.com"
FOREIGN = "https://evil.example.net"
OWN = "http://testserver"
CSRF = get_random_string(32)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cookie_mode(settings: Any, mongo_db: Any) -> Any:
    use_cookie_mode(settings, PAGE)
    return mongo_db


@pytest.fixture
def browser(cookie_mode: Any) -> Client:
    """A client signed in as ``alice`` (member of ``acme``) holding a CSRF cookie."""
    client = Client(enforce_csrf_checks=True)
    user, _ = get_user_model().objects.get_or_create(username="alice")
    client.force_login(user)
    client.cookies["csrftoken"] = CSRF
    return client


def thread(record_id: str = "t-1") -> dict[str, Any]:
    return COMMENTS.save_body(COMMENTS.record(record_id, org="acme"))


def post(client: Client, path: str, body: Any, **headers: Any) -> Any:
    return client.post(
        f"/velt/{path}", json.dumps(body), content_type="application/json", **headers
    )


def stored(db: Any) -> int:
    return int(db[COMMENTS.collection].count_documents({}))


def assert_refused(response: Any, status: int = 403) -> None:
    assert response.status_code == status
    body = response.json()
    assert body["success"] is False
    assert body["statusCode"] == status


def test_same_origin_save_then_get_with_csrf_header(browser: Client) -> None:
    saved = post(browser, "comments/save", thread(), HTTP_X_CSRFTOKEN=CSRF)
    assert saved.status_code == 200, saved.content
    got = post(
        browser,
        "comments/get",
        {"organizationId": "acme", "commentAnnotationIds": ["t-1"]},
        HTTP_X_CSRFTOKEN=CSRF,
        HTTP_ORIGIN=OWN,
    )
    assert got.status_code == 200
    assert got.json()["data"]["t-1"]["comments"]["100"]["commentText"] == "first"


def test_session_user_outside_the_organization_is_refused(
    cookie_mode: Any, browser: Client
) -> None:
    body = COMMENTS.save_body(COMMENTS.record("t-9", org="globex"))
    assert_refused(post(browser, "comments/save", body, HTTP_X_CSRFTOKEN=CSRF))
    assert stored(cookie_mode) == 0


@pytest.mark.parametrize(
    "path", ["comments/save", "comments/get", "comments/delete", "reactions/save"]
)
def test_json_post_without_csrf_header_is_refused(
    cookie_mode: Any, browser: Client, path: str
) -> None:
    assert_refused(post(browser, path, thread()))
    assert stored(cookie_mode) == 0


def test_wrong_csrf_header_is_refused(cookie_mode: Any, browser: Client) -> None:
    wrong = get_random_string(32)
    assert_refused(post(browser, "comments/save", thread(), HTTP_X_CSRFTOKEN=wrong))
    assert stored(cookie_mode) == 0


def test_multipart_post_without_csrf_header_is_refused(
    cookie_mode: Any, browser: Client
) -> None:
    # A multipart POST is a "simple" request: a browser sends it cross-site without a
    # preflight. The CSRF check reads request.POST, which ResolverView's parser fills
    # from the body it already read; refused before any parsing.
    response = browser.post(
        "/velt/comments/save", {"request": json.dumps(thread())}, HTTP_ORIGIN=OWN
    )
    assert_refused(response)
    assert stored(cookie_mode) == 0


def test_multipart_post_with_csrf_header_reaches_the_json_parser(
    cookie_mode: Any, browser: Client
) -> None:
    # With the token the CSRF check passes and the endpoint refuses the body itself.
    response = browser.post(
        "/velt/comments/save",
        {"request": json.dumps(thread())},
        HTTP_X_CSRFTOKEN=CSRF,
    )
    assert_refused(response, 400)
    assert response.json()["errorCode"] == "INVALID_INPUT"
    assert stored(cookie_mode) == 0


def test_form_post_without_csrf_header_is_refused(
    cookie_mode: Any, browser: Client
) -> None:
    response = browser.post(
        "/velt/comments/save",
        "request=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert_refused(response)


def test_allowed_cross_origin_with_credentials(browser: Client) -> None:
    response = post(
        browser, "comments/save", thread(), HTTP_X_CSRFTOKEN=CSRF, HTTP_ORIGIN=PAGE
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == PAGE
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in response["Vary"]


@pytest.mark.parametrize("origin", [FOREIGN, "null", "https://app.example.com:444"])
def test_session_cookie_from_disallowed_origin_is_refused(
    settings: Any, cookie_mode: Any, browser: Client, origin: str
) -> None:
    # Even when Django's CSRF check would trust it: the Origin allowlist is separate.
    settings.CSRF_TRUSTED_ORIGINS = [PAGE, FOREIGN, "https://app.example.com:444"]
    response = post(
        browser, "comments/save", thread(), HTTP_X_CSRFTOKEN=CSRF, HTTP_ORIGIN=origin
    )
    assert_refused(response)
    assert response.json()["errorCode"] == "FORBIDDEN"
    assert "Access-Control-Allow-Origin" not in response
    assert stored(cookie_mode) == 0


def test_session_cookie_from_disallowed_origin_is_refused_on_gets(
    settings: Any, browser: Client
) -> None:
    settings.CSRF_TRUSTED_ORIGINS = [PAGE, FOREIGN]
    post(browser, "comments/save", thread(), HTTP_X_CSRFTOKEN=CSRF)
    response = post(
        browser,
        "comments/get",
        {"organizationId": "acme"},
        HTTP_X_CSRFTOKEN=CSRF,
        HTTP_ORIGIN=FOREIGN,
    )
    assert_refused(response)
    assert "first" not in response.content.decode()


def test_allowed_origin_missing_from_csrf_trusted_origins_is_refused(
    settings: Any, cookie_mode: Any, browser: Client
) -> None:
    # Cross-origin cookie mode needs the page origin in CSRF_TRUSTED_ORIGINS as well.
    settings.CSRF_TRUSTED_ORIGINS = []
    response = post(
        browser, "comments/save", thread(), HTTP_X_CSRFTOKEN=CSRF, HTTP_ORIGIN=PAGE
    )
    assert_refused(response)
    assert stored(cookie_mode) == 0


def test_origin_check_ignores_requests_without_session_cookie(
    cookie_mode: Any,
) -> None:
    # Header-token mode: no cookie, so no Origin check and no CSRF check (the views are
    # exempt from Django's CSRF middleware); CORS headers only for allowed origins.
    client = Client(enforce_csrf_checks=True)
    response = post(
        client,
        "comments/save",
        thread(),
        HTTP_ORIGIN=FOREIGN,
        **principal("u1", "acme"),
    )
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response
    assert stored(cookie_mode) == 1


def test_session_cookie_without_origin_still_needs_csrf(
    cookie_mode: Any, browser: Client
) -> None:
    assert_refused(post(browser, "comments/save", thread()))
    response = post(browser, "comments/save", thread(), HTTP_X_CSRFTOKEN=CSRF)
    assert response.status_code == 200
    assert stored(cookie_mode) == 1


def test_preflight_allows_the_csrf_header_with_credentials(browser: Client) -> None:
    response = browser.options(
        "/velt/comments/save",
        HTTP_ORIGIN=PAGE,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,x-csrftoken",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == PAGE
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert "X-CSRFToken" in response["Access-Control-Allow-Headers"]
