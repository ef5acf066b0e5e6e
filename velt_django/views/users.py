"""``users/get`` and ``anonymous-users/resolve`` (docs/users.md)."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpResponse
from rest_framework.request import Request

from .. import responses, users
from ..conf import velt_settings
from ..exceptions import InvalidInput
from ..validation.users import parse_resolve, parse_users_get
from .base import ResolverView

logger = logging.getLogger(__name__)


class GetUsersView(ResolverView):
    """``users/get``: ``userId → User`` from the configured directory, one query."""

    action = "get"

    def handle(self, request: Request, body: Any) -> HttpResponse:
        query = parse_users_get(body)
        org = query.organization_id
        if org is None and velt_settings.USER_ORGANIZATION_SCOPED:
            raise InvalidInput("organizationId is required when users are scoped")
        # A request naming no organization (a hand-written callback forwarding only
        # userIds) is authorized as NO_ORGANIZATION: refused unless the policy
        # allows that value explicitly, never allowed by default.
        self.authorize(request, users.NO_ORGANIZATION if org is None else org)
        data = users.get_many(query.user_ids, org) if query.user_ids else {}
        data = self.read_filtered(request, "users", org or users.NO_ORGANIZATION, data)
        logger.info(
            "users get org=%s asked=%d returned=%d",
            org or "-",
            len(query.user_ids),
            len(data),
        )
        return responses.success(data)


class ResolveAnonymousUsersView(ResolverView):
    """``anonymous-users/resolve``: e-mails to user ids; nothing is stored."""

    action = "resolve"

    def handle(self, request: Request, body: Any) -> HttpResponse:
        query = parse_resolve(body)
        org = query.organization_id
        docs = [query.document_id] if query.document_id else []
        self.authorize(request, org, docs)
        data = users.resolve_emails(query.emails, org) if query.emails else {}
        logger.info(
            "anonymous users resolve org=%s asked=%d resolved=%d",
            org,
            len(query.emails),
            len(data),
        )
        return responses.success(data)
