"""URLconf and helpers of the cookie-mode and browser tests.

Serves the resolver endpoints under ``/velt/`` plus two test-only views: a login that
signs a Django user in (the page cannot read the API origin's cookies, so the CSRF token
comes back in the body, as a cross-origin single-page app would get it) and, as a
stand-in for the token view, one that answers the ``Authorization`` header value the
page's async ``headers`` function sends.
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
        "rest_framework.authentication.SessionAuthentication",
        "tests.auth.TestPrincipalAuthentication",
    ],
    "ORGANIZATION_ACCESS": "tests.urls_browser.members_or_claims",
}


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


@csrf_exempt
def token_view(request: HttpRequest) -> HttpResponse:
    """The ``Authorization`` value for the signed-in user: a stand-in for the token
    view (``tests.auth``'s ``Test`` scheme carries the user's organizations)."""
    if request.method == "OPTIONS":
        return _with_cors(request, HttpResponse())
    user = request.user
    if not user.is_authenticated:
        return _with_cors(request, JsonResponse({"error": "sign in"}, status=401))
    name = user.get_username()
    orgs = ",".join(MEMBERSHIPS.get(name, []))
    return _with_cors(request, JsonResponse({"authorization": f"Test {name}:{orgs}"}))


urlpatterns = [
    path("velt/", include("velt_django.urls")),
    path("test/login", login_view),
    path("test/token", token_view),
]
