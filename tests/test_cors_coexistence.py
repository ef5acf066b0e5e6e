"""velt_django's CORS next to a host that runs django-cors-headers (CONTRACT §16.6).

Rule: when ``corsheaders.middleware.CorsMiddleware`` is enabled for a resolver URL it owns
CORS there (it answers preflights before the view and sets the ``Access-Control-*``
headers of actual responses); velt_django then sets none of its own. When the host's
``CORS_URLS_REGEX`` leaves the resolver URLs out, velt_django's own headers apply.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory

from velt_django.cors import add_cors_headers

from .auth import principal
from .families import COMMENTS

PAGE = "https://app.example.com"
FOREIGN = "https://evil.example.net"

pytest.importorskip("corsheaders")


@pytest.fixture
def cors_headers_host(settings: Any, mongo_db: Any) -> Any:
    """django-cors-headers installed, first in MIDDLEWARE, for the same origin."""
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "corsheaders"]
    settings.MIDDLEWARE = [
        "corsheaders.middleware.CorsMiddleware",
        *settings.MIDDLEWARE,
    ]
    settings.CORS_ALLOWED_ORIGINS = [PAGE]
    settings.CORS_ALLOW_CREDENTIALS = True
    settings.VELT = {
        **settings.VELT,
        "CORS_ALLOWED_ORIGINS": [PAGE],
        "CORS_ALLOW_CREDENTIALS": True,
    }
    return mongo_db


def save(client: Client, origin: str = PAGE) -> Any:
    body = COMMENTS.save_body(COMMENTS.record("t-1", org="acme"))
    return client.post(
        "/velt/comments/save",
        json.dumps(body),
        content_type="application/json",
        HTTP_ORIGIN=origin,
        **principal("u1", "acme"),
    )


def preflight(client: Client, origin: str = PAGE) -> Any:
    return client.options(
        "/velt/comments/save",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )


def header_lines(response: Any) -> list[tuple[str, str]]:
    """Header (name, value) pairs as the WSGI server would send them."""
    return [(k.lower(), v) for k, v in response.items()]


def assert_no_duplicates(response: Any) -> None:
    names = [name for name, _ in header_lines(response)]
    assert len(names) == len(set(names))
    vary = [v.strip().lower() for v in response["Vary"].split(",")]
    assert vary.count("origin") == 1


def test_actual_response_has_one_consistent_set_of_cors_headers(
    cors_headers_host: Any, client: Client
) -> None:
    response = save(client)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == PAGE
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert_no_duplicates(response)


def test_velt_django_adds_nothing_where_cors_headers_is_enabled(
    settings: Any, cors_headers_host: Any, client: Client
) -> None:
    # The host's django-cors-headers does not allow credentials: velt_django must not
    # add its own Allow-Credentials next to the host's Allow-Origin.
    settings.CORS_ALLOW_CREDENTIALS = False
    response = save(client)
    assert response["Access-Control-Allow-Origin"] == PAGE
    assert "Access-Control-Allow-Credentials" not in response


def test_foreign_origin_gets_no_cors_headers_from_either(
    cors_headers_host: Any, client: Client
) -> None:
    response = save(client, FOREIGN)
    assert not [k for k, _ in header_lines(response) if k.startswith("access-control")]
    preflight_response = preflight(client, FOREIGN)
    assert not [
        k for k, _ in header_lines(preflight_response) if k.startswith("access-control")
    ]


def test_preflight_is_answered_once_by_cors_headers(
    cors_headers_host: Any, client: Client
) -> None:
    response = preflight(client)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == PAGE
    assert response["Access-Control-Allow-Credentials"] == "true"
    allowed = [
        h.strip().lower() for h in response["Access-Control-Allow-Headers"].split(",")
    ]
    assert "authorization" in allowed and "content-type" in allowed
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert_no_duplicates(response)


def test_resolver_urls_left_out_by_the_host_get_velt_django_headers(
    settings: Any, cors_headers_host: Any, client: Client
) -> None:
    settings.CORS_URLS_REGEX = r"^/api/.*$"
    settings.CORS_ALLOW_CREDENTIALS = False
    response = save(client)
    assert response["Access-Control-Allow-Origin"] == PAGE
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert_no_duplicates(response)
    answer = preflight(client)
    assert answer["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert "Authorization" in answer["Access-Control-Allow-Headers"]
    assert_no_duplicates(answer)


def test_existing_vary_is_kept(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "CORS_ALLOWED_ORIGINS": [PAGE]}
    response = HttpResponse()
    response["Vary"] = "Cookie"
    add_cors_headers(RequestFactory().post("/", HTTP_ORIGIN=PAGE), response)
    assert response["Vary"] == "Cookie, Origin"
    assert response["Access-Control-Allow-Origin"] == PAGE


def test_response_already_carrying_allow_origin_is_left_alone(settings: Any) -> None:
    settings.VELT = {
        **settings.VELT,
        "CORS_ALLOWED_ORIGINS": [PAGE],
        "CORS_ALLOW_CREDENTIALS": True,
    }
    response = HttpResponse()
    response["Access-Control-Allow-Origin"] = "https://other.example.com"
    add_cors_headers(RequestFactory().post("/", HTTP_ORIGIN=PAGE), response)
    assert response["Access-Control-Allow-Origin"] == "https://other.example.com"
    assert "Access-Control-Allow-Credentials" not in response


def test_velt_django_alone_patches_vary(settings: Any, mongo_db: Any) -> None:
    settings.VELT = {**settings.VELT, "CORS_ALLOWED_ORIGINS": [PAGE]}
    response = save(Client())
    assert response["Access-Control-Allow-Origin"] == PAGE
    assert "Access-Control-Allow-Credentials" not in response
    assert [v.strip() for v in response["Vary"].split(",")].count("Origin") == 1
