"""A test-only authentication class standing in for a token verifier.

``Authorization: Test <user>:<org1>,<org2>`` authenticates ``<user>`` with claims
``{"sub": user, "velt_orgs": [org1, org2]}``, which ``velt_django.access.velt_orgs_claim``
checks like it would a verified JWT's claims.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed


class TestUser(AnonymousUser):
    def __init__(self, user_id: str) -> None:
        self.user_id = user_id

    @property
    def is_authenticated(self) -> bool:  # type: ignore[override]
        return True

    @property
    def is_anonymous(self) -> bool:  # type: ignore[override]
        return False


class TestPrincipalAuthentication(BaseAuthentication):
    def authenticate(self, request: Any) -> tuple[TestUser, dict[str, Any]] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        if scheme != "Test" or ":" not in value:
            raise AuthenticationFailed("bad test credential")
        user, _, orgs = value.partition(":")
        return TestUser(user), {
            "sub": user,
            "velt_orgs": [o for o in orgs.split(",") if o],
        }

    def authenticate_header(self, request: Any) -> str:
        return "Test"


def principal(user: str, *orgs: str) -> dict[str, Any]:
    """Headers for Django's test client: ``client.post(..., **principal("u1", "acme"))``.

    Typed ``Any`` like every credential helper here: the client's stubs give its other
    keyword arguments (``follow``, ``secure``, ``headers``) types of their own."""
    return {"HTTP_AUTHORIZATION": f"Test {user}:{','.join(orgs)}"}
