"""``webhooks/velt``: the receiver of Velt's basic and advanced (Svix) webhooks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf_exceptions

from .. import responses
from ..repository.webhooks import WebhookDeliveryRepository
from ..webhooks import delivery as deliveries
from ..webhooks.dispatch import process
from .base import resolver_exception_handler

logger = logging.getLogger(__name__)


class ProcessAfterResponse(HttpResponse):
    """A response that runs ``work`` in :meth:`close`, which WSGI and ASGI servers
    (and Django's test client) call once the response has been sent: Velt gets its 2xx
    without waiting for the database reads, the receivers and the e-mails."""

    def __init__(self, answer: HttpResponse, work: Callable[[], Any]) -> None:
        super().__init__(answer.content, status=answer.status_code)
        for header, value in answer.items():
            self[header] = value
        self._work: Callable[[], Any] | None = work

    def close(self) -> None:
        work, self._work = self._work, None
        try:
            if work is not None:
                work()
        finally:
            super().close()


@method_decorator(csrf_exempt, name="dispatch")
class VeltWebhookView(View):
    """Receives one Velt webhook delivery.

    Not a resolver: no browser calls it, so there is no CORS, session or organization
    policy. A delivery is accepted with ``Authorization: Basic <WEBHOOK_AUTH_TOKEN>``
    (basic webhooks) or a valid Svix signature made with ``WEBHOOK_SIGNING_SECRET``
    (advanced webhooks); anything else is 401. Bodies over ``WEBHOOK_MAX_BODY_SIZE``
    are 413, undecodable ones 400; answers use the resolver envelope.

    Each delivery id is recorded before the answer; a retry of a recorded id answers
    200 and does nothing else. An accepted delivery is processed after its answer was
    sent (:func:`velt_django.webhooks.dispatch.process`).
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if request.method != "POST":
                raise drf_exceptions.MethodNotAllowed(request.method or "")
            delivery = deliveries.receive(request)
            fresh = WebhookDeliveryRepository().claim(delivery.webhook_id)
        except Exception as exc:
            # 401/400/413 as ResolverErrors, 503 for an unavailable database (Velt
            # retries), 500 for a misconfiguration; never a payload in the logs.
            response = resolver_exception_handler(exc, {})
            response["Cache-Control"] = "no-store"
            return response
        if not fresh:
            logger.info("velt webhook %s: already processed", delivery.webhook_id)
            return responses.success()
        logger.info(
            "velt webhook %s accepted (%s)", delivery.webhook_id, delivery.channel
        )
        return ProcessAfterResponse(
            responses.success(), lambda: process(delivery, type(self))
        )
