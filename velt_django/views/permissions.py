"""``permissions/check``: Velt's Real-time Permission Provider (server to server)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf_exceptions

from .. import responses
from ..bodies import parse_json_object, read_limited
from ..conf import velt_settings
from ..permissions import ProviderTokenRefused, check_token, decide, parse_batch
from .errors import resolver_exception_handler


@method_decorator(csrf_exempt, name="dispatch")
class PermissionCheckView(View):
    """Answers one batch of Velt's permission questions (docs/permission-provider.md).

    Off (404) until ``VELT["PERMISSION_PROVIDER_TOKEN"]`` is set. Only ``POST`` (405
    otherwise) with ``Authorization: Bearer <token>``, checked in constant time before
    the body is read (401); no resolver credential, session or shared secret opens it,
    and no CORS header is ever sent. A body over ``MAX_BODY_SIZE`` is 413, a batch over
    ``PERMISSION_PROVIDER_MAX_BATCH`` questions 413, any malformed question 400 for the
    whole batch; an unavailable database 503. Answers use the resolver envelope, with
    one ``PermissionResult`` per question, in order, as ``data``.
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            token = velt_settings.PERMISSION_PROVIDER_TOKEN
            if token is None:
                raise Http404()
            if request.method != "POST":
                raise drf_exceptions.MethodNotAllowed(request.method or "")
            check_token(request, token)
            raw = read_limited(request, velt_settings.MAX_BODY_SIZE)
            queries = parse_batch(
                parse_json_object(raw), velt_settings.PERMISSION_PROVIDER_MAX_BATCH
            )
            results = decide(request, queries)
        except Exception as exc:
            response = resolver_exception_handler(exc, {})
            if isinstance(exc, ProviderTokenRefused):
                response["WWW-Authenticate"] = 'Bearer realm="velt-permissions"'
            return response
        return responses.success(results)
