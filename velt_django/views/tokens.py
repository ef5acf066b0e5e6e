"""The token views of the signed-in Django user: ``ResolverTokenView`` mints a resolver
token (our endpoints' credential), ``VeltUserTokenView`` asks Velt's REST API for Velt's
own user token (the credential of Velt's SDK, for its ``authProvider``)."""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from django.http import HttpResponse
from rest_framework.authentication import SessionAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from .. import cors, responses
from ..access import velt_user_id
from ..bodies import declared_length
from ..client import PermissionResource, VeltClient
from ..conf import velt_settings
from ..directory import User, get_directory
from ..exceptions import (
    Forbidden,
    InvalidInput,
    PayloadTooLarge,
    ResolverError,
    VeltAPIError,
    VeltConfigurationError,
)
from ..tokens.minting import can_sign, issue_token
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


def token_organizations(user: Any) -> list[str]:
    """The organizations ``VELT["TOKEN_ORGANIZATIONS"]`` returns for ``user``: the ones
    its tokens, resolver or Velt, may open."""
    organizations_of = velt_settings.TOKEN_ORGANIZATIONS
    if organizations_of is None:
        raise VeltConfigurationError('VELT["TOKEN_ORGANIZATIONS"] is not set.')
    organizations = organizations_of(user)
    if isinstance(organizations, str) or not all(
        isinstance(org, str) for org in organizations
    ):
        raise VeltConfigurationError(
            'VELT["TOKEN_ORGANIZATIONS"] must return a list of organization ids.'
        )
    return list(organizations)


def _refuse_or_preflight(request: Request, *, enabled: bool, view: str) -> bool:
    """The checks both token views make before authentication: 404 while the view is
    off, 403 for a session cookie sent from an origin not allowed (the same strict
    Origin allowlist as the resolvers' cookie mode, so a page elsewhere cannot obtain
    the user's tokens with the user's session). True for a CORS preflight, which
    carries no credential and is answered by ``options()``."""
    if not enabled:
        raise ResolverError(
            f"The {view} is not enabled.", status_code=404, error_code="NOT_FOUND"
        )
    if request.method == "OPTIONS":
        return True
    if not cors.cookie_origin_allowed(request._request):
        logger.info("%s request with a session cookie from a disallowed origin", view)
        raise Forbidden("Origin not allowed.")
    return False


