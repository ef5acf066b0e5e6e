"""``webhooks/velt``: the receiver of Velt's basic and advanced (Svix) webhooks."""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf_exceptions

from .. import responses
from ..conf import velt_settings
from ..exceptions import ResolverError
from ..webhooks import delivery as deliveries
from ..webhooks.dispatch import IN_PROGRESS, INCOMPLETE, handle
from .errors import resolver_exception_handler

#: Velt sends ``POST``; an advanced webhook's transformation may switch it to ``PUT``.
METHODS = ("POST", "PUT")


@method_decorator(csrf_exempt, name="dispatch")
class VeltWebhookView(View):
    """Receives one Velt webhook delivery.

    Not a resolver: no browser calls it, so there is no CORS, session or organization
    policy. A delivery is accepted with ``Authorization: Basic <WEBHOOK_AUTH_TOKEN>``
    (basic webhooks) or a valid Svix signature made with ``WEBHOOK_SIGNING_SECRET``
    (advanced webhooks); anything else is 401. Bodies over ``WEBHOOK_MAX_BODY_SIZE``
    are 413, undecodable ones 400; answers use the resolver envelope. ``POST`` and
    ``PUT`` are accepted, any other method is 405.

    The delivery is processed before it is answered
    (:func:`velt_django.webhooks.dispatch.handle`), and 200 means it is done: a retry
    of a done delivery answers 200 at once. Velt retries anything else: 409 while
    another worker holds the delivery, 503 when the e-mails did not all go out within
    ``WEBHOOK_EMAIL_BUDGET_SECONDS`` (Velt waits 15 s) or the database is unavailable.
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        deadline = time.monotonic() + velt_settings.WEBHOOK_EMAIL_BUDGET_SECONDS
        try:
            if request.method not in METHODS:
                raise drf_exceptions.MethodNotAllowed(request.method or "")
            delivery = deliveries.receive(request)
            outcome = handle(delivery, type(self), deadline)
            if outcome == IN_PROGRESS:
                raise ResolverError(
                    "This delivery is being processed; retry later.",
                    status_code=409,
                    error_code="DUPLICATE_IN_PROGRESS",
                )
            if outcome == INCOMPLETE:
                raise ResolverError(
                    "Notification e-mails are left for the retry.",
                    status_code=503,
                    error_code="DELIVERY_INCOMPLETE",
                )
        except Exception as exc:
            # 401/400/413 as ResolverErrors, 503 for an unavailable database (Velt
            # retries), 500 for a misconfiguration; never a payload in the logs.
            response = resolver_exception_handler(exc, {})
            response["Cache-Control"] = "no-store"
            return response
        return responses.success()
