"""CORS headers and the cookie-mode ``Origin`` check of the resolver endpoints
(docs/cookie-mode.md).

When the host runs django-cors-headers and its ``CorsMiddleware`` covers the request's
URL, that middleware answers preflights and sets the ``Access-Control-*`` headers of
actual responses; velt_django then adds none of its own, so the two never disagree.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from .conf import velt_settings

_BASE_HEADERS = ("Content-Type", "Authorization", "X-CSRFToken")


def allowed_origin(request: HttpRequest) -> str | None:
    """The request's ``Origin`` if it is on the allowlist (exact match), else ``None``."""
    origin = request.headers.get("Origin")
    if origin and origin in velt_settings.CORS_ALLOWED_ORIGINS:
        return origin
    return None


def handled_by_host(request: HttpRequest, response: HttpResponse | None = None) -> bool:
    """Whether CORS of this request belongs to someone else: django-cors-headers'
    ``CorsMiddleware`` is enabled for its URL (it marks the request before the view
    runs), or the response already carries ``Access-Control-Allow-Origin``."""
    if getattr(request, "_cors_enabled", False) is True:
        return True
    return response is not None and response.has_header("Access-Control-Allow-Origin")


def add_cors_headers(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Repeat the origin (never ``*``) and, in cookie mode, the credentials flag."""
    patch_vary_headers(response, ("Origin",))
    if handled_by_host(request, response):
        return response
    origin = allowed_origin(request)
    if origin is not None:
        response["Access-Control-Allow-Origin"] = origin
        if velt_settings.CORS_ALLOW_CREDENTIALS:
            response["Access-Control-Allow-Credentials"] = "true"
    return response


def preflight_response(
    request: HttpRequest, methods: str = "POST, OPTIONS"
) -> HttpResponse:
    """Answer an ``OPTIONS`` preflight: no authentication, no envelope."""
    response = HttpResponse(status=200)
    if allowed_origin(request) is not None and not handled_by_host(request):
        headers = list(_BASE_HEADERS) + velt_settings.CORS_EXTRA_ALLOWED_HEADERS
        response["Access-Control-Allow-Methods"] = methods
        response["Access-Control-Allow-Headers"] = ", ".join(headers)
        response["Access-Control-Max-Age"] = str(velt_settings.CORS_MAX_AGE)
    return add_cors_headers(request, response)


def _own_origin(request: HttpRequest) -> str | None:
    try:
        return f"{request.scheme}://{request.get_host()}"
    except DisallowedHost:
        return None


def cookie_origin_allowed(request: HttpRequest) -> bool:
    """The strict ``Origin`` allowlist of cookie mode.

    A request that carries the Django session cookie and an ``Origin`` header is allowed
    only when that origin is the request's own (scheme and host, as Django's CSRF check
    sees them) or is listed in ``VELT["CORS_ALLOWED_ORIGINS"]`` (exact match; ``null``
    never is). Requests without the session cookie, or without ``Origin`` (not sent by
    a browser for a cross-origin call), are left to authentication and CSRF.
    """
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return True
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if origin in velt_settings.CORS_ALLOWED_ORIGINS:
        return True
    own = _own_origin(request)
    return own is not None and origin == own
