"""``ResolverView``: HTTP mechanics shared by every resolver endpoint."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from django.http import HttpResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from .. import cors
from ..access import check_api_keys, is_document_scoped
from ..bodies import parse_json_object, read_limited
from ..conf import velt_settings
from ..exceptions import Forbidden
from ..repository.base import BaseRepository, RecordWrite
from ..signals import WriteAction, notify_record_written
from ..throttling import ResolverRateThrottle
from .errors import resolver_exception_handler

logger = logging.getLogger(__name__)

ALLOWED_METHODS = ("POST", "OPTIONS")


class _StoredUnderDocument(Protocol):
    @property
    def document_id(self) -> str | None: ...


#: A record read back with the document it is stored under (FoundRecord, FoundActivity).
InDocument = TypeVar("InDocument", bound=_StoredUnderDocument)


class _ParsedBodyParser(BaseParser):
    """Hands DRF the body ``ResolverView`` already parsed (any media type), so code that
    touches ``request.data``/``request.POST`` (e.g. DRF's CSRF check) never re-reads it."""

    media_type = "*/*"

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        view = (parser_context or {}).get("view")
        return getattr(view, "velt_body", None) or {}


def read_raw_body(request: Request) -> bytes:
    """The request body bytes, at most ``MAX_BODY_SIZE`` of them (see
    :func:`velt_django.bodies.read_limited`)."""
    return read_limited(request._request, velt_settings.MAX_BODY_SIZE)


class CorsNoStoreMixin(APIView):
    """CORS for velt_django's URLs (docs/cookie-mode.md): ``OPTIONS`` is a preflight
    answered without authentication, and every answer repeats an allowed origin and is
    never cached (each carries organization data or says who may see it)."""

    def options(  # type: ignore[override]
        self, request: Request, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        return cors.preflight_response(request._request)

    def finalize_response(
        self, request: Request, response: Any, *args: Any, **kwargs: Any
    ) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        if request.method != "OPTIONS":
            cors.add_cors_headers(request._request, response)
        return response


class ResolverView(CorsNoStoreMixin):
    """Base of every resolver endpoint.

    Owns the allowed methods (POST, and OPTIONS for CORS preflight), body parsing,
    authentication and permissions from ``VELT`` (whatever the host's ``REST_FRAMEWORK``
    says), the organization access hook, and the error envelope. Subclasses implement
    ``handle(request, body)`` and set ``action``.
    """

    action: str = "get"
    #: The raw body bytes of the current request (a view instance serves one request).
    velt_raw_body: bytes = b""
    #: The parsed JSON body, available once authentication and permissions passed.
    velt_body: Any = None
    parser_classes = (_ParsedBodyParser,)
    renderer_classes = (JSONRenderer,)
    versioning_class = None

    def get_authenticators(self) -> list[Any]:
        return [cls() for cls in velt_settings.AUTHENTICATION_CLASSES]

    def get_permissions(self) -> list[Any]:
        return [cls() for cls in velt_settings.PERMISSION_CLASSES]

    def get_throttles(self) -> list[Any]:
        # Read live (APIView binds the classes at import): a host's
        # REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] applies, and 429 is answered in the
        # envelope.
        # ResolverRateThrottle (VELT["THROTTLE_RATE"]) always applies in addition.
        classes: list[Any] = list(api_settings.DEFAULT_THROTTLE_CLASSES)
        if ResolverRateThrottle not in classes:
            classes.append(ResolverRateThrottle)
        return [cls() for cls in classes]

    def get_exception_handler(self) -> Any:
        return resolver_exception_handler

    def perform_content_negotiation(
        self, request: Request, force: bool = False
    ) -> tuple[Any, str]:
        # Always JSON: a browser's Accept header must never turn into a 406.
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if request.method not in ALLOWED_METHODS:
            raise drf_exceptions.MethodNotAllowed(request.method or "")
        if request.method == "OPTIONS":
            return  # preflight: no authentication
        if not cors.cookie_origin_allowed(request._request):
            # Cookie mode's strict Origin allowlist (docs/cookie-mode.md), before
            # anything reads the body or the session.
            logger.info("request with a session cookie from a disallowed origin")
            raise Forbidden("Origin not allowed.")
        # Bytes first (size-limited; CSRF checks may read them), authentication and
        # permissions next, parsing last: an unauthenticated caller gets 401 without
        # making the server parse up to MAX_BODY_SIZE of JSON.
        self.velt_raw_body = read_raw_body(request)
        super().initial(request, *args, **kwargs)
        self.velt_body = self.parse_body(request, self.velt_raw_body)
        check_api_keys(self.velt_body)

    def parse_body(self, request: Request, raw: bytes) -> Any:
        """Turn the raw body into what ``handle`` receives (a JSON object here)."""
        return parse_json_object(raw)

    def post(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.handle(request, self.velt_body)

    def handle(self, request: Request, body: Any) -> HttpResponse:
        """Validate ``body``, authorize, call a repository, return an envelope."""
        raise TypeError(f"{type(self).__name__} must define handle()")

    def authorize(
        self, request: Request, organization_id: str, document_ids: Sequence[str] = ()
    ) -> None:
        """Ask the ``ORGANIZATION_ACCESS`` hook; refuse with 403 unless it says yes."""
        if not self.is_allowed(request, organization_id, document_ids):
            logger.info("%s refused for organization %s", self.action, organization_id)
            raise Forbidden()

    def is_allowed(
        self, request: Request, organization_id: str, document_ids: Sequence[str] = ()
    ) -> bool:
        hook = velt_settings.ORGANIZATION_ACCESS
        return bool(hook(request, self.action, organization_id, list(document_ids)))

    def authorize_records(
        self,
        request: Request,
        records: Sequence[RecordWrite],
        repository: BaseRepository,
    ) -> list[str]:
        """Authorize a save before anything is written (docs/organization-access.md): the
        policy is asked once per organization, with the documents the records are saved
        under and, for a document-scoped policy, the documents they are stored under now
        (a save may move a record out of a document). Returns the organizations."""
        by_org: dict[str, list[RecordWrite]] = {}
        for record in records:
            by_org.setdefault(record.organization_id, []).append(record)
        for org, group in by_org.items():
            docs = {r.document_id for r in group if r.document_id is not None}
            if self.document_scoped:
                stored = repository.stored_documents(org, [r.record_id for r in group])
                docs.update(doc for doc in stored.values() if doc is not None)
            self.authorize(request, org, sorted(docs))
        return sorted(by_org)

    def drop_refused_documents(
        self,
        request: Request,
        organization_id: str,
        found: list[InDocument],
        checked: Sequence[str],
    ) -> list[InDocument]:
        """The authorization post-filter of reads (docs/organization-access.md): ask
        the policy once per further document the records are stored under
        (``checked`` were allowed already), and drop the records of the documents it
        refuses. Records stored under no document were allowed with the organization."""
        decisions: dict[str, bool] = {doc: True for doc in checked}
        kept: list[InDocument] = []
        for record in found:
            doc = record.document_id
            if doc is not None and doc not in decisions:
                decisions[doc] = self.is_allowed(request, organization_id, [doc])
            if doc is None or decisions[doc]:
                kept.append(record)
        if len(kept) != len(found):
            logger.info(
                "%s get org=%s dropped=%d records of refused documents",
                type(self).__name__,
                organization_id,
                len(found) - len(kept),
            )
        return kept

    def read_filtered(
        self,
        request: Request,
        family: str,
        organization_id: str,
        data: dict[str, Any],
    ) -> dict[str, Any]:
        """``data`` after the optional ``READ_FILTER`` hook (docs/organization-access.md,
        "Read filter"), which sees the candidate records of one organization before the
        answer is built."""
        read_filter = velt_settings.READ_FILTER
        if read_filter is None or not data:
            return data
        return dict(read_filter(request, family, organization_id, data))

    def notify_written(
        self,
        action: WriteAction,
        family: str,
        organization_id: str,
        record_ids: Sequence[str],
        event: str | None = None,
    ) -> None:
        """Announce a write that reached the database with ``velt_django.signals``
        (``record_saved`` / ``record_deleted``); a receiver that raises is logged, never
        turned into an error answer."""
        notify_record_written(
            type(self),
            action,
            family=family,
            organization_id=organization_id,
            record_ids=record_ids,
            event=event,
        )

    @property
    def document_scoped(self) -> bool:
        """Whether the access policy needs the documents records are stored under
        (see :mod:`velt_django.access`); if not, those lookups are skipped."""
        return is_document_scoped(velt_settings.ORGANIZATION_ACCESS)
