"""``ResolverTokenView``: mints a resolver token for the signed-in Django user."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpResponse
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from .. import cors, responses
from ..access import velt_user_id
from ..conf import velt_settings
from ..exceptions import Forbidden, ResolverError, VeltConfigurationError
from ..tokens.minting import issue_token
from .base import CorsNoStoreMixin
from .errors import resolver_exception_handler

logger = logging.getLogger(__name__)


def user_id_of(user: Any) -> str:
    """The Velt user id of a Django user (:func:`velt_django.access.velt_user_id`)."""
    user_id = velt_user_id(user)
    if user_id is None:
        raise VeltConfigurationError(
            'The signed-in user has no value for VELT["USER_FIELDS"]["userId"].'
        )
    return user_id


class ResolverTokenView(CorsNoStoreMixin):
    """POST (or GET) ``token``: ``{"token": "...", "expiresAt": <ms>}`` for the user of
    the Django session, opening the organizations ``VELT["TOKEN_ORGANIZATIONS"]``
    returns for that user.

    Session-authenticated, so DRF's CSRF check applies to POST. Anonymous callers get the
    401 envelope, a failed CSRF check the 403 envelope. While ``TOKEN_ORGANIZATIONS`` is
    unset the view answers 404 (the feature is opt-in).
    """

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    throttle_classes: list[Any] = []
    versioning_class = None

    def get_exception_handler(self) -> Any:
        return resolver_exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if velt_settings.get("TOKEN_ORGANIZATIONS") is None:
            raise ResolverError(
                "The token view is not enabled.",
                status_code=404,
                error_code="NOT_FOUND",
            )
        if request.method == "OPTIONS":
            return  # a CORS preflight carries no credential (answered by options())
        if not cors.cookie_origin_allowed(request._request):
            # The same strict Origin allowlist as the resolvers' cookie mode: a page on
            # an origin not listed cannot mint tokens with the user's session.
            logger.info("token request with a session cookie from a disallowed origin")
            raise Forbidden("Origin not allowed.")
        super().initial(request, *args, **kwargs)

    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.post(request, *args, **kwargs)

    def post(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        organizations_of = velt_settings.TOKEN_ORGANIZATIONS
        if organizations_of is None:  # unset between initial() and now
            raise VeltConfigurationError('VELT["TOKEN_ORGANIZATIONS"] is not set.')
        organizations = organizations_of(request.user)
        if isinstance(organizations, str) or not all(
            isinstance(org, str) for org in organizations
        ):
            raise VeltConfigurationError(
                'VELT["TOKEN_ORGANIZATIONS"] must return a list of organization ids.'
            )
        minted = issue_token(user_id_of(request.user), list(organizations))
        logger.info("resolver token minted for %d organizations", len(organizations))
        response = HttpResponse(
            responses.encode(
                {"token": minted.token, "expiresAt": minted.expires_at * 1000}
            ),
            content_type="application/json",
        )
        return response
