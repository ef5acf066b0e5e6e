"""CORS headers for the resolver endpoints (CONTRACT §16.6)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from .conf import velt_settings

_BASE_HEADERS = ("Content-Type", "Authorization", "X-CSRFToken")


def allowed_origin(request: HttpRequest) -> str | None:
    """The request's ``Origin`` if it is on the allowlist (exact match), else ``None``."""
    origin = request.headers.get("Origin")
    if origin and origin in velt_settings.CORS_ALLOWED_ORIGINS:
        return origin
    return None


def add_cors_headers(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Repeat the origin (never ``*``) and, in cookie mode, the credentials flag."""
    response["Vary"] = "Origin"
    origin = allowed_origin(request)
    if origin is not None:
        response["Access-Control-Allow-Origin"] = origin
        if velt_settings.CORS_ALLOW_CREDENTIALS:
            response["Access-Control-Allow-Credentials"] = "true"
    return response


def preflight_response(request: HttpRequest) -> HttpResponse:
    """Answer an ``OPTIONS`` preflight: no authentication, no envelope."""
    response = HttpResponse(status=200)
    if allowed_origin(request) is not None:
        headers = list(_BASE_HEADERS) + velt_settings.CORS_EXTRA_ALLOWED_HEADERS
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = ", ".join(headers)
        response["Access-Control-Max-Age"] = str(velt_settings.CORS_MAX_AGE)
    return add_cors_headers(request, response)