class ResolverTokenView(CorsNoStoreMixin):
    """POST (or GET) ``token``: ``{"token": "...", "expiresAt": <ms>}`` for the user of
    the Django session, opening the organizations ``VELT["TOKEN_ORGANIZATIONS"]``
    returns for that user.

    Session-authenticated, so DRF's CSRF check applies to POST. Anonymous callers get the
    401 envelope, a failed CSRF check the 403 envelope. While ``TOKEN_ORGANIZATIONS`` is
    unset the view answers 404 (the feature is opt-in), and also while
    ``VELT["RESOLVER_TOKEN"]`` holds no key to sign with: ``TOKEN_ORGANIZATIONS`` may be
    set for the Velt user token view alone, and a resolver token nothing can verify is
    no feature, so that is "not enabled" rather than a 500.
    """

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    throttle_classes: list[Any] = []
    versioning_class = None

    def get_exception_handler(self) -> Any:
        return resolver_exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        enabled = velt_settings.get("TOKEN_ORGANIZATIONS") is not None and can_sign()
        if _refuse_or_preflight(request, enabled=enabled, view="token view"):
            return
        super().initial(request, *args, **kwargs)

    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.post(request, *args, **kwargs)

    def post(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        organizations = token_organizations(request.user)
        minted = issue_token(user_id_of(request.user), organizations)
        logger.info("resolver token minted for %d organizations", len(organizations))
        response = HttpResponse(
            responses.encode(
                {"token": minted.token, "expiresAt": minted.expires_at * 1000}
            ),
            content_type="application/json",
        )
        return response


#: The longest body the Velt user token view reads (it takes one organization id).
USER_TOKEN_MAX_BODY = 4096

#: The fields of a Velt ``User`` the view answers besides ``userId`` and
#: ``organizationId``, as the user directory returns them.
_USER_KEYS = ("name", "email", "photoUrl", "initial", "color", "textColor", "isAdmin")


class _NotSignedIn(ResolverError):
    # 403, not 401: a 401 names a scheme to retry with (WWW-Authenticate), and a
    # session cookie has none; DRF answers session-only views the same way.
    status_code = 403
    default_code = "UNAUTHENTICATED"
    default_detail = "Sign in first: the Velt token is for the signed-in user."


class VeltAPIUnavailable(ResolverError):
    """Velt's API refused or failed the token request (502): never its own message,
    which can quote the request."""

    status_code = 502
    default_code = "VELT_API_ERROR"
    default_detail = "Velt's API did not issue a token; try again later."


class VeltUserTokenView(CorsNoStoreMixin):
    """POST ``velt-token``: Velt's own user token for the user of the Django session,
    ``{"token": "...", "user": {"userId", "organizationId", "name", "email", ...}}``,
    from Velt's REST API (``v2/auth/generate_token``, through :class:`VeltClient`).

    Off (404) until ``VELT["USER_TOKEN_VIEW"]`` is true. Session-authenticated and
    CSRF-checked (DRF), POST only (GET, which must not mint, is 405). The body may name
    one ``organizationId``, which must be one of ``TOKEN_ORGANIZATIONS(user)`` (403
    otherwise); without one the first of them is used. Nothing else may be named: the
    token is always for the signed-in user. Each call asks Velt afresh (nothing is
    cached); a failure of Velt's API is a 502 in the envelope. See
    docs/velt-user-tokens.md.
    """

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    throttle_classes: list[Any] = []
    versioning_class = None
    http_method_names = ["post", "options"]

    def get_exception_handler(self) -> Any:
        return resolver_exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        enabled = velt_settings.USER_TOKEN_VIEW
        if _refuse_or_preflight(request, enabled=enabled, view="Velt user token view"):
            return
        if declared_length(request._request) > USER_TOKEN_MAX_BODY:
            raise PayloadTooLarge(f"request body exceeds {USER_TOKEN_MAX_BODY} bytes")
        super().initial(request, *args, **kwargs)

    def permission_denied(
        self, request: Request, message: str | None = None, code: str | None = None
    ) -> NoReturn:
        if not request.user.is_authenticated:
            raise _NotSignedIn()
        super().permission_denied(request, message, code)

    def _organization(self, request: Request) -> str:
        """The organization the token opens: the one the body names, if the user may
        open it, else the user's first."""
        body = request.data
        if not isinstance(body, dict):
            raise InvalidInput("The request body must be a JSON object.")
        unknown = set(body) - {"organizationId"}
        if unknown:
            # A userId in particular: the token is for the session's user, no other.
            raise InvalidInput(
                "Only organizationId may be given; the token is always for the "
                "signed-in user."
            )
        requested = body.get("organizationId")
        if requested is not None and not (
            isinstance(requested, str)
            and 0 < len(requested) <= velt_settings.MAX_ID_LENGTH
        ):
            raise InvalidInput("organizationId must be a non-empty string.")
        organizations = token_organizations(request.user)
        if requested is None:
            if not organizations:
                raise Forbidden("The signed-in user belongs to no organization.")
            return organizations[0]
        if requested not in organizations:
            raise Forbidden()
        return requested

    def post(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        organization = self._organization(request)
        user_id = user_id_of(request.user)
        # The directory says how the user is shown (name, e-mail, photo, isAdmin), as
        # users/get would answer it; a user it does not know is sent by id alone.
        found: User = (
            get_directory().get_users([user_id], None, organization).get(user_id, {})
        )
        user: User = {"userId": user_id, "organizationId": organization}
        user.update((key, found[key]) for key in _USER_KEYS if key in found)
        resources: list[PermissionResource] = [
            {"type": "organization", "id": organization}
        ]
        with VeltClient() as client:
            try:
                token = client.user_token(
                    user_id=user_id,
                    resources=resources,
                    is_admin=user.get("isAdmin"),
                    name=user.get("name"),
                    email=user.get("email"),
                )
            except VeltAPIError as err:
                # The client logged the call (path, status); its message may quote
                # Velt's answer, so it is neither logged nor answered.
                logger.warning(
                    "Velt user token refused by Velt's API (HTTP %s)", err.status
                )
                raise VeltAPIUnavailable(extra={"veltStatus": err.status}) from None
        logger.info("Velt user token issued")
        return HttpResponse(
            responses.encode({"token": token, "user": user}),
            content_type="application/json",
        )
