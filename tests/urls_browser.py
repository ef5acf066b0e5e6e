"""URLconf and helpers of the cookie-mode and browser tests.

Serves the resolver endpoints and velt_django's token view under ``/velt/``, plus a
test-only login view that signs a Django user in (the page cannot read the API origin's
cookies, so the CSRF token comes back in the body, as a cross-origin single-page app
would get it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model, login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from velt_django import cors
from velt_django.access import velt_orgs_claim

#: Organizations of each Django user in cookie mode.
MEMBERSHIPS: dict[str, list[str]] = {"alice": ["acme"], "bob": ["globex"]}

#: Django settings of cookie mode; the tests add the page origin where needed.
COOKIE_MODE_SETTINGS: dict[str, Any] = {
    "MIDDLEWARE": [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ],
    # No session table: the session lives in a signed cookie.
    "SESSION_ENGINE": "django.contrib.sessions.backends.signed_cookies",
    "ROOT_URLCONF": "tests.urls_browser",
}

COOKIE_MODE_VELT: dict[str, Any] = {
    "AUTHENTICATION_CLASSES": [
        "velt_django.authentication.ResolverTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        "tests.auth.TestPrincipalAuthentication",
    ],
    "ORGANIZATION_ACCESS": "tests.urls_browser.members_or_claims",
    # Header-token mode: velt_django's token view mints the bearer tokens.
    "RESOLVER_TOKEN": {"SECRET": "browser-test-secret-0123456789abcdef", "TTL": 120},
    "TOKEN_ORGANIZATIONS": "tests.urls_browser.organizations_of",
}


def use_cookie_mode(settings: Any, page: str, **velt: Any) -> None:
    """Cookie mode in pytest-django's ``settings`` for a page on the origin ``page``:
    Django's CSRF check trusts it and velt_django's CORS allows it with credentials;
    ``velt`` adds or overrides ``VELT`` keys."""
    for key, value in COOKIE_MODE_SETTINGS.items():
        setattr(settings, key, value)
    settings.CSRF_TRUSTED_ORIGINS = [page]
    settings.VELT = {
        **settings.VELT,
        **COOKIE_MODE_VELT,
        "CORS_ALLOWED_ORIGINS": [page],
        "CORS_ALLOW_CREDENTIALS": True,
        **velt,
    }


def organizations_of(user: Any) -> list[str]:
    """``VELT["TOKEN_ORGANIZATIONS"]`` of the tests: the user's memberships."""
    return list(MEMBERSHIPS.get(user.get_username(), []))


def members_or_claims(
    request: Any, action: str, organization_id: str, document_ids: Sequence[str]
) -> bool:
    """Token principals by their claims, session users by ``MEMBERSHIPS``."""
    if isinstance(request.auth, dict):
        return velt_orgs_claim(request, action, organization_id, document_ids)
    user = request.user
    if not user.is_authenticated:
        return False
    return organization_id in MEMBERSHIPS.get(user.get_username(), [])


def _with_cors(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if request.method == "OPTIONS":
        return cors.preflight_response(request)
    return cors.add_cors_headers(request, response)


@csrf_exempt
def login_view(request: HttpRequest) -> HttpResponse:
    """POST ``{"username": ...}``: sign that user in (creating it) — tests only."""
    if request.method == "OPTIONS":
        return _with_cors(request, HttpResponse())
    username = json.loads(request.body or b"{}").get("username", "")
    if username not in MEMBERSHIPS:
        return _with_cors(request, JsonResponse({"error": "unknown user"}, status=400))
    user, _ = get_user_model().objects.get_or_create(username=username)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return _with_cors(request, JsonResponse({"csrfToken": get_token(request)}))


urlpatterns = [
    path("velt/", include("velt_django.urls")),
    path("test/login", login_view),
]
