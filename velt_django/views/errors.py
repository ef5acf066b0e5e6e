"""``resolver_exception_handler``: every failure of a velt_django view as the failure
envelope (``{"success": false, "statusCode", "errorCode", "message"}``).

Library errors say how they are answered themselves (:class:`~velt_django.exceptions.
HttpMapped`); DRF's and Django's own exceptions are looked up in :data:`FRAMEWORK`.
"""

from __future__ import annotations

import logging
import math
import traceback
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from rest_framework import exceptions as drf_exceptions

from .. import responses
from ..exceptions import (
    HttpMapped,
    ResolverError,
    ResolverTokenRefused,
    VeltConfigurationError,
)

logger = logging.getLogger(__name__)

#: DRF's and Django's exceptions: (types, status, errorCode, message), first match wins.
FRAMEWORK: tuple[tuple[tuple[type[BaseException], ...], int, str, str], ...] = (
    (
        (drf_exceptions.NotAuthenticated, drf_exceptions.AuthenticationFailed),
        401,
        "UNAUTHENTICATED",
        "Authentication credentials were not provided or are invalid.",
    ),
    # Django's PermissionDenied / Http404 may come from a host's access policy.
    (
        (drf_exceptions.PermissionDenied, DjangoPermissionDenied),
        403,
        "FORBIDDEN",
        "Permission denied.",
    ),
    ((drf_exceptions.NotFound, Http404), 404, "NOT_FOUND", "Not found."),
    (
        (drf_exceptions.MethodNotAllowed,),
        405,
        "METHOD_NOT_ALLOWED",
        "Only POST is allowed.",
    ),
    ((drf_exceptions.Throttled,), 429, "RATE_LIMITED", "Too many requests."),
    (
        (drf_exceptions.UnsupportedMediaType,),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "Unsupported media type.",
    ),
)


def _log_unexpected(exc: BaseException) -> None:
    # The traceback's frames only: exception messages can quote payload content (PII).
    frames = "".join(traceback.format_tb(exc.__traceback__))
    logger.error("unexpected %s in resolver view\n%s", type(exc).__name__, frames)


def _framework_failure(exc: Exception) -> HttpResponse | None:
    for types, status, code, message in FRAMEWORK:
        if isinstance(exc, types):
            response = responses.failure(status, code, message)
            wait: float | None = getattr(exc, "wait", None)
            if isinstance(exc, drf_exceptions.Throttled) and wait is not None:
                response["Retry-After"] = str(max(1, math.ceil(wait)))
            return response
    if isinstance(exc, drf_exceptions.APIException) and 400 <= exc.status_code < 500:
        return responses.failure(exc.status_code, "INVALID_INPUT", "Invalid request.")
    return None


def resolver_exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse:
    """Turn every failure into the failure envelope."""
    if isinstance(exc, ResolverError):
        return responses.failure(
            exc.status_code, exc.error_code, str(exc.detail), exc.extra
        )
    if isinstance(exc, ResolverTokenRefused):
        return responses.failure(
            401,
            "UNAUTHENTICATED",
            "The resolver token was refused.",
            {"authErrorCode": exc.auth_error_code},
        )
    framework = _framework_failure(exc)
    if framework is not None:
        return framework
    if isinstance(exc, HttpMapped) and exc.status_code is not None:
        if isinstance(exc, VeltConfigurationError):
            logger.error("velt_django is misconfigured: %s", exc)
        return responses.failure(exc.status_code, exc.error_code, exc.client_message())
    _log_unexpected(exc)
    return responses.failure(500, "INTERNAL_ERROR", "Internal error.")
